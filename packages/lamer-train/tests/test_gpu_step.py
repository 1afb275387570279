"""A bf16 FSDP2 actor update of a ~0.6B-parameter Qwen3 model (needs a CUDA device)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import Qwen3Config, Qwen3ForCausalLM

from lamer_train.actor import Actor, ActorConfig
from lamer_train.distributed import decoder_layers

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def _qwen3_0_6b_shape() -> Qwen3Config:
    """Qwen3-0.6B's architecture (randomly initialised here; nothing is downloaded)."""
    config = Qwen3Config(
        vocab_size=151_936,
        hidden_size=1024,
        intermediate_size=3072,
        num_hidden_layers=28,
        num_attention_heads=16,
        num_key_value_heads=8,
        head_dim=128,
        tie_word_embeddings=True,
        pad_token_id=0,
    )
    config._attn_implementation = "sdpa"
    return config


@pytest.fixture
def process_group(tmp_path):
    """A one-process NCCL group, enough for ``fully_shard``."""
    torch.distributed.init_process_group(
        "nccl", rank=0, world_size=1, init_method=f"file://{tmp_path}/process-group"
    )
    yield
    torch.distributed.destroy_process_group()


@pytest.mark.parametrize("activation_checkpointing", [False, True])
def test_bf16_fsdp2_update_moves_float32_weights_of_a_half_billion_parameter_model(
    process_group, activation_checkpointing
):
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    torch.manual_seed(0)
    with torch.device("cuda"):
        model = Qwen3ForCausalLM(_qwen3_0_6b_shape())
    parameters = sum(p.numel() for p in model.parameters())
    assert 0.5e9 < parameters < 0.7e9
    # fp32 parameters, bf16 compute, fp32 gradient reduction.
    policy = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
    for layer in decoder_layers(model):
        fully_shard(layer, mp_policy=policy)
    fully_shard(model, mp_policy=policy)
    before = {name: p.detach().full_tensor().clone() for name, p in model.named_parameters()}

    actor = Actor(
        model,
        ActorConfig(
            lr=1e-5,
            mini_batch_size=4,
            micro_batch_size=4,
            micro_batch_tokens=1024,
            activation_checkpointing=activation_checkpointing,
        ),
        compute_dtype="bfloat16",
    )
    rng = np.random.default_rng(0)
    samples = [(row[:384], row[384:]) for row in rng.integers(1, 151_936, size=(4, 512))]
    metrics = actor.update(samples, [1.0, -1.0, 0.5, -0.5])

    assert metrics["optimizer_steps"] == 1.0 and metrics["skipped_steps"] == 0.0
    assert np.isfinite(metrics["loss"]) and np.isfinite(metrics["entropy"])
    assert 0 < metrics["grad_norm"] < float("inf")
    for name, p in model.named_parameters():
        assert p.dtype == torch.float32, name  # the master weights stay float32
    moments = [s["exp_avg"] for s in actor.optimizer.state.values()]
    assert moments and all(m.dtype == torch.float32 for m in moments)
    after = {name: p.detach().full_tensor() for name, p in model.named_parameters()}
    changed = [name for name in before if not torch.equal(before[name], after[name])]
    assert len(changed) == len(before)  # every weight moved (AdamW's first step ~ lr)
    steps = [(after[n] - before[n]).abs().max().item() for n in before]
    assert max(steps) <= 1.1e-5 * (1 + 1e-3)  # lr-sized, weight decay included
