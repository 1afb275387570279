"""Where the time of one training iteration goes.

    uv run python tools/bench/iteration.py                      # CPU default config
    uv run python tools/bench/iteration.py --iterations 3 trial.group_size=8

Builds the trainer from a config (the CPU default unless ``--config``), runs a few
training iterations without evaluation, and prints per iteration the split: generation
(engine), update (PPO: log-prob recompute, forward and backward, optimizer), env steps,
prompt building, advantages, and the rest. The last line is the fraction of the
iteration spent outside generation and the update (target: < 10%).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from lamer_train.config import load_config
from lamer_train.trainer import Trainer

PARTS = ("generation", "update", "env", "prompt", "advantages", "other")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=None)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    overrides = ["run.progress=false", "eval.at_start=false", "eval.every=100000", *args.overrides]
    config = load_config(args.config, overrides)
    config.run.iterations = args.iterations + 1  # keeps the end-of-run evaluation out

    with tempfile.TemporaryDirectory() as run_dir:
        started = time.perf_counter()
        trainer = Trainer(config, run_dir)
        print(f"setup (model, envs): {time.perf_counter() - started:.2f}s")
        totals = dict.fromkeys(PARTS, 0.0)
        for iteration in range(args.iterations):
            m = trainer.train_iteration(iteration).metrics
            whole = m["time/iteration_s"]
            split = {
                "generation": m["time/generation_s"],
                "update": m["time/update_s"],
                "env": m["time/env_s"],
                "prompt": m["time/prompt_s"],
                "advantages": m["time/advantages_s"],
            }
            split["other"] = whole - sum(split.values())
            for key, value in split.items():
                totals[key] += value
            shares = "  ".join(f"{k} {v:.2f}s ({100 * v / whole:.1f}%)" for k, v in split.items())
            print(
                f"iteration {iteration + 1}: {whole:.2f}s  {shares}  "
                f"[{m['rollout/rows']:.0f} rows, {m['speed/response_tokens']:.0f} response tokens, "
                f"{m['speed/tokens_per_s']:.0f} tok/s]"
            )
    whole = sum(totals.values())
    outside = whole - totals["generation"] - totals["update"]
    print(
        f"total {whole:.2f}s; outside generation + update: {outside:.2f}s = "
        f"{100 * outside / whole:.1f}% (target < 10%)"
    )


if __name__ == "__main__":
    main()
