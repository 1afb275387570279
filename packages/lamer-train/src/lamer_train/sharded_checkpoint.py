"""Checkpoints of a torchrun job: every rank writes its own shard (``torch.distributed.checkpoint``).

Layout of ``<run_dir>/checkpoints/iter_000004/`` when the run has several ranks::

    sharded/            torch.distributed.checkpoint files: one .distcp file per rank
                        and .metadata; actor weights, optimizer state and update counter
                        (and the critic's), each tensor stored as its shards
    rng/rank_<r>.pt     each rank's torch RNG states
    trainer_state.json  iteration, data position, trainer extras (as in one process)
    manifest.json       size and SHA-256 of every file (written last, by rank 0)

The write is atomic as in one process (:mod:`lamer_train.checkpoint`): all ranks write
into one hidden ``.tmp-*`` folder named by rank 0, rank 0 writes the manifest and
renames it once every rank is done. The run folder must be on storage every node sees.

Loading reshards: a checkpoint written by N ranks loads into M ranks, or into one
process (:func:`load_sharded`); a one-process checkpoint loads into a sharded actor
(:func:`load_full_into_sharded`). ``lamer-train export`` turns a sharded checkpoint
into a Hugging Face model folder (:func:`read_sharded_weights`).
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_state_dict,
    set_state_dict,
)

from lamer_train.checkpoint import (
    TrainerState,
    checkpoint_name,
    load_checkpoint,
    refuse_non_finite,
    restore_rng_states,
    rng_states,
)
from lamer_train.checkpoint_files import (
    CHECKPOINTS,
    CheckpointError,
    find_resume_checkpoint,
    publish_checkpoint,
    remove_stale_temporaries,
    seal_checkpoint,
    verify_checkpoint,
)
from lamer_train.distributed import (
    barrier,
    broadcast_object,
    gather_objects,
    is_distributed,
    is_main_rank,
    rank,
)
from lamer_train.lora import is_lora_state

SHARDED_DIR = "sharded"
"""Sub-folder of a checkpoint holding the ``torch.distributed.checkpoint`` files."""


def is_sharded_checkpoint(folder: Path) -> bool:
    return (Path(folder) / SHARDED_DIR).is_dir()


def _learner_state(learner: Any) -> dict[str, Any]:
    """Weights and optimizer state keyed by parameter name (what resharding needs)."""
    model_state, optimizer_state = get_state_dict(learner.model, learner.optimizer)
    return {
        "model": model_state,
        "optimizer": optimizer_state,
        "updates_done": learner.updates_done,
    }


def _local_non_finite(state: Any, where: str = "") -> list[str]:
    """Names of the floating tensors of this rank's shards holding NaN or inf."""
    if isinstance(state, torch.Tensor):
        local = state.to_local() if hasattr(state, "to_local") else state
        bad = local.is_floating_point() and not bool(torch.isfinite(local).all())
        return [where] if bad else []
    if isinstance(state, dict):
        return [x for k, v in state.items() for x in _local_non_finite(v, f"{where}.{k}")]
    return []


def save_sharded(
    run_dir: Path,
    state: TrainerState,
    actor: Any,
    critic: Any = None,
    *,
    keep_last: int = 2,
) -> Path:
    """Write the checkpoint of ``state.iteration`` from every rank (a collective call);
    returns its folder. Non-finite weights are never saved (every rank raises
    :class:`CheckpointError`, the previous checkpoint stays)."""
    root = Path(run_dir) / CHECKPOINTS
    name = checkpoint_name(state.iteration)
    learners = {"actor": _learner_state(actor)}
    if critic is not None:
        learners["critic"] = _learner_state(critic)
    bad = sorted(
        {x.lstrip(".") for part in gather_objects(_local_non_finite(learners)) for x in part}
    )
    refuse_non_finite(run_dir, name, bad)
    tmp = None
    if is_main_rank():
        root.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(root)
        tmp = root / f".tmp-{name}-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        (tmp / "rng").mkdir(parents=True)
    tmp = broadcast_object(tmp)
    dcp.save(learners, checkpoint_id=tmp / SHARDED_DIR)
    torch.save(rng_states(), tmp / "rng" / f"rank_{rank()}.pt")
    barrier()  # every rank's files are written
    final = root / name
    if is_main_rank():
        (tmp / "trainer_state.json").write_text(
            json.dumps(asdict(state), indent=2), encoding="utf-8"
        )
        seal_checkpoint(tmp)
        publish_checkpoint(tmp, final, keep_last)
    barrier()  # no rank goes on before the checkpoint is in place
    return final


def _load(state: dict[str, Any], folder: Path) -> None:
    with warnings.catch_warnings():
        # One process reading a sharded checkpoint is intended, not a missing process group.
        warnings.filterwarnings("ignore", message=".*assuming the intent is to load in a single")
        dcp.load(state, checkpoint_id=Path(folder) / SHARDED_DIR)


def load_sharded(folder: Path, actor: Any, critic: Any = None) -> TrainerState:
    """Restore the actor (and critic) from a sharded checkpoint, at any world size or in
    one process, and this rank's RNG states (rank 0's when the checkpoint had fewer
    ranks); returns the trainer state."""
    folder = Path(folder)
    state = {"actor": _learner_state(actor)}
    if critic is not None:
        state["critic"] = _learner_state(critic)
    try:
        _load(state, folder)
    except Exception as error:  # the reader raises its own types for missing keys
        raise CheckpointError(f"{folder / SHARDED_DIR} cannot be loaded: {error}") from None
    for key, learner in (("actor", actor), ("critic", critic)):
        if learner is None:
            continue
        loaded = state[key]
        set_state_dict(
            learner.model,
            learner.optimizer,
            model_state_dict=loaded["model"],
            optim_state_dict=loaded["optimizer"],
        )
        learner.updates_done = int(loaded["updates_done"])
    rng_file = folder / "rng" / f"rank_{rank()}.pt"
    if not rng_file.is_file():
        rng_file = folder / "rng" / "rank_0.pt"
    restore_rng_states(torch.load(rng_file, map_location="cpu", weights_only=True))
    return TrainerState(**json.loads((folder / "trainer_state.json").read_text(encoding="utf-8")))


def load_full_into_sharded(learner: Any, full_state: dict[str, Any]) -> None:
    """A one-process state (``Actor.state_dict()`` / ``Critic.state_dict()``: whole
    weights, optimizer state keyed by parameter position) into a sharded learner."""
    names = [name for name, p in learner.model.named_parameters() if p.requires_grad]
    optimizer = full_state["optimizer"]
    by_name = {
        "state": {names[i]: value for i, value in optimizer["state"].items()},
        "param_groups": [
            {**group, "params": [names[i] for i in group["params"]]}
            for group in optimizer["param_groups"]
        ],
    }
    weights = dict(full_state["model"])
    # actor.lora: a one-process checkpoint keeps the weights merged (model/) and the
    # adapters apart; the adapters go onto this run's (frozen) base.
    adapters_only = "adapters" in full_state and not is_lora_state(weights)
    if adapters_only:
        weights = dict(full_state["adapters"])
    own = learner.model.state_dict()
    for name in own:  # a tied output head is stored once by save_pretrained
        if name not in weights and name.endswith("lm_head.weight") and not adapters_only:
            weights[name] = weights[name.replace("lm_head.weight", "model.embed_tokens.weight")]
    set_state_dict(
        learner.model,
        learner.optimizer,
        model_state_dict=weights,
        optim_state_dict=by_name,
        options=StateDictOptions(full_state_dict=True, strict=not adapters_only),
    )
    learner.updates_done = int(full_state.get("updates_done", 0))


def restore_sharded(
    path: Path, actor: Any, critic: Any = None, *, verify: bool = True
) -> TrainerState | None:
    """Restore a sharded checkpoint (at any world size), or a one-process checkpoint into
    a sharded actor; ``None`` (nothing done) for a one-process checkpoint in one process,
    which :func:`lamer_train.checkpoint.load_checkpoint` reads. ``path``: a checkpoint
    folder or a run folder (its newest intact checkpoint)."""
    folder = Path(path)
    if not (folder / "trainer_state.json").is_file():
        newest = find_resume_checkpoint(folder).checkpoint
        if newest is None:
            raise FileNotFoundError(f"{folder}: no complete checkpoint under {CHECKPOINTS}/")
        folder = newest
    if not is_sharded_checkpoint(folder) and not is_distributed():
        return None
    reason = verify_checkpoint(folder) if verify else None
    if reason is not None:
        raise CheckpointError(f"checkpoint {folder} is damaged: {reason}")
    if critic is not None and not _holds_critic(folder):
        raise ValueError(f"{folder} holds no critic state, but this run trains a critic")
    if is_sharded_checkpoint(folder):
        return load_sharded(folder, actor, critic)
    loaded = load_checkpoint(folder, verify=False)  # written by one process
    load_full_into_sharded(actor, loaded.actor_state)
    if critic is not None and loaded.critic_state is not None:
        load_full_into_sharded(critic, loaded.critic_state)
    restore_rng_states(loaded.rng)
    return loaded.state


def _holds_critic(folder: Path) -> bool:
    if not is_sharded_checkpoint(folder):
        return (folder / "critic.pt").is_file()
    reader = dcp.FileSystemReader(str(folder / SHARDED_DIR))
    return any(key.startswith("critic.") for key in reader.read_metadata().state_dict_metadata)


def read_sharded_weights(folder: Path, model: torch.nn.Module) -> None:
    """Fill ``model`` (a plain one-process module of the run's architecture) with the
    actor weights of a sharded checkpoint."""
    weights = model.state_dict()
    try:
        _load({"actor": {"model": weights}}, folder)
    except Exception as error:
        raise CheckpointError(f"{Path(folder) / SHARDED_DIR} cannot be loaded: {error}") from None
    model.load_state_dict(weights)
