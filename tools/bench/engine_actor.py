"""Rollout engine and PPO actor throughput of the tiny CPU model, per tokenizer.

    uv run python tools/bench/engine_actor.py [--prompts 16] [--new-tokens 32] [--threads 1]

On real Sokoban play prompts (Qwen3 chat template) with the default tiny Qwen3 model
(hidden 64, 2 layers), for the full Qwen3 tokenizer (151,669 tokens) and its truncated
variants (``qwen3-8192``: the tiny default; ``qwen3-4096``), prints the best of
``--repeats`` runs of:

- generation: HFEngine (own KV-cached loop) vs ``model.generate``, tokens/s and seconds
  per batch;
- one PPO update (old log-prob recompute + forward/backward + AdamW) over the
  generated rows, response tokens/s.

Responses never stop early here (stop ids disabled), so every run decodes exactly
``--new-tokens`` per prompt. On a shared machine prefer ``--threads 1``: OpenMP threads
spin-waiting on oversubscribed cores can make 2 threads many times slower than 1.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch

import lamer_envs
from lamer_memory.config import PromptConfig
from lamer_memory.prompts import play_messages
from lamer_memory.trial_memory import TrialMemory
from lamer_train.actor import Actor, ActorConfig
from lamer_train.engines.base import SamplingConfig
from lamer_train.engines.hf import HFEngine
from lamer_train.model_factory import ModelConfig, build_tiny_model, load_tokenizer


def first_play_prompts(env_id: str, count: int) -> list[list[dict[str, str]]]:
    """The first play prompt of env seeds ``0..count-1`` (also used by vllm_engine.py)."""
    lamer_envs.register_envs()
    env = gym.make(env_id)
    prompts = []
    for seed in range(count):
        observation, _ = env.reset(seed=seed)
        inner = env.unwrapped
        prompts.append(
            play_messages(
                TrialMemory(observation),
                rules=inner.rules,
                action_format=inner.action_format,
                config=PromptConfig(),
            )
        )
    return prompts


def best_of(repeats: int, run) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def measure(model, engine: HFEngine, prompt_ids: list[list[int]], args) -> dict[str, float]:
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=args.new_tokens)
    tokens = len(prompt_ids) * args.new_tokens
    own_s, completions = best_of(
        args.repeats, lambda: engine.generate_from_ids(prompt_ids, sampling, seed=0)
    )

    def hf_generate():
        width = max(map(len, prompt_ids))
        ids = torch.tensor([[engine.pad_id] * (width - len(p)) + p for p in prompt_ids])
        mask = (
            torch.arange(width)[None, :]
            >= torch.tensor([width - len(p) for p in prompt_ids])[:, None]
        ).long()
        with torch.inference_mode():
            return model.generate(
                input_ids=ids,
                attention_mask=mask,
                do_sample=True,
                max_new_tokens=args.new_tokens,
                min_new_tokens=args.new_tokens,
                pad_token_id=engine.pad_id,
                top_k=0,
                top_p=1.0,
                temperature=1.0,
            )

    hf_s, _ = best_of(args.repeats, hf_generate)
    samples = [(c.prompt_ids, c.response_ids) for c in completions]
    actor = Actor(model, ActorConfig(lr=1e-5, mini_batch_size=len(samples), micro_batch_size=8))
    advantages = np.linspace(-1.0, 1.0, len(samples))
    update_s, _ = best_of(args.repeats, lambda: actor.update(samples, advantages))
    return {
        "own": tokens / own_s,
        "own_s": own_s,
        "hf": tokens / hf_s,
        "update": tokens / update_s,
        "update_s": update_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tokenizers", nargs="+", default=["qwen3", "qwen3-8192", "qwen3-4096"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = ModelConfig()
    prompts = first_play_prompts("lamer/Sokoban-v0", args.prompts)
    print(
        f"{args.prompts} Sokoban prompts, {args.new_tokens} new tokens each; tiny Qwen3 hidden "
        f"{config.tiny_hidden_size}, {config.tiny_num_layers} layers; {args.threads} thread(s)"
    )
    print(
        f"{'tokenizer':12s} {'vocab':>7s} {'params':>7s} {'prompt':>7s} {'HFEngine tok/s':>15s} "
        f"{'s/batch':>8s} {'model.generate':>15s} {'ratio':>6s} {'PPO update tok/s':>17s}"
    )
    results = {}
    for name in args.tokenizers:
        tokenizer = load_tokenizer(name)
        model = build_tiny_model(tokenizer, config, seed=0)
        engine = HFEngine(model, tokenizer)
        prompt_ids = [engine.encode_prompt(p) for p in prompts]
        engine.stop_ids = []
        m = measure(model, engine, prompt_ids, args)
        results[name] = m
        params = sum(p.numel() for p in model.parameters()) / 1e6
        print(
            f"{name:12s} {model.config.vocab_size:7d} {params:6.1f}M {np.mean([len(p) for p in prompt_ids]):7.0f} "
            f"{m['own']:15.0f} {m['own_s']:8.2f} {m['hf']:15.0f} {m['own'] / m['hf']:6.2f} {m['update']:17.0f}"
        )
    if "qwen3" in results:
        full = results["qwen3"]
        for name, m in results.items():
            if name != "qwen3":
                print(
                    f"{name} vs qwen3: generation x{full['own_s'] / m['own_s']:.1f} faster per batch, "
                    f"PPO update x{full['update_s'] / m['update_s']:.1f} faster"
                )


if __name__ == "__main__":
    main()
