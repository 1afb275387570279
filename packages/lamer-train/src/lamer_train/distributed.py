"""FSDP2 sharding for multi-GPU runs under ``torchrun``; a no-op in a single process.

``torchrun --nproc-per-node 4 -m lamer_train.cli ...`` starts one process per GPU; each
calls :func:`init_distributed` and :func:`shard_model`. Every decoder layer becomes
its own FSDP unit (parameters gathered just before the layer runs and freed after),
and the root wraps what is left (embeddings, final norm, output head). The actor
always calls the model's own ``forward``, which is what FSDP2's hooks need.
"""

from __future__ import annotations

import os

import torch


def world_size() -> int:
    """Processes in the job (1 without torchrun)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size()
    return int(os.environ.get("WORLD_SIZE", "1"))


def init_distributed() -> torch.device:
    """Join the torchrun process group when there is one; returns this process's device.

    Without torchrun (``WORLD_SIZE`` unset or 1) nothing is initialised and the device
    is ``cuda`` when available, else ``cpu``.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend=backend)
    if torch.cuda.is_available():
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def decoder_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The repeated transformer blocks of a transformers causal LM (``model.model.layers``)."""
    base = getattr(model, "model", None)
    layers = getattr(base, "layers", None)
    if layers is None:
        raise ValueError(
            f"cannot find decoder layers (model.model.layers) in {type(model).__name__}"
        )
    return list(layers)


def shard_model(model: torch.nn.Module, *, reshard_after_forward: bool = True) -> torch.nn.Module:
    """Apply FSDP2 ``fully_shard`` per decoder layer and at the root when the job has
    more than one process; return ``model`` unchanged otherwise."""
    if world_size() <= 1:
        return model
    from torch.distributed.fsdp import fully_shard

    for layer in decoder_layers(model):
        fully_shard(layer, reshard_after_forward=reshard_after_forward)
    fully_shard(model, reshard_after_forward=reshard_after_forward)
    return model
