"""Atomic checkpoints of a training run.

Layout under ``<run_dir>/checkpoints/``::

    iter_000004/            one complete checkpoint (4 iterations done)
        model/              the policy in Hugging Face layout (``save_pretrained``):
                            config.json, generation_config.json, *.safetensors and the
                            tokenizer files, loadable by ``from_pretrained`` and vLLM
        actor.pt            optimizer state and update counter (``Actor.state_dict()``
                            without the weights, which live in model/ only)
        critic.pt           value model + optimizer (``Critic.state_dict()``), when trained
        rng.pt              torch RNG states
        trainer_state.json  iteration, data position, anything the trainer adds
        manifest.json       size and SHA-256 of every other file (written last)
    latest                  text file: name of the newest complete checkpoint

Without a ``policy`` (:func:`save_checkpoint`), ``actor.pt`` holds the whole actor
state, weights included, and there is no ``model/``.

A checkpoint is written into a hidden ``.tmp-*`` folder, flushed to disk, then renamed
into place; ``latest`` is replaced the same way. A run killed at any moment therefore
leaves either the previous checkpoint or the new one, never a half-written one.
Weights that are not finite are never saved (the previous checkpoint stays), a full disk
is reported naming the folder and the space needed, and leftover ``.tmp-*`` folders of a
killed run are removed at the next save. Resume verifies the manifests and falls back
to the newest intact checkpoint (:func:`~lamer_train.checkpoint_files.find_resume_checkpoint`).
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from lamer_train.checkpoint_files import (
    CHECKPOINT_PREFIX,
    CHECKPOINTS,
    LATEST,
    MANIFEST,
    CheckpointError,
    find_resume_checkpoint,
    folder_size,
    list_checkpoints,
    publish_checkpoint,
    remove_stale_temporaries,
    seal_checkpoint,
    verify_checkpoint,
    write_text_atomic,
)
from lamer_train.lora import has_lora, hf_weights

__all__ = [
    "CheckpointError",
    "LoadedCheckpoint",
    "TrainerState",
    "latest_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "save_checkpoint",
    "write_text_atomic",
]

MODEL_DIR = "model"
"""Sub-folder of a checkpoint holding the policy in Hugging Face layout."""
_PREFIX = CHECKPOINT_PREFIX


@dataclass(slots=True)
class TrainerState:
    """Where a run stands; saved with every checkpoint."""

    iteration: int
    """Iterations completed. A resumed run starts with iteration index ``iteration``."""
    data_position: int
    """Training tasks consumed so far (index of the next task in the ``train`` split)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """JSON-serialisable trainer extras (e.g. the first evaluation, for the final table)."""


def checkpoint_name(iteration: int) -> str:
    return f"{_PREFIX}{iteration:06d}"


def rng_states() -> dict[str, Any]:
    """The torch RNG states (CPU, and CUDA when present)."""
    states: dict[str, Any] = {"torch_cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["torch_cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch_cpu"])
    if "torch_cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["torch_cuda"])


def non_finite_tensors(state: Any, where: str = "") -> list[str]:
    """Names of the floating tensors under ``state`` (nested dicts/lists) holding NaN or inf."""
    if isinstance(state, torch.Tensor):
        bad = state.is_floating_point() and not bool(torch.isfinite(state).all())
        return [where or "tensor"] if bad else []
    if isinstance(state, dict):
        return [
            x for k, v in state.items() for x in non_finite_tensors(v, f"{where}.{k}".lstrip("."))
        ]
    if isinstance(state, (list, tuple)):
        return [x for i, v in enumerate(state) for x in non_finite_tensors(v, f"{where}[{i}]")]
    return []


def refuse_non_finite(run_dir: Path, name: str, bad: list[str]) -> None:
    """Raise :class:`CheckpointError` when ``bad`` names tensors holding NaN or inf:
    checkpoint ``name`` is not written and the last finite one is kept."""
    if bad:
        kept = latest_checkpoint(run_dir)
        raise CheckpointError(
            f"checkpoint {name} not written: {len(bad)} tensors hold NaN or inf "
            f"(first: {bad[0]}); the last finite checkpoint "
            f"{kept.name if kept else '(none yet)'} is kept"
        )


def save_checkpoint(
    run_dir: Path,
    state: TrainerState,
    actor_state: dict[str, Any],
    *,
    policy: Any = None,
    tokenizer: Any = None,
    keep_last: int = 2,
    critic_state: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint for ``state.iteration`` atomically; returns its folder.

    ``policy`` (a transformers ``PreTrainedModel``) and its ``tokenizer``, when given,
    are written to ``model/`` with ``save_pretrained`` and ``actor_state["model"]`` is
    left out of ``actor.pt``. ``keep_last`` newest checkpoints are kept (``<= 0`` keeps all).
    Raises :class:`CheckpointError` (and leaves the existing checkpoints alone) when a
    weight or optimizer tensor is not finite or the disk is full.
    """
    root = Path(run_dir) / CHECKPOINTS
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(root)
    name = checkpoint_name(state.iteration)
    bad = non_finite_tensors(actor_state) + non_finite_tensors(critic_state or {}, "critic")
    refuse_non_finite(run_dir, name, bad)
    final = root / name
    tmp = root / f".tmp-{name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        tmp.mkdir()
        if policy is not None:
            write_hf_model(tmp / MODEL_DIR, policy, tokenizer)
            actor_state = {key: value for key, value in actor_state.items() if key != "model"}
        torch.save(actor_state, tmp / "actor.pt")
        if critic_state is not None:
            torch.save(critic_state, tmp / "critic.pt")
        torch.save(rng_states(), tmp / "rng.pt")
        (tmp / "trainer_state.json").write_text(
            json.dumps(asdict(state), indent=2), encoding="utf-8"
        )
        seal_checkpoint(tmp)
    except (OSError, RuntimeError) as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if not _is_disk_full(error):
            raise
        previous = latest_checkpoint(run_dir)
        needed = f"about {folder_size(previous) / 1e9:.2f} GB" if previous else "unknown"
        raise CheckpointError(
            f"no space left on the device writing checkpoint {final}: it needs {needed} "
            "(the size of the previous checkpoint); free space and --resume"
        ) from None
    publish_checkpoint(tmp, final, keep_last)
    return final


def _is_disk_full(error: BaseException) -> bool:
    # torch.save reports a short write as a RuntimeError carrying the OS message.
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    return "No space left on device" in str(error) or "file write failed" in str(error)


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run, or ``None`` (no checksum check: resume
    uses :func:`~lamer_train.checkpoint_files.find_resume_checkpoint`)."""
    root = Path(run_dir) / CHECKPOINTS
    pointer = root / LATEST
    try:
        name = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else ""
    except (OSError, UnicodeDecodeError):  # a damaged pointer: look at the folders
        name = ""
    candidate = root / name
    if name.startswith(_PREFIX) and (candidate / MANIFEST).is_file():
        return candidate
    complete = [p for p in list_checkpoints(run_dir) if (p / MANIFEST).is_file()]
    return complete[-1] if complete else None


@dataclass(slots=True)
class LoadedCheckpoint:
    path: Path
    state: TrainerState
    actor_state: dict[str, Any]
    rng: dict[str, Any]
    critic_state: dict[str, Any] | None = None


def load_checkpoint(
    path: Path, *, map_location: str | torch.device = "cpu", verify: bool = True
) -> LoadedCheckpoint:
    """Read a checkpoint folder, or a run folder: its newest intact checkpoint.

    The manifest is verified first (``verify=False``: the caller just did); a damaged
    checkpoint raises :class:`CheckpointError` naming the file.
    """
    path = Path(path)
    if not (path / "trainer_state.json").is_file() and not (path / "manifest.json").is_file():
        newest = find_resume_checkpoint(path).checkpoint
        if newest is None:
            raise FileNotFoundError(
                f"{path} is neither a checkpoint folder (with trainer_state.json) "
                f"nor a run folder with a complete checkpoint under {CHECKPOINTS}/"
            )
        path = newest
    reason = verify_checkpoint(path) if verify else None
    if reason is not None:
        raise CheckpointError(f"checkpoint {path} is damaged: {reason}")
    state_file = path / "trainer_state.json"
    try:
        state = TrainerState(**json.loads(state_file.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as error:
        raise CheckpointError(f"{state_file} is damaged: {error}") from None
    # Optimizer states hold plain python containers; weights_only keeps loading safe.
    actor_state = _torch_load(path / "actor.pt", map_location)
    if (path / MODEL_DIR).is_dir():
        try:
            actor_state["model"] = read_hf_weights(path / MODEL_DIR, map_location)
        except Exception as error:  # safetensors raises its own error types
            raise CheckpointError(f"{path / MODEL_DIR} cannot be loaded: {error}") from None
    rng = _torch_load(path / "rng.pt", "cpu")
    critic_path = path / "critic.pt"
    critic_state = _torch_load(critic_path, map_location) if critic_path.is_file() else None
    return LoadedCheckpoint(
        path=path, state=state, actor_state=actor_state, rng=rng, critic_state=critic_state
    )


def _torch_load(file: Path, map_location: str | torch.device) -> Any:
    try:
        return torch.load(file, map_location=map_location, weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, ValueError) as error:
        raise CheckpointError(f"{file} cannot be loaded: {error}") from None


# -- the policy in Hugging Face layout ----------------------------------------------------
def write_hf_model(folder: Path, policy: Any, tokenizer: Any = None) -> None:
    """``policy.save_pretrained(folder)`` (safetensors) plus the tokenizer's files, so that
    ``AutoModelForCausalLM.from_pretrained(folder)`` and vLLM load the folder as it is."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    from transformers.utils import logging as hf_logging

    # transformers draws a "Writing model shards" bar per save; a run's own progress
    # display (or its one-line-per-iteration log) already says a checkpoint is written.
    bars_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        # LoRA: the adapters merged into the base weights, under the base model's names.
        merged = dict(hf_weights(policy)) if has_lora(policy) else None
        policy.save_pretrained(folder, safe_serialization=True, state_dict=merged)
    finally:
        if bars_on:
            hf_logging.enable_progress_bar()
    if tokenizer is not None:
        tokenizer.save_pretrained(folder)


def read_hf_weights(folder: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The tensors of every ``*.safetensors`` file of a ``save_pretrained`` folder.

    Tied weights are stored once (e.g. no ``lm_head.weight`` when it is the input
    embedding); :meth:`lamer_train.actor.Actor.load_state_dict` accepts that.
    """
    from safetensors.torch import load_file

    files = sorted(Path(folder).glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{folder} holds no *.safetensors weights")
    device = str(map_location)
    weights: dict[str, Any] = {}
    for file in files:
        weights.update(load_file(file, device=device))
    return weights
