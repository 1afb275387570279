"""WebShop runs in both env pools and gives what a single env gives."""

from __future__ import annotations

import gymnasium

import lamer_envs  # noqa: F401  (registers the ids)
from lamer_envs.pool import make_pool

ENV_ID = "lamer/WebShop-v0"
SEEDS = [0, 7, 7]


def scripted_turns(instructions: list[str]) -> list[list[str]]:
    """Search with each env's instruction, page, open the first result, buy it."""
    shop = gymnasium.make(ENV_ID).unwrapped.shop
    first_results = [shop.search(text)[0].lower() for text in instructions]
    return [
        [f"<action>search[{text}]</action>" for text in instructions],
        ["<action>click[next >]</action>"] * len(instructions),
        ["<action>click[< prev]</action>"] * len(instructions),
        ["<action>click[not a button]</action>"] * len(instructions),
        [f"<action>click[{asin}]</action>" for asin in first_results],
        ["<action>click[buy now]</action>"] * len(instructions),
    ]


def single_env_run(turns: list[list[str]]) -> list[list[tuple]]:
    envs = [gymnasium.make(ENV_ID) for _ in SEEDS]
    rows = [[env.reset(seed=seed)[0] for env, seed in zip(envs, SEEDS, strict=True)]]
    for turn in turns:
        rows.append([env.step(action)[:4] for env, action in zip(envs, turn, strict=True)])
    return rows


def pool_run(pool, turns: list[list[str]]) -> list[list[tuple]]:
    observations, _ = pool.reset(SEEDS)
    rows = [observations]
    for turn in turns:
        results = pool.step(turn)
        rows.append(
            list(
                zip(
                    results.observations,
                    results.rewards,
                    results.terminated,
                    results.truncated,
                    strict=True,
                )
            )
        )
    return rows


def test_in_process_and_process_pools_match_single_envs() -> None:
    in_process = make_pool(ENV_ID, num_envs=len(SEEDS))
    _, infos = in_process.reset(SEEDS)
    turns = scripted_turns([info["instruction"] for info in infos])
    expected = single_env_run(turns)
    assert pool_run(in_process, turns) == expected
    in_process.close()
    processes = make_pool(ENV_ID, num_envs=len(SEEDS), num_workers=1)
    try:
        assert pool_run(processes, turns) == expected
        assert all(row[2] for row in expected[-1])  # every env bought something
        assert processes.get_attr("rules", indices=[0])[0].startswith("You are shopping")
    finally:
        processes.close()
