"""Benchmark: the built-in ALFWorld env (generation, resets, steps) and a random agent.

    uv run python tools/bench/alfworld.py [--episodes 300] [--seconds 3]

Measures, single process (one core):

- generation: new games per second (layout, objects, task, planner check);
- resets/s: ``env.reset(seed)`` over fresh seeds (generation included) and over a
  repeated seed (the cached game: what a later attempt of a trial costs);
- steps/s: ``env.step`` with a random admissible command (parsing, engine, admissible
  list, anchor and info included) and raw engine steps on the golden transcripts;
- a random agent's success within the paper's 30 steps, per task type (it should be
  low: the tasks need exploration).

Target: >= 1,000 env steps/s on one core.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from lamer_envs.alfworld.env import ALFWorldEnv
from lamer_envs.alfworld.generator import generate_game
from lamer_envs.alfworld.scene import game_from_record
from lamer_envs.alfworld.simulator import Simulator
from lamer_envs.alfworld.tasks import TaskType

TARGET_STEPS_PER_S = 1_000
GOLDEN = Path(__file__).parents[2] / "packages/lamer-envs/tests/alfworld/golden/transcripts.jsonl"


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def bench_generation(seconds: float) -> float:
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        generate_game(10_000 + count)
        count += 1
    return rate(count, time.perf_counter() - start)


def bench_resets(seconds: float, fresh: bool) -> float:
    env = ALFWorldEnv(split="train_all_types")
    env.reset(seed=0)
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        env.reset(seed=20_000 + count if fresh else 0)
        count += 1
    return rate(count, time.perf_counter() - start)


def bench_env_steps(seconds: float) -> float:
    env = ALFWorldEnv(split="train_all_types")
    rng = np.random.default_rng(0)
    seed = 0
    env.reset(seed=seed)
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        command = env.sample_action(rng)
        _, _, terminated, truncated, _ = env.step(f"<action>{command}</action>")
        count += 1
        if terminated or truncated:
            seed += 1
            env.reset(seed=seed % 64)  # cached games: measure steps, not generation
    return rate(count, time.perf_counter() - start)


def bench_golden_replay() -> tuple[float, int]:
    records = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]
    games = [(game_from_record(r), [s["command"] for s in r["steps"]]) for r in records]
    start, count = time.perf_counter(), 0
    for _ in range(5):
        for game, commands in games:
            simulator = Simulator(game)
            for command in commands:
                simulator.step(command)
                simulator.admissible_commands()
                count += 1
    return rate(count, time.perf_counter() - start), count


def random_agent(episodes: int) -> dict[str, tuple[int, int]]:
    results: dict[str, tuple[int, int]] = {}
    rng = np.random.default_rng(1)
    for task_type in TaskType:
        env = ALFWorldEnv(split="train", in_distribution=[task_type], out_of_distribution=[])
        wins = 0
        for seed in range(episodes):
            env.reset(seed=seed)
            while True:
                _, _, terminated, truncated, _ = env.step(env.sample_action(rng))
                if terminated or truncated:
                    wins += terminated
                    break
        results[task_type.short_name] = (wins, episodes)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--episodes", type=int, default=300, help="random-agent episodes per task type"
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="time budget per throughput measurement"
    )
    args = parser.parse_args()

    print(f"generation            {bench_generation(args.seconds):10.0f} games/s")
    print(f"reset (fresh seeds)   {bench_resets(args.seconds, fresh=True):10.0f} resets/s")
    print(f"reset (same seed)     {bench_resets(args.seconds, fresh=False):10.0f} resets/s")
    steps = bench_env_steps(args.seconds)
    print(
        f"env.step (random)     {steps:10.0f} steps/s   "
        f"ratio vs target {TARGET_STEPS_PER_S}: {steps / TARGET_STEPS_PER_S:.1f}x"
    )
    golden_rate, golden_steps = bench_golden_replay()
    print(f"engine (golden, {golden_steps} steps) {golden_rate:10.0f} steps/s")
    results = random_agent(args.episodes)
    total = Counter()
    for name, (wins, episodes) in results.items():
        total["wins"] += wins
        total["episodes"] += episodes
        print(f"random agent {name:9s} {wins / episodes:6.1%} ({wins}/{episodes}, 30 steps)")
    print(f"random agent all       {total['wins'] / total['episodes']:6.1%}")


if __name__ == "__main__":
    main()
