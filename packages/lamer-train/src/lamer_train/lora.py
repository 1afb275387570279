"""LoRA adapters on the policy (``actor.lora``), through peft.

:func:`add_lora` injects low-rank adapters into the chosen linear layers of the model in
place (the module stays a transformers ``*ForCausalLM``, so the actor, the HF engine,
activation checkpointing and the checkpoint code see the same kind of module) and
freezes everything else: the optimizer then holds the adapters only. An adapted layer
computes ``W x + (alpha / rank) * B A x`` with ``B`` initialised to zero, so training
starts from exactly the base model.

Whatever leaves the actor in Hugging Face layout (the engine's weights, a checkpoint's
``model/`` folder, ``lamer-train export``) gets plain weights: each adapted ``W``
replaced by ``W + (alpha / rank) * B A`` (:class:`MergedWeights`), under the base
model's own names. The adapters themselves are kept in the checkpoint (``actor.pt``)
for an exact resume; the frozen base is rebuilt from the run's config.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import torch

from lamer_core.seeding import derive_seed
from lamer_train.actor_config import ActorConfig, LoraConfig

ADAPTER = "default"
"""peft's name of the (only) adapter."""
_BASE = ".base_layer."


def _lora_layer_type() -> type:
    try:
        from peft.tuners.lora import LoraLayer
    except ImportError as error:
        raise ImportError("actor.lora needs peft: pip install 'lamer-train[lora]'") from error
    return LoraLayer


def add_lora(model: torch.nn.Module, config: LoraConfig, seed: int = 0) -> torch.nn.Module:
    """Inject adapters into ``model`` (in place; returned for convenience) and leave
    only them trainable. The adapters' random ``A`` depends only on ``seed``."""
    _lora_layer_type()
    import peft

    if any(hasattr(p, "full_tensor") for p in model.parameters()):
        raise ValueError(
            "actor.lora: the adapters must be added before the model is sharded with FSDP2"
        )
    peft_config = peft.LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.target_modules),
        bias="none",
    )
    devices = [p.device for p in model.parameters() if p.device.type == "cuda"][:1]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        try:
            peft.inject_adapter_in_model(peft_config, model, adapter_name=ADAPTER)
        except ValueError as error:  # e.g. a target module the model does not have
            raise ValueError(f"actor.lora.target_modules: {error}") from None
    return model


def adapt_policy(model: torch.nn.Module, actor: ActorConfig) -> torch.nn.Module:
    """``model`` with ``actor.lora``'s adapters (seeded from ``actor.seed``); unchanged
    when ``actor.lora`` is None or the adapters are there already. Under torchrun this
    runs before the model is sharded (:mod:`lamer_train.components`)."""
    if actor.lora is None or has_lora(model):
        return model
    return add_lora(model, actor.lora, seed=derive_seed(actor.seed, "lora-init"))


def has_lora(model: torch.nn.Module) -> bool:
    """Whether ``model`` carries LoRA adapters (by their modules' names: no peft import)."""
    return any(name.endswith(".lora_A") for name, _ in model.named_modules())


def lora_scalings(model: torch.nn.Module) -> dict[str, float]:
    """``{adapted module name: alpha / rank}``."""
    layer_type = _lora_layer_type()
    return {
        name: float(module.scaling[ADAPTER])
        for name, module in model.named_modules()
        if isinstance(module, layer_type)
    }


def adapter_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The adapters' tensors (``...lora_A.default.weight`` etc.), detached."""
    return {name: t.detach() for name, t in model.state_dict().items() if ".lora_" in name}


class MergedWeights(Mapping[str, torch.Tensor]):
    """Weights with adapters under the base model's names, each adapter merged into its
    base weight when that tensor is read (one at a time, so a consumer streaming the
    weights never holds a second copy of the whole model).

    ``weights`` is a state dict of a model carrying adapters, or a view of one with the
    same names (e.g. one that gathers sharded tensors when read); ``scalings`` is
    :func:`lora_scalings` of that model.
    """

    def __init__(self, weights: Mapping[str, torch.Tensor], scalings: Mapping[str, float]) -> None:
        self._weights = weights
        self._scalings = dict(scalings)
        self._names = {  # plain name -> name in ``weights``
            name.replace(_BASE, "."): name for name in weights if ".lora_" not in name
        }

    def __getitem__(self, name: str) -> torch.Tensor:
        source = self._names[name]
        tensor = self._weights[source]
        if _BASE not in source or not source.endswith(".weight"):
            return tensor
        prefix = source.split(_BASE)[0]
        down = self._weights[f"{prefix}.lora_A.{ADAPTER}.weight"]  # (rank, in)
        up = self._weights[f"{prefix}.lora_B.{ADAPTER}.weight"]  # (out, rank)
        with torch.no_grad():
            delta = (up.float() @ down.float()) * self._scalings[prefix]
            return (tensor.float() + delta).to(tensor.dtype)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def hf_weights(
    model: torch.nn.Module, weights: Mapping[str, torch.Tensor] | None = None
) -> Mapping[str, torch.Tensor]:
    """What a Hugging Face folder or an engine should get from ``model``: its weights
    (``weights``, default its state dict) with adapters merged when it carries any."""
    weights = model.state_dict() if weights is None else weights
    return MergedWeights(weights, lora_scalings(model)) if has_lora(model) else weights


def is_lora_state(weights: Mapping[str, torch.Tensor]) -> bool:
    """Whether a state dict holds adapter tensors (not the base model's layout)."""
    return any(".lora_" in name for name in weights)


def without_lora(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` (in place) with every adapted layer replaced by its base layer, the
    adapter merged into it, and every parameter trainable: e.g. the critic's copy of an
    adapted policy, which trains in full."""
    layer_type = _lora_layer_type()
    adapted = [(n, m) for n, m in model.named_modules() if isinstance(m, layer_type)]
    for name, module in adapted:
        base = module.get_base_layer()
        with torch.no_grad():
            delta = module.lora_B[ADAPTER].weight.float() @ module.lora_A[ADAPTER].weight.float()
            base.weight.add_((delta * module.scaling[ADAPTER]).to(base.weight.dtype))
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name) if parent_name else model, child, base)
    return model.requires_grad_(True)
