"""FSDP2 sharding and the share of work of each rank under ``torchrun``; no-ops in one process.

``torchrun --nproc-per-node 4 -m lamer_train ...`` starts one process (rank) per GPU;
each joins the process group (:func:`init_distributed`) and shards the actor
(:func:`shard_model`): every decoder layer is its own FSDP unit (its parameters are
gathered just before the layer runs and freed after), and the root wraps what is left
(embeddings, final norm, output head). Parameters and AdamW's moments stay float32
shards; forward and backward run in the model's compute dtype; gradients are reduced
in float32 (the paper's FSDP mixed precision).

Work is shared so that the result equals the single-process run's:

- rollouts: whole task groups per rank (:func:`group_share`), the trials gathered on
  every rank afterwards (:mod:`lamer_train.rank_rollouts`);
- updates: the same mini-batches and micro-batches as in one process, the micro-batches
  dealt out to the ranks (:func:`micro_batch_share`). A micro-batch's loss keeps the
  whole mini-batch's normaliser and is multiplied by the world size, because FSDP
  averages gradients over ranks: the average of the ranks' scaled sums is the
  single-process gradient.

Every FSDP forward and backward is a collective (all ranks gather each layer's
parameters together), so every rank runs the same number of micro-batches; a rank with
fewer real ones runs a weight-0 copy of one row.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import torch

T = TypeVar("T")


# -- the process group ----------------------------------------------------------------------
def is_distributed() -> bool:
    """Whether this process is one rank of a job with several."""
    return (
        torch.distributed.is_available()
        and torch.distributed.is_initialized()
        and torch.distributed.get_world_size() > 1
    )


def world_size() -> int:
    """Processes in the job (1 without torchrun)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size()
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    """This process's rank (0 without torchrun)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank()
    return int(os.environ.get("RANK", "0"))


def is_main_rank() -> bool:
    """Rank 0: the one process that writes the run folder, logs and displays progress."""
    return rank() == 0


def init_distributed() -> torch.device:
    """Join the torchrun process group when there is one; returns this process's device.

    Without torchrun (``WORLD_SIZE`` unset or 1) nothing is initialised and the device
    is ``cuda`` when available, else ``cpu``. Under torchrun: NCCL with one GPU per rank
    (``LOCAL_RANK``), or gloo on CPU.
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


def close_distributed(wait_for_peers: bool = True) -> None:
    """Leave the process group (at the end of a run). After a run that finished, every
    rank leaves together (a rank tearing gloo down while a peer still works can make the
    peer abort at exit); a rank leaving on an error does not wait, since its peers may
    never reach the barrier."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        if wait_for_peers:
            torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def barrier() -> None:
    if is_distributed():
        torch.distributed.barrier()


def broadcast_object(value: T) -> T:
    """Rank 0's ``value`` on every rank (itself in one process)."""
    if not is_distributed():
        return value
    box = [value]
    torch.distributed.broadcast_object_list(box, src=0)
    return box[0]


def gather_objects(value: T) -> list[T]:
    """Every rank's ``value``, in rank order, on every rank (``[value]`` in one process)."""
    if not is_distributed():
        return [value]
    out: list[Any] = [None] * world_size()
    torch.distributed.all_gather_object(out, value)
    return out


# -- sharding ---------------------------------------------------------------------------------
def decoder_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The repeated transformer blocks: ``model.model.layers`` of a transformers causal LM,
    ``model.backbone.layers`` of the critic's value model, or ``model.layers``."""
    for path in (("model", "layers"), ("backbone", "layers"), ("layers",)):
        found: Any = model
        for name in path:
            found = getattr(found, name, None)
        if isinstance(found, torch.nn.ModuleList):
            return list(found)
    raise ValueError(
        f"cannot find decoder layers (model.layers, backbone.layers or layers) in "
        f"{type(model).__name__}"
    )


def shard_model(
    model: torch.nn.Module,
    *,
    compute_dtype: str = "float32",
    cpu_offload: bool = False,
    reshard_after_forward: bool = True,
) -> torch.nn.Module:
    """FSDP2 ``fully_shard`` per decoder layer and at the root when the job has more than
    one process; ``model`` unchanged otherwise.

    ``compute_dtype="bfloat16"``: layers compute in bfloat16 on float32 parameter shards
    (FSDP's ``MixedPrecisionPolicy``), gradients are reduced in float32. ``cpu_offload``:
    parameter shards, gradients and optimizer state live in CPU memory and the optimizer
    step runs on the CPU (``CPUOffloadPolicy``; a no-op in a CPU job).
    """
    if not is_distributed():
        return model
    from torch.distributed.fsdp import (
        CPUOffloadPolicy,
        MixedPrecisionPolicy,
        OffloadPolicy,
        fully_shard,
    )

    parameter_dtype = next(model.parameters()).dtype
    low = torch.bfloat16 if compute_dtype == "bfloat16" else None
    policy = MixedPrecisionPolicy(
        param_dtype=low if low is not None and low != parameter_dtype else None,
        reduce_dtype=torch.float32,
    )
    # On a CPU job everything is in host memory already (and pinning needs CUDA).
    on_gpu = next(model.parameters()).device.type == "cuda"
    offload = CPUOffloadPolicy(pin_memory=True) if cpu_offload and on_gpu else OffloadPolicy()
    options = dict(
        mp_policy=policy, offload_policy=offload, reshard_after_forward=reshard_after_forward
    )
    for layer in decoder_layers(model):
        fully_shard(layer, **options)
    fully_shard(model, **options)
    return model


def compute_device(model: torch.nn.Module) -> torch.device:
    """Where ``model``'s inputs go: its parameters' device, or for a sharded model the
    device of its mesh (under CPU offload the shards sit in CPU memory, compute does not)."""
    parameter = next(model.parameters())
    mesh = getattr(parameter, "device_mesh", None)
    if mesh is None:
        return parameter.device
    if mesh.device_type == "cuda":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device(mesh.device_type)


# -- the share of each rank -------------------------------------------------------------------
def group_share(num_groups: int) -> range:
    """This rank's task groups: a contiguous block of ``range(num_groups)`` (block sizes
    differ by at most one), so that gathering the blocks in rank order restores the order."""
    ranks, me = world_size(), rank()
    return range(me * num_groups // ranks, (me + 1) * num_groups // ranks)


def largest_group_share(num_groups: int) -> int:
    """Groups of the busiest rank (what one rank's env pool must hold)."""
    return -(-num_groups // max(world_size(), 1))


def micro_batch_share(chunks: Sequence[list[int]]) -> list[tuple[list[int], float]]:
    """This rank's micro-batches of ``chunks`` (row indices) with their loss weights.

    One process: every chunk, weight 1. Several: chunks dealt round-robin, weight = world
    size (see the module docstring), topped up with weight-0 copies of one row so that
    every rank runs ``ceil(len(chunks) / world size)`` forward and backward passes.
    """
    if not is_distributed() or not chunks:
        return [(list(rows), 1.0) for rows in chunks]
    ranks = world_size()
    mine = [(list(rows), float(ranks)) for rows in chunks[rank() :: ranks]]
    rounds = -(-len(chunks) // ranks)
    mine += [(list(chunks[0][:1]), 0.0)] * (rounds - len(mine))
    return mine


def gather_rows(values: dict[int, T]) -> dict[int, T]:
    """The union of every rank's ``{row index: value}`` (the ranks' rows are disjoint)."""
    merged: dict[int, T] = {}
    for part in gather_objects(values):
        merged.update(part)
    return merged


def sum_over_ranks(values: dict[str, float]) -> dict[str, float]:
    """Key-wise sum of every rank's ``values`` (a key missing on a rank counts as 0)."""
    total: dict[str, float] = {}
    for part in gather_objects(values):
        for name, value in part.items():
            total[name] = total.get(name, 0.0) + value
    return total


# -- full weights for an engine ---------------------------------------------------------------
class FullWeights(Mapping[str, torch.Tensor]):
    """A model's ``state_dict()`` whose sharded tensors are gathered when read.

    An engine that needs whole tensors (vLLM's weight buckets, the HF engine's copy) reads
    them one at a time, in ``state_dict`` order on every rank (each read is a collective),
    so at most one gathered tensor (plus the engine's bucket) exists at once, never the
    whole unsharded model. In one process it is the plain state dict.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        self._state = model.state_dict()

    def __getitem__(self, name: str) -> torch.Tensor:
        tensor = self._state[name]
        if hasattr(tensor, "full_tensor"):
            tensor = tensor.full_tensor()
        return tensor

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)


def engine_weights(model: torch.nn.Module) -> Mapping[str, torch.Tensor]:
    """What ``engine.load_weights`` gets after an update: the state dict, or for a sharded
    model the :class:`FullWeights` view of it."""
    return FullWeights(model) if is_distributed() else model.state_dict()


def torch_threads_per_rank() -> int:
    """CPU cores of this process divided among the ranks on this machine (at least 1)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return max(cores // max(local, 1), 1)
