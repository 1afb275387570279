"""Benchmark: cross-attempt returns + GiGPO advantages on synthetic meta-RL batches.

    uv run python tools/bench/algos.py [--repeats 5]

Two batches, built from a fixed seed:

- large: 4,096 trials x 3 attempts x 8 turns (+ a reflect row before attempts 1 and 2),
  groups of 8 trials, anchor strings from a per-task pool; ~106k rows;
- paper: 16 tasks x 8 trials x 3 attempts x 7 turns (+ reflect rows); ~2.9k rows.

Prints the best wall time of each stage (the plain ``backward_returns`` too) and the ratio
against the reference implementation's time measured on the development machine (GiGPO 4.8 s
on 98k rows, its credit assignment 0.07 s on 94k rows; scaled linearly to our row count).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from lamer_algos import AdvantageInput, backward_returns, cross_attempt_returns, gigpo
from lamer_core.records import StepBatch
from lamer_core.seeding import make_rng

#: Reference seconds per row, measured on the development machine.
REFERENCE_GIGPO_S_PER_ROW = 4.8 / 98_304
REFERENCE_RETURNS_S_PER_ROW = 0.07 / 94_208
TARGET_S_PER_100K = 0.25


def synthetic_batch(
    tasks: int, trials_per_task: int, attempts: int, turns: int, seed: int = 0
) -> StepBatch:
    """Whole trials (every attempt played to ``turns`` turns), rows grouped by trial."""
    rng = make_rng(seed, "bench", "algos", tasks, trials_per_task)
    rows_per_trial = attempts * turns + (attempts - 1)
    trials = tasks * trials_per_task
    attempt_of_row = np.concatenate(
        [np.full(turns + (a > 0), a) for a in range(attempts)]
    )  # a reflect row opens every attempt after the first
    is_reflect_row = np.concatenate(
        [
            np.r_[np.ones(int(a > 0), dtype=bool), np.zeros(turns, dtype=bool)]
            for a in range(attempts)
        ]
    )
    turn_of_row = np.concatenate(
        [np.r_[np.full(int(a > 0), turns), np.arange(turns)] for a in range(attempts)]
    )
    n = trials * rows_per_trial
    trajectory = np.repeat(np.arange(trials), rows_per_trial)
    group = trajectory // trials_per_task
    is_reflect = np.tile(is_reflect_row, trials)
    reward = np.where(rng.random(n) < 0.1, 1.0, 0.0) - 0.1 * (rng.random(n) < 0.05)
    # A few dozen distinct states per task, so that step groups have several members.
    state = rng.integers(0, 40, size=n)
    anchor = np.array(
        [f"task {g} board state {s}: " + "#." * 16 for g, s in zip(group, state, strict=True)],
        dtype=object,
    )
    anchor[is_reflect] = "reflection"
    return StepBatch(
        group_id=group.astype(np.int64),
        trajectory_id=trajectory.astype(np.int64),
        attempt=np.tile(attempt_of_row, trials).astype(np.int64),
        is_reflect=is_reflect,
        turn=np.tile(turn_of_row, trials).astype(np.int64),
        reward=reward,
        done=np.zeros(n, dtype=bool),
        won=np.zeros(n, dtype=bool),
        action_is_valid=rng.random(n) > 0.05,
        anchor=anchor,
    )


def best_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def advantage_input(batch: StepBatch) -> AdvantageInput:
    """Returns -> invalid-action penalty -> estimator input, as the trainer builds it."""
    returns, episode_rewards = cross_attempt_returns(batch, step_gamma=0.95, traj_gamma=0.6)
    return AdvantageInput(
        score=episode_rewards - 0.1 * ~batch.action_is_valid,
        group_id=batch.group_id,
        trajectory_id=batch.trajectory_id,
        step_return=returns,
        anchor=batch.anchor,
    )


def run(name: str, batch: StepBatch, repeats: int) -> None:
    n = len(batch)

    def returns_only() -> object:
        return cross_attempt_returns(batch, step_gamma=0.95, traj_gamma=0.6)

    def plain_returns() -> object:
        return backward_returns(batch, step_gamma=0.95, traj_gamma=0.6)

    data = advantage_input(batch)

    def gigpo_only() -> object:
        return gigpo(data, mode="mean_norm", step_advantage_w=1.0)

    def end_to_end() -> object:
        full = advantage_input(batch)
        return gigpo(full, mode="mean_norm", step_advantage_w=1.0)

    t_returns = best_time(returns_only, repeats)
    t_plain = best_time(plain_returns, repeats)
    t_gigpo = best_time(gigpo_only, repeats)
    t_total = best_time(end_to_end, repeats)
    ref_returns = REFERENCE_RETURNS_S_PER_ROW * n
    ref_gigpo = REFERENCE_GIGPO_S_PER_ROW * n
    print(f"[{name}] rows={n:,}")
    print(f"  returns        {t_returns * 1e3:8.2f} ms   reference ~{ref_returns * 1e3:8.1f} ms   "
          f"speed-up x{ref_returns / t_returns:7.1f}")  # fmt: skip
    print(f"  returns, plain {t_plain * 1e3:8.2f} ms   (backward_returns, one Python step per row: "
          f"x{t_plain / t_returns:.1f} the vectorised time)")  # fmt: skip
    print(f"  gigpo          {t_gigpo * 1e3:8.2f} ms   reference ~{ref_gigpo * 1e3:8.1f} ms   "
          f"speed-up x{ref_gigpo / t_gigpo:7.1f}")  # fmt: skip
    print(f"  returns+gigpo  {t_total * 1e3:8.2f} ms   reference ~{(ref_returns + ref_gigpo) * 1e3:8.1f} ms"
          f"   speed-up x{(ref_returns + ref_gigpo) / t_total:7.1f}")  # fmt: skip
    if n >= 50_000:
        per_100k = t_total * 100_000 / n
        verdict = "meets" if per_100k < TARGET_S_PER_100K else "MISSES"
        print(f"  per 100k rows  {per_100k * 1e3:8.2f} ms   target < {TARGET_S_PER_100K * 1e3:.0f} ms: "
              f"{verdict}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the best is shown")
    args = parser.parse_args()
    run("large 4096 trials x 3 attempts x 8 turns", synthetic_batch(512, 8, 3, 8), args.repeats)
    run("paper 16 tasks x 8 x 3 attempts x 7 turns", synthetic_batch(16, 8, 3, 7), args.repeats)


if __name__ == "__main__":
    main()
