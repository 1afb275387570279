"""Both pools give exactly what stepping the envs one by one gives."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import gymnasium
import numpy as np
import pytest

import lamer_envs  # noqa: F401  (registers the ids)
from lamer_envs.pool import EnvWorkerError, InProcessPool, ProcessPool, make_pool

ENV_ID = "lamer/MineSweeper-v0"
SEEDS = [3, 1, 4, 1, 5]


@pytest.fixture(scope="module")
def process_pool() -> Iterator[ProcessPool]:
    pool = make_pool(ENV_ID, num_envs=len(SEEDS), num_workers=2)
    assert isinstance(pool, ProcessPool)
    yield pool
    pool.close()


@pytest.fixture
def in_process_pool() -> InProcessPool:
    pool = make_pool(ENV_ID, num_envs=len(SEEDS))
    assert isinstance(pool, InProcessPool)
    return pool


def reference_run(actions: list[list[str]]) -> list[tuple]:
    envs = [gymnasium.make(ENV_ID) for _ in SEEDS]
    rows = [tuple(env.reset(seed=s)[0] for env, s in zip(envs, SEEDS, strict=True))]
    done = [False] * len(envs)
    for turn in actions:
        row = []
        for k, env in enumerate(envs):
            if done[k]:
                row.append(None)
                continue
            obs, reward, terminated, truncated, _ = env.step(turn[k])
            done[k] = terminated or truncated
            row.append((obs, reward, terminated, truncated))
        rows.append(tuple(row))
    return rows


def pool_run(pool, actions: list[list[str]]) -> list[tuple]:
    observations, infos = pool.reset(SEEDS)
    assert all(info["anchor"] == obs for obs, info in zip(observations, infos, strict=True))
    rows = [tuple(observations)]
    active = list(range(len(SEEDS)))
    for turn in actions:
        row: list = [None] * len(SEEDS)
        if active:
            results = pool.step([turn[k] for k in active], indices=active)
            for position, k in enumerate(active):
                row[k] = (
                    results.observations[position],
                    results.rewards[position],
                    results.terminated[position],
                    results.truncated[position],
                )
            active = [
                k
                for position, k in enumerate(active)
                if not (results.terminated[position] or results.truncated[position])
            ]
        rows.append(tuple(row))
    return rows


def random_turns(num_turns: int = 8) -> list[list[str]]:
    rng = np.random.default_rng(0)
    return [
        [f"<action>({rng.integers(1, 7)}, {rng.integers(1, 7)})</action>" for _ in SEEDS]
        for _ in range(num_turns)
    ]


def test_in_process_pool_matches_single_envs(in_process_pool: InProcessPool) -> None:
    turns = random_turns()
    assert pool_run(in_process_pool, turns) == reference_run(turns)


def test_process_pool_matches_single_envs(process_pool: ProcessPool) -> None:
    turns = random_turns()
    assert pool_run(process_pool, turns) == reference_run(turns)


@pytest.mark.parametrize("kind", ["in_process_pool", "process_pool"])
def test_subset_reset_and_attributes(kind: str, request: pytest.FixtureRequest) -> None:
    pool = request.getfixturevalue(kind)
    pool.reset(SEEDS)
    observations, _ = pool.reset([7, 8], indices=[4, 0])
    single = gymnasium.make(ENV_ID)
    assert observations == [single.reset(seed=7)[0], single.reset(seed=8)[0]]
    assert pool.get_attr("initial_observation", indices=[0, 4]) == observations[::-1]
    rules = pool.get_attr("rules")
    assert len(rules) == len(SEEDS) and all("MineSweeper" in r for r in rules)


def test_step_result_at_a_position_is_what_env_step_returns(
    in_process_pool: InProcessPool,
) -> None:
    in_process_pool.reset(SEEDS)
    results = in_process_pool.step(["(1, 1)", "nonsense"], indices=[2, 0])
    single = gymnasium.make(ENV_ID)
    for position, (seed, action) in enumerate([(SEEDS[2], "(1, 1)"), (SEEDS[0], "nonsense")]):
        single.reset(seed=seed)
        assert results[position] == single.step(action)


@pytest.mark.parametrize("kind", ["in_process_pool", "process_pool"])
def test_bad_calls_fail_clearly(kind: str, request: pytest.FixtureRequest) -> None:
    pool = request.getfixturevalue(kind)
    with pytest.raises(ValueError, match="2 seeds for 5 envs"):
        pool.reset([1, 2])
    with pytest.raises(IndexError, match="outside"):
        pool.step(["(1, 1)"], indices=[9])


def test_worker_errors_carry_the_worker_traceback() -> None:
    with make_pool(ENV_ID, num_envs=2, num_workers=1) as pool:
        with pytest.raises(RuntimeError, match="ResetNeeded"):
            pool.step(["(1, 1)", "(1, 1)"])  # no reset yet
        observations, _ = pool.reset([0, 1])  # the pool still works afterwards
        assert len(observations) == 2


def test_an_env_error_names_the_env_index_and_its_task_seed() -> None:
    with make_pool(ENV_ID, num_envs=4, num_workers=2) as pool:
        pool.reset([10, 11], indices=[0, 1])
        with pytest.raises(EnvWorkerError, match=r"(?s)env 2 \(not reset yet\).*ResetNeeded"):
            pool.step(["(1, 1)", "(1, 1)"], indices=[0, 2])


def test_a_dead_worker_is_an_error_naming_env_seed_and_how_it_died() -> None:
    with make_pool(ENV_ID, num_envs=4, num_workers=2) as pool:
        pool.reset([10, 11, 12, 13])
        os.kill(pool.worker_pids[1], signal.SIGKILL)
        pool._processes[1].join(timeout=10)
        with pytest.raises(EnvWorkerError) as error:
            pool.step(["(1, 1)"] * 4)
        message = str(error.value)
        assert "env worker 1" in message and "SIGKILL" in message
        assert "env 2 (task seed 12)" in message and "env 3 (task seed 13)" in message
    # close() after a death returns (the with block above did it)


def test_bad_pool_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match="num_envs"):
        make_pool(ENV_ID, num_envs=0)
    with pytest.raises(ValueError, match="num_workers"):
        ProcessPool(ENV_ID, num_envs=2, num_workers=0)
