"""FSDP2 under torchrun: one sharded update over 2 gloo ranks equals the single-process
update; the helpers are no-ops in one process; a real sharded step on a GPU."""

from __future__ import annotations

import pytest
import torch

from lamer_train.actor import Actor, ActorConfig
from lamer_train.critic import ValueModel
from lamer_train.distributed import (
    decoder_layers,
    group_share,
    init_distributed,
    micro_batch_share,
    shard_model,
    world_size,
)


def max_difference(left: dict[str, torch.Tensor], right: dict[str, torch.Tensor]) -> float:
    assert set(left) == set(right)
    return max(float((left[name] - right[name]).abs().max()) for name in left)


@pytest.mark.parametrize("normaliser", ["mini_batch", "micro_batch"])
def test_sharded_update_on_two_ranks_equals_the_single_process_update(updates, normaliser):
    one, two = updates[1][normaliser], updates[2][normaliser]
    assert updates[2]["world_size"] == 2
    for name in ("loss", "pg_loss", "entropy", "ppo_kl"):
        assert two["metrics"][name] == pytest.approx(one["metrics"][name], rel=1e-5, abs=1e-7)
    assert two["metrics"]["grad_norm"] == pytest.approx(one["metrics"]["grad_norm"], rel=1e-4)
    assert two["metrics"]["optimizer_steps"] == one["metrics"]["optimizer_steps"] == 2
    # The update moved the weights (lr 1e-3 per step), the same way on both sides.
    assert max_difference(updates[1]["initial"], one["weights"]) > 1e-4
    assert max_difference(one["weights"], two["weights"]) < 1e-5
    assert max_difference(moments(one), moments(two)) < 1e-6


def moments(result: dict) -> dict[str, torch.Tensor]:
    """AdamW's first and second moments by parameter name."""
    state = result["optimizer"]
    return {
        f"{name}/{key}": s[key] for name, s in state.items() for key in ("exp_avg", "exp_avg_sq")
    }


def test_single_process_is_not_sharded(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    model = torch.nn.Linear(2, 2)
    assert world_size() == 1
    assert shard_model(model) is model
    assert init_distributed().type in {"cpu", "cuda"}
    assert micro_batch_share([[0, 1], [2]]) == [([0, 1], 1.0), ([2], 1.0)]


def test_group_share_cuts_contiguous_blocks_covering_every_group(monkeypatch):
    blocks = []
    for rank in range(3):
        monkeypatch.setenv("WORLD_SIZE", "3")
        monkeypatch.setenv("RANK", str(rank))
        blocks.append(list(group_share(7)))
    assert blocks == [[0, 1], [2, 3], [4, 5, 6]]


def test_decoder_layers_found_in_qwen3_and_the_critic_and_missing_elsewhere(model):
    assert len(decoder_layers(model)) == 2
    value_model = ValueModel(model.get_decoder(), model.config.hidden_size)
    assert decoder_layers(value_model) == list(model.model.layers)
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
