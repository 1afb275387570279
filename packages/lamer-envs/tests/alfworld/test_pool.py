"""ALFWorld through the env pool: in-process and worker processes agree with a lone env."""

from __future__ import annotations

import pytest

from lamer_envs.alfworld.env import ALFWorldEnv
from lamer_envs.pool import make_pool


def _script(env: ALFWorldEnv, turn: int) -> str:
    commands = env.admissible_actions()
    return f"<action>{commands[(5 * turn + 1) % len(commands)]}</action>"


@pytest.mark.parametrize("num_workers", [0, 1])
def test_pool_matches_single_envs(num_workers: int) -> None:
    seeds = [0, 1, 2, 3]
    singles = [ALFWorldEnv(split="eval_out_of_distribution") for _ in seeds]
    expected_obs = [env.reset(seed=seed)[0] for env, seed in zip(singles, seeds, strict=True)]
    pool = make_pool(
        "lamer/ALFWorld-v0", len(seeds), num_workers=num_workers, split="eval_out_of_distribution"
    )
    try:
        observations, infos = pool.reset(seeds)
        assert observations == expected_obs
        assert [info["task_type"] for info in infos] == [
            env.step("<action>look</action>")[4]["task_type"] for env in singles
        ]
        pool.step(["<action>look</action>"] * len(seeds))
        for turn in range(4):
            actions = [_script(env, turn) for env in singles]
            expected = [env.step(action) for env, action in zip(singles, actions, strict=True)]
            results = pool.step(actions)
            assert results.observations == [e[0] for e in expected]
            assert results.infos == [e[4] for e in expected]
            assert results.rewards == [e[1] for e in expected]
    finally:
        pool.close()
