"""FSDP2 wrap helper: a no-op in one process; a real sharded PPO step on GPUs."""

from __future__ import annotations

import pytest
import torch

from lamer_train.actor import Actor, ActorConfig
from lamer_train.distributed import decoder_layers, init_distributed, shard_model, world_size


def test_single_process_is_not_sharded(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    model = torch.nn.Linear(2, 2)
    assert world_size() == 1
    assert shard_model(model) is model
    assert init_distributed().type in {"cpu", "cuda"}


def test_decoder_layers_found_in_qwen3_and_missing_elsewhere(model):
    assert len(decoder_layers(model)) == 2
    with pytest.raises(ValueError, match="decoder layers"):
        decoder_layers(torch.nn.Linear(2, 2))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fully_sharded_actor_update_on_one_gpu(tmp_path, model, tokenizer):
    """fully_shard over a one-process group: the actor's forward/backward and step run."""
    torch.distributed.init_process_group(
        "nccl", rank=0, world_size=1, init_method=f"file://{tmp_path}/pg"
    )
    try:
        from torch.distributed.fsdp import fully_shard

        model = model.cuda()
        for layer in decoder_layers(model):
            fully_shard(layer)
        fully_shard(model)
        actor = Actor(model, ActorConfig(lr=1e-3, mini_batch_size=2, micro_batch_size=1))
        ids = tokenizer("push the box", add_special_tokens=False)["input_ids"]
        metrics = actor.update([(ids, ids[:2]), (ids[:2], ids)], [1.0, -1.0])
        assert metrics["optimizer_steps"] == 1
    finally:
        torch.distributed.destroy_process_group()
