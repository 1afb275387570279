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
    latest                  text file: name of the newest complete checkpoint

Without a ``policy`` (:func:`save_checkpoint`), ``actor.pt`` holds the whole actor
state, weights included, and there is no ``model/``.

A checkpoint is written into a hidden ``.tmp-*`` folder, flushed to disk, then renamed
into place; ``latest`` is replaced the same way. A run killed at any moment therefore
leaves either the previous checkpoint or the new one, never a half-written one.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

CHECKPOINTS = "checkpoints"
LATEST = "latest"
MODEL_DIR = "model"
"""Sub-folder of a checkpoint holding the policy in Hugging Face layout."""
_PREFIX = "iter_"


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


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


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
    """
    root = Path(run_dir) / CHECKPOINTS
    root.mkdir(parents=True, exist_ok=True)
    name = checkpoint_name(state.iteration)
    final = root / name
    tmp = root / f".tmp-{name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    if policy is not None:
        write_hf_model(tmp / MODEL_DIR, policy, tokenizer)
        actor_state = {key: value for key, value in actor_state.items() if key != "model"}
    torch.save(actor_state, tmp / "actor.pt")
    if critic_state is not None:
        torch.save(critic_state, tmp / "critic.pt")
    torch.save(rng_states(), tmp / "rng.pt")
    (tmp / "trainer_state.json").write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
    for item in tmp.rglob("*"):
        if item.is_file():
            _fsync_file(item)
    if (tmp / MODEL_DIR).is_dir():
        _fsync_dir(tmp / MODEL_DIR)
    _fsync_dir(tmp)
    if final.exists():  # the same iteration saved again after a resume
        shutil.rmtree(final)
    os.rename(tmp, final)
    _fsync_dir(root)
    write_text_atomic(root / LATEST, name + "\n")
    if keep_last > 0:
        for old in list_checkpoints(run_dir)[:-keep_last]:
            shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Complete checkpoints of a run, oldest first."""
    root = Path(run_dir) / CHECKPOINTS
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith(_PREFIX)]
    return sorted(found, key=lambda p: p.name)


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run, or ``None``."""
    root = Path(run_dir) / CHECKPOINTS
    pointer = root / LATEST
    if pointer.is_file():
        candidate = root / pointer.read_text(encoding="utf-8").strip()
        if (candidate / "trainer_state.json").is_file():
            return candidate
    complete = [p for p in list_checkpoints(run_dir) if (p / "trainer_state.json").is_file()]
    return complete[-1] if complete else None


@dataclass(slots=True)
class LoadedCheckpoint:
    path: Path
    state: TrainerState
    actor_state: dict[str, Any]
    rng: dict[str, Any]
    critic_state: dict[str, Any] | None = None


def load_checkpoint(path: Path, *, map_location: str | torch.device = "cpu") -> LoadedCheckpoint:
    """Read a checkpoint folder (or a run folder: its newest checkpoint)."""
    path = Path(path)
    if not (path / "trainer_state.json").is_file():
        newest = latest_checkpoint(path)
        if newest is None:
            raise FileNotFoundError(
                f"{path} is neither a checkpoint folder (with trainer_state.json) "
                f"nor a run folder with a complete checkpoint under {CHECKPOINTS}/"
            )
        path = newest
    raw = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    state = TrainerState(**raw)
    # Optimizer states hold plain python containers; weights_only keeps loading safe.
    actor_state = torch.load(path / "actor.pt", map_location=map_location, weights_only=True)
    if (path / MODEL_DIR).is_dir():
        actor_state["model"] = read_hf_weights(path / MODEL_DIR, map_location)
    rng = torch.load(path / "rng.pt", map_location="cpu", weights_only=True)
    critic_path = path / "critic.pt"
    critic_state = (
        torch.load(critic_path, map_location=map_location, weights_only=True)
        if critic_path.is_file()
        else None
    )
    return LoadedCheckpoint(
        path=path, state=state, actor_state=actor_state, rng=rng, critic_state=critic_state
    )


# -- the policy in Hugging Face layout ----------------------------------------------------
def write_hf_model(folder: Path, policy: Any, tokenizer: Any = None) -> None:
    """``policy.save_pretrained(folder)`` (safetensors) plus the tokenizer's files, so that
    ``AutoModelForCausalLM.from_pretrained(folder)`` and vLLM load the folder as it is."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    policy.save_pretrained(folder, safe_serialization=True)
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
