"""Benchmark: the built-in WebShop catalog, its BM25 search and the env.

    uv run python tools/bench/webshop.py [--products 50000] [--queries 500] [--steps 3000]

Measures, single process:

- building the generated catalog (generation, loading, goals, BM25 index) at
  ``--products`` products (default 50,000) and at the env's default 3,000;
- search latency per query (median and p95, wall and process CPU time: the machine may
  be shared) over goal instructions, the queries an agent would type; target < 5 ms per
  query at 50,000 products;
- env steps/s with a random policy over available actions (search, clicks, buys;
  rendering, available actions and scoring included), and the scripted oracle's win
  rate and episodes/s on the test goals.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lamer_envs.webshop.config import WebShopConfig
from lamer_envs.webshop.env import WebShopEnv
from lamer_envs.webshop.oracle import play_oracle
from lamer_envs.webshop.shop import get_shop

TARGET_SEARCH_MS = 5.0


def bench_build(num_products: int) -> float:
    """Seconds to build (and cache) the shop of ``num_products`` generated products."""
    start = time.perf_counter()
    get_shop(WebShopConfig(num_products=num_products))
    return time.perf_counter() - start


def bench_search(num_products: int, num_queries: int) -> None:
    shop = get_shop(WebShopConfig(num_products=num_products))
    goals = shop.goals("all")
    rng = np.random.default_rng(0)
    queries = [
        goals[int(i)]["instruction_text"] for i in rng.integers(len(goals), size=num_queries)
    ]
    shop.search(queries[0])  # warm-up
    wall, cpu = [], []
    for query in queries:
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        shop.search(query)
        cpu.append(time.process_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
    wall_ms, cpu_ms = np.array(wall) * 1e3, np.array(cpu) * 1e3
    median = float(np.median(wall_ms))
    print(
        f"search over {len(shop.catalog):,} products, {len(goals):,} goals: "
        f"wall median {median:.2f} ms, p95 {np.percentile(wall_ms, 95):.2f} ms; "
        f"CPU median {np.median(cpu_ms):.2f} ms, p95 {np.percentile(cpu_ms, 95):.2f} ms "
        f"per query (target < {TARGET_SEARCH_MS} ms; wall median/target = "
        f"{median / TARGET_SEARCH_MS:.2f})"
    )


def bench_steps(num_steps: int) -> None:
    env = WebShopEnv()
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    episodes = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(num_steps):
        _, _, terminated, truncated, _ = env.step(env.sample_action(rng))
        if terminated or truncated:
            episodes += 1
            env.reset(seed=int(rng.integers(2**31)))
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    print(
        f"env steps (random policy, {len(env.shop.catalog):,} products): "
        f"{num_steps / seconds:,.0f} steps/s wall, {num_steps / cpu_seconds:,.0f} steps/s CPU "
        f"({episodes} episodes ended)"
    )


def bench_oracle() -> None:
    env = WebShopEnv(split="test")
    goals = len(env.shop.goals("test"))
    start = time.perf_counter()
    results = [play_oracle(env, index) for index in range(goals)]
    seconds = time.perf_counter() - start
    wins = sum(result.won for result in results)
    steps = sum(result.steps for result in results)
    print(
        f"oracle on {goals} test goals: won {wins / goals:.1%}, "
        f"{goals / seconds:,.0f} episodes/s, {steps / seconds:,.0f} steps/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--steps", type=int, default=3_000)
    args = parser.parse_args()

    for size in (3_000, args.products):
        print(
            f"build shop ({size:,} products: generate, load, goals, index): {bench_build(size):.2f} s"
        )
    bench_search(args.products, args.queries)
    bench_search(3_000, args.queries)
    bench_steps(args.steps)
    bench_oracle()


if __name__ == "__main__":
    main()
