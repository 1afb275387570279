"""model.compile_blocks: compiled decoder blocks give the eager losses, updates and
samples; decoding with a KV cache stays eager; parameter names do not change."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch._dynamo.utils import counters

from lamer_train.actor import Actor, ActorConfig
from lamer_train.block_compile import compile_decoder_blocks
from lamer_train.engines.base import SamplingConfig
from lamer_train.engines.hf import HFEngine

ROWS = [
    ("Solve the puzzle. State: box at 2,3.", "<action>up</action>"),
    ("Reflect on the failed attempt.", "Keep the box away from the walls next time."),
    ("Short.", "down"),
]


def _trained_weights(model, samples, advantages) -> tuple[dict[str, float], torch.Tensor]:
    actor = Actor(model, ActorConfig(lr=1e-3, mini_batch_size=3, micro_batch_size=2))
    metrics = actor.update(samples, advantages)
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    return metrics, flat


def test_compiled_blocks_update_like_eager_blocks(build_model, encode_rows):
    samples = encode_rows(ROWS)
    advantages = np.array([1.0, -0.5, 2.0])
    eager_metrics, eager = _trained_weights(build_model(seed=0), samples, advantages)

    model = build_model(seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert compile_decoder_blocks(model) == len(model.model.layers)
    assert [name for name, _ in model.named_parameters()] == names
    counters.clear()
    metrics, compiled = _trained_weights(model, samples, advantages)
    assert counters["frames"]["total"] > 0  # the training passes went through torch.compile

    assert metrics["pg_loss"] == pytest.approx(eager_metrics["pg_loss"], abs=1e-5)
    assert (compiled - eager).abs().max() <= 1e-4 * eager.abs().max()


def test_cached_decoding_runs_eager_and_samples_like_the_eager_model(build_model, tokenizer):
    sampling = SamplingConfig(temperature=0.0, max_new_tokens=8)
    prompts = [[{"role": "user", "content": "Which way? Answer with an action."}]]
    eager = HFEngine(build_model(seed=0), tokenizer).generate(prompts, sampling, seed=1)

    model = build_model(seed=0)
    compile_decoder_blocks(model)
    counters.clear()
    completions = HFEngine(model, tokenizer).generate(prompts, sampling, seed=1)

    assert [c.response_ids for c in completions] == [c.response_ids for c in eager]
    assert counters["frames"]["total"] == 0  # no block forward reached torch.compile
