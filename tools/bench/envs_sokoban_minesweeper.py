"""Throughput of the Sokoban and MineSweeper envs (single process, single env).

Run from the repository root:

    uv run python tools/bench/envs_sokoban_minesweeper.py [--seeds 300]

Sokoban numbers are measured like the reference's (golden generation stats): reset =
generation + solvability check for fresh seeds; random policy = uniformly random moves
(one per step) until done or 30 steps, timing only ``step`` (which includes the
dead-state check); solution = replaying each room's BFS solution. The ratio column
compares with the reference's numbers, measured with wall-clock time on an idle 2-vCPU
machine; compare ratios only when run on similar hardware. By default this script
counts process CPU time, which stays meaningful on a busy machine (``--wall`` for
wall-clock time).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from lamer_envs.minesweeper.env import MineSweeperEnv
from lamer_envs.sokoban.env import SokobanEnv

STATS = (
    Path(__file__).resolve().parents[2]
    / "packages/lamer-envs/tests/golden/envs/sokoban_generation_stats.json"
)
MOVES = ("up", "down", "left", "right")

#: CPU time of this process by default: on a shared machine, wall time mostly measures
#: the other jobs. ``--wall`` switches to wall-clock time (the reference's method).
clock = time.process_time


def bench_sokoban(num_seeds: int) -> dict[str, float]:
    env = SokobanEnv()
    reset_time = restart_time = 0.0
    for seed in range(num_seeds):
        start = clock()
        env.reset(seed=seed)
        reset_time += clock() - start
        # The next attempt restarts the same task: served from the env's room cache.
        start = clock()
        env.reset(seed=seed)
        restart_time += clock() - start

    rng = np.random.default_rng(0)
    random_time, random_steps = 0.0, 0
    env = SokobanEnv()  # fresh env: no cached rooms or distance tables
    for seed in range(num_seeds):
        env.reset(seed=seed)
        for _ in range(30):
            action = MOVES[int(rng.integers(4))]
            start = clock()
            _, _, terminated, truncated, _ = env.step(action)
            random_time += clock() - start
            random_steps += 1
            if terminated or truncated:
                break

    solution_time, solution_steps = 0.0, 0
    env = SokobanEnv()
    for seed in range(num_seeds):
        env.reset(seed=seed)
        for move in env.solution():
            start = clock()
            env.step(move)
            solution_time += clock() - start
            solution_steps += 1
    return {
        "resets_per_s": num_seeds / reset_time,
        "restarts_per_s": num_seeds / restart_time,
        "random_policy_steps_per_s": random_steps / random_time,
        "solution_path_steps_per_s": solution_steps / solution_time,
    }


def bench_minesweeper(num_seeds: int) -> dict[str, float]:
    env = MineSweeperEnv()
    reset_time = 0.0
    for seed in range(num_seeds):
        start = clock()
        env.reset(seed=seed)
        reset_time += clock() - start
    rng = np.random.default_rng(0)
    step_time, steps = 0.0, 0
    for seed in range(num_seeds):
        env.reset(seed=seed)
        for _ in range(7):
            row, col = (int(v) for v in rng.integers(1, 7, size=2))
            start = clock()
            _, _, terminated, _, _ = env.step(f"<action>({row}, {col})</action>")
            step_time += clock() - start
            steps += 1
            if terminated:
                break
    return {"resets_per_s": num_seeds / reset_time, "random_policy_steps_per_s": steps / step_time}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--wall", action="store_true", help="time with wall-clock time")
    args = parser.parse_args()
    global clock
    if args.wall:
        clock = time.perf_counter
    print(f"timer: {'wall clock' if args.wall else 'process CPU time'}")
    reference = json.loads(STATS.read_text(encoding="utf-8"))["throughput"]

    print(f"Sokoban (6x6, 2 boxes), {args.seeds} seeds")
    for name, value in bench_sokoban(args.seeds).items():
        ref = reference.get(name)
        ratio = f"  x{value / ref:.1f} vs reference {ref:.0f}/s" if ref else ""
        print(f"  {name:28s} {value:10.0f}{ratio}")
    print(f"MineSweeper (6x6, 3 mines), {args.seeds} seeds")
    for name, value in bench_minesweeper(args.seeds).items():
        print(f"  {name:28s} {value:10.0f}")


if __name__ == "__main__":
    main()
