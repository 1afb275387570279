"""``lamer-train export <checkpoint> <folder>``: a checkpoint's policy as a Hugging Face model.

    lamer-train export runs/<run>/checkpoints/iter_000008 exported/
    lamer-train export runs/<run> exported/          # a run folder: its newest checkpoint
    lamer-train export runs/<run> exported/ --dtype bfloat16   # half the size, for serving

The folder is what ``save_pretrained`` writes (config.json, generation_config.json,
safetensors weights, tokenizer files with the chat template), so
``AutoModelForCausalLM.from_pretrained(folder)``, ``AutoTokenizer.from_pretrained(folder)``
and ``vllm.LLM(folder)`` load it. A checkpoint already holds this folder as ``model/``
(it is copied); a checkpoint written before that layout keeps its weights in
``actor.pt``, and one written under torchrun in shards (``sharded/``): the model is
rebuilt from the run's ``config.yaml`` and filled with them.
The weights keep the training dtype (float32 master weights) unless ``--dtype`` asks
for another; vLLM's ``dtype="auto"`` serves in the dtype the folder's config names. The
folder appears complete or not at all (written next to it, then renamed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from lamer_train.checkpoint import MODEL_DIR, latest_checkpoint

CONFIG_FILE = "config.yaml"


class ExportError(ValueError):
    """The checkpoint or the destination cannot be used; the message says why."""


def resolve_checkpoint(path: Path) -> Path:
    """A checkpoint folder, or a run folder's newest checkpoint."""
    path = Path(path)
    if (path / "trainer_state.json").is_file():
        return path
    newest = latest_checkpoint(path)
    if newest is None:
        raise ExportError(f"{path}: not a checkpoint folder nor a run folder with a checkpoint")
    return newest


DTYPES = ("float32", "bfloat16")


def export_checkpoint(checkpoint: Path, destination: Path, dtype: str | None = None) -> Path:
    """Write the policy of ``checkpoint`` to ``destination`` in Hugging Face layout
    (weights cast to ``dtype`` when given: ``"float32"`` or ``"bfloat16"``)."""
    if dtype is not None and dtype not in DTYPES:
        raise ExportError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    checkpoint = resolve_checkpoint(checkpoint)
    destination = Path(destination)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise ExportError(f"{destination} already exists and is not an empty folder")
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.parent / f".tmp-{destination.name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        if (checkpoint / MODEL_DIR).is_dir():
            shutil.copytree(checkpoint / MODEL_DIR, tmp)
        else:
            _rebuild(checkpoint, tmp)
        if dtype is not None:
            _cast(tmp, dtype)
        if destination.exists():  # an empty folder
            destination.rmdir()
        os.rename(tmp, destination)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return destination


def _rebuild(checkpoint: Path, folder: Path) -> None:
    """Checkpoints without model/ (older ones: weights in actor.pt; a torchrun job's:
    shards in sharded/); the architecture comes from the run's config.yaml."""
    from lamer_train.checkpoint import load_checkpoint, write_hf_model
    from lamer_train.config import load_config
    from lamer_train.lora import adapt_policy
    from lamer_train.model_factory import load_policy
    from lamer_train.sharded_checkpoint import is_sharded_checkpoint, read_sharded_weights

    config_path = checkpoint.parent.parent / CONFIG_FILE
    if not config_path.is_file():
        raise ExportError(
            f"{checkpoint} has no {MODEL_DIR}/ folder and its run folder has no "
            f"{CONFIG_FILE} to rebuild the model from"
        )
    config = load_config(config_path)
    model, tokenizer = load_policy(config.model)
    adapt_policy(model, config.actor)  # actor.lora: the checkpoint holds base + adapters
    if is_sharded_checkpoint(checkpoint):  # written under torchrun: gather the shards
        read_sharded_weights(checkpoint, model)
    else:
        weights = load_checkpoint(checkpoint).actor_state.get("model")
        if weights is None:
            raise ExportError(f"{checkpoint}/actor.pt holds no model weights")
        model.load_state_dict(weights)
    write_hf_model(folder, model, tokenizer)


def _cast(folder: Path, dtype: str) -> None:
    """Rewrite the weights of a ``save_pretrained`` folder in ``dtype`` (tokenizer kept)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, dtype))
    for weights in folder.glob("*.safetensors"):
        weights.unlink()
    (folder / "model.safetensors.index.json").unlink(missing_ok=True)
    model.save_pretrained(folder, safe_serialization=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lamer-train export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checkpoint", help="checkpoint folder (or run folder: its newest)")
    parser.add_argument("destination", help="new (or empty) folder to write the model to")
    parser.add_argument(
        "--dtype", choices=DTYPES, help="cast the weights (default: as trained, float32)"
    )
    args = parser.parse_args(argv)
    try:
        written = export_checkpoint(Path(args.checkpoint), Path(args.destination), args.dtype)
    except (ExportError, FileNotFoundError) as error:
        print(f"export error: {error}", file=sys.stderr)
        return 2
    print(f"exported {resolve_checkpoint(Path(args.checkpoint))} to {written}")
    return 0
