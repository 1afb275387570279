"""Jobs the distributed tests run twice: in one process, and under torchrun with 2 ranks.

    python distributed_worker.py update OUT            # one process
    torchrun --nproc-per-node 2 distributed_worker.py update OUT
    ... load RUN_DIR OUT                               # restore a checkpoint, dump it
    ... lora OUT                                       # the update job of a LoRA actor
    ... lora_load RUN_DIR OUT                          # a LoRA actor restores RUN_DIR

``update``: PPO updates of a fresh tiny actor on fixed rows (two loss settings), then a
checkpoint of the first in ``OUT/run`` (sharded under torchrun). ``load``: a fresh actor
with other initial weights restores ``RUN_DIR``'s checkpoint. Rank 0 writes what it
saw to ``OUT/result.pt``: metrics, whole weights, whole optimizer state. ``lora``: one
update of a LoRA actor (adapters added before the sharding, as the trainer does); the
result holds its weights with the adapters merged. The model is the tests' tiny one, as
JSON of a ``ModelConfig`` in ``LAMER_TEST_MODEL`` (set by ``conftest.run_worker``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import torch
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

from lamer_train.actor import Actor, ActorConfig
from lamer_train.actor_config import LoraConfig
from lamer_train.checkpoint import TrainerState, save_checkpoint
from lamer_train.distributed import (
    close_distributed,
    engine_weights,
    init_distributed,
    is_distributed,
    is_main_rank,
    shard_model,
)
from lamer_train.lora import MergedWeights, adapt_policy, lora_scalings
from lamer_train.model_factory import ModelConfig, build_tiny_model, load_tokenizer
from lamer_train.sharded_checkpoint import restore_sharded, save_sharded

MODEL_VARIABLE = "LAMER_TEST_MODEL"

#: The tests' tiny model (``conftest.TINY_MODEL``), passed by the launching test.
MODEL = ModelConfig.model_validate_json(os.environ[MODEL_VARIABLE])
#: (loss_normaliser, loss_agg_mode): the exact normaliser and the reference's.
SETTINGS = [("mini_batch", "token-mean"), ("micro_batch", "seq-mean-token-sum")]


def rows() -> tuple[list[tuple[list[int], list[int]]], np.ndarray]:
    """Seven rows of different lengths: micro-batches of 1 row in mini-batches of 4 give
    4 + 3 micro-batches, so with 2 ranks one rank runs a filler pass."""
    rng = np.random.default_rng(0)
    samples = [
        ([int(t) for t in rng.integers(0, 8000, 4 + i)], [int(t) for t in rng.integers(0, 8000, 2 + 2 * i)])
        for i in range(7)
    ]  # fmt: skip
    return samples, rng.normal(size=7)


def new_actor(
    seed: int, normaliser: str = "mini_batch", agg: str = "token-mean", lora: bool = False
) -> Actor:
    model = build_tiny_model(load_tokenizer("qwen3-8192"), MODEL, seed=seed)
    config = ActorConfig(
        lr=1e-2 if lora else 1e-3,
        mini_batch_size=4,
        micro_batch_size=1,
        entropy_coef=0.01,
        loss_normaliser=normaliser,
        loss_agg_mode=agg,
        lora=LoraConfig(rank=4, alpha=8.0) if lora else None,
    )
    return Actor(shard_model(adapt_policy(model, config)), config)


def snapshot(actor: Actor) -> dict:
    """Whole weights and whole optimizer state (every rank takes part in the gathers)."""
    weights = {name: t.detach().clone() for name, t in engine_weights(actor.model).items()}
    _, optimizer = get_state_dict(
        actor.model, actor.optimizer, options=StateDictOptions(full_state_dict=True)
    )
    return {"weights": weights, "optimizer": optimizer["state"], "updates": actor.updates_done}


def update(out: Path) -> dict:
    samples, advantages = rows()
    result = {"initial": snapshot(new_actor(0))["weights"]}
    for normaliser, agg in SETTINGS:
        actor = new_actor(0, normaliser, agg)
        metrics = actor.update(samples, advantages)
        result[normaliser] = {"metrics": metrics, **snapshot(actor)}
        if normaliser == "mini_batch":
            state = TrainerState(iteration=1, data_position=4)
            if is_distributed():
                save_sharded(out / "run", state, actor)
            else:
                save_checkpoint(out / "run", state, actor.state_dict())
    return result


def merged_weights(actor: Actor) -> dict[str, torch.Tensor]:
    merged = MergedWeights(engine_weights(actor.model), lora_scalings(actor.model))
    return {name: t.detach().clone() for name, t in merged.items()}


def lora_update(out: Path) -> dict:
    samples, advantages = rows()
    actor = new_actor(0, lora=True)
    initial = merged_weights(actor)
    metrics = actor.update(samples, advantages)
    state = TrainerState(iteration=1, data_position=4)
    if is_distributed():
        save_sharded(out / "run", state, actor)
    else:  # model/ holds the merged weights, actor.pt the adapters
        save_checkpoint(out / "run", state, actor.state_dict(), policy=actor.model)
    return {"initial": initial, "metrics": metrics, "weights": merged_weights(actor)}


def lora_load(run_dir: Path) -> dict:
    actor = new_actor(0, lora=True)  # the same base; the adapters must come from the checkpoint
    if restore_sharded(run_dir, actor) is None:
        from lamer_train.checkpoint import load_checkpoint

        actor.load_state_dict(load_checkpoint(run_dir).actor_state)
    return {"weights": merged_weights(actor), "updates": actor.updates_done}


def load(run_dir: Path) -> dict:
    actor = new_actor(seed=1)  # other initial weights: everything must come from the checkpoint
    state = restore_sharded(run_dir, actor)
    if state is None:  # a one-process checkpoint in one process: the plain path
        from lamer_train.checkpoint import load_checkpoint

        loaded = load_checkpoint(run_dir)
        actor.load_state_dict(loaded.actor_state)
        state = loaded.state
    return {"state": state.iteration, **snapshot(actor)}


def main() -> None:
    job, *paths = sys.argv[1:]
    torch.set_num_threads(1)
    init_distributed()
    out = Path(paths[-1])
    jobs = {
        "update": lambda: update(out),
        "load": lambda: load(Path(paths[0])),
        "lora": lambda: lora_update(out),
        "lora_load": lambda: lora_load(Path(paths[0])),
    }
    result = jobs[job]()
    if is_main_rank():
        result["world_size"] = int(os.environ.get("WORLD_SIZE", "1"))
        torch.save(result, out / "result.pt")
    close_distributed()  # every rank leaves together


if __name__ == "__main__":
    main()
