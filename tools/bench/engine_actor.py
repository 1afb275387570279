"""Rollout engine and PPO actor throughput of the tiny CPU model; the cost of the vocabulary.

    uv run python tools/bench/engine_actor.py [--prompts 32] [--new-tokens 48] [--threads 2]

On real Sokoban play prompts (Qwen3 chat template, ~480 tokens each) with the default
tiny Qwen3 model (hidden 64, 2 layers), prints the best of ``--repeats`` runs of:

- generation: HFEngine (own KV-cached loop) vs ``model.generate``, tokens/s;
- one PPO update (old log-prob recompute + forward/backward + AdamW) over the
  generated rows, response tokens/s;
- both again with a 4,096-token vocabulary instead of Qwen3's 151,680 (same prompt
  lengths; ids folded into range), to show what the real tokenizer costs.

Responses never stop early here (stop ids disabled), so every run decodes exactly
``--new-tokens`` per prompt.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch

import lamer_envs  # noqa: F401  (registers the lamer/* env ids)
from lamer_memory.config import PromptConfig
from lamer_memory.prompts import play_messages
from lamer_memory.trial_memory import TrialMemory
from lamer_train.actor import Actor, ActorConfig
from lamer_train.engines.base import SamplingConfig
from lamer_train.engines.hf import HFEngine
from lamer_train.model_factory import ModelConfig, build_tiny_model, load_tokenizer

SMALL_VOCAB = 4096


def sokoban_prompts(count: int) -> list[list[dict[str, str]]]:
    env = gym.make("lamer/Sokoban-v0")
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
        "hf": tokens / hf_s,
        "update": tokens / update_s,
        "update_s": update_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    tokenizer = load_tokenizer("qwen3")
    config = ModelConfig()
    prompts = sokoban_prompts(args.prompts)
    real = build_tiny_model(tokenizer, config, seed=0)
    real_engine = HFEngine(real, tokenizer)
    prompt_ids = [real_engine.encode_prompt(p) for p in prompts]
    real_engine.stop_ids = []
    print(
        f"{args.prompts} Sokoban prompts, mean {np.mean([len(p) for p in prompt_ids]):.0f} tokens; "
        f"{args.new_tokens} new tokens each; tiny Qwen3 hidden {config.tiny_hidden_size}, "
        f"{config.tiny_num_layers} layers; {args.threads} threads"
    )

    small = build_tiny_model(tokenizer, config, seed=0)
    small.resize_token_embeddings(SMALL_VOCAB)
    small_engine = HFEngine(small, tokenizer)
    small_engine.stop_ids, small_engine.pad_id = [], 0
    small_ids = [[token % SMALL_VOCAB for token in ids] for ids in prompt_ids]

    rows = [
        (f"Qwen3 vocab ({real.config.vocab_size:,})", measure(real, real_engine, prompt_ids, args)),
        (f"small vocab ({SMALL_VOCAB:,})", measure(small, small_engine, small_ids, args)),
    ]
    print(
        f"{'':24s} {'HFEngine tok/s':>15s} {'model.generate':>15s} {'ratio':>6s} {'PPO update tok/s':>17s}"
    )
    for name, m in rows:
        print(
            f"{name:24s} {m['own']:15.0f} {m['hf']:15.0f} {m['own'] / m['hf']:6.2f} {m['update']:17.0f}"
        )
    (_, big), (_, little) = rows
    print(
        f"151k vocabulary costs: generation x{little['own'] / big['own']:.1f} slower, "
        f"PPO update x{little['update'] / big['update']:.1f} slower than a {SMALL_VOCAB}-token vocabulary"
    )


if __name__ == "__main__":
    main()
