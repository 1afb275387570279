"""Checks of a run config that pydantic field bounds do not express.

Two kinds, both raising :class:`~lamer_train.config.ConfigError` naming the field:

* :func:`check_numbers` (no heavy imports; run by ``load_config``): every float in the
  config, nested sections and free-form mappings (``env.kwargs``, ...) included, is
  finite, and the optimizer settings sit inside the range where AdamW works.
* :func:`check_run_setup` (part of :func:`lamer_train.preflight.check_before_run`, run
  before the model is built and before the run folder is created): ``run.device``
  exists on this machine and the ``model.*`` values describe a model that can be built.

Why a walk instead of ``allow_inf_nan=False`` on every model: the config is assembled
from models in several modules (actor, engine, model factory); one walk over the
validated result covers every float, present and future, in one place.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel

# Ranges beyond "finite" of the settings where a value outside it cannot train (issue:
# lr=inf or betas=[nan, 2] produced NaN weights after one step): (highest, highest allowed).
_UPPER_BOUNDS: dict[str, tuple[float, bool]] = {
    "actor.lr": (1.0, True),
    "warmup.lr": (1.0, True),
    "actor.weight_decay": (1.0, True),
}
_ATTN_IMPLEMENTATIONS = (
    "sdpa",
    "eager",
    "flash_attention_2",
    "flash_attention_3",
    "flex_attention",
)
_TRUNCATED_TOKENIZER = re.compile(r"qwen3-(\d+)")


def _error(message: str) -> Exception:
    from lamer_train.config import ConfigError  # config imports this module

    return ConfigError(message)


def _non_finite(value: Any, where: str) -> list[str]:
    """Dotted names (with the value) of every non-finite float under ``value``."""
    if isinstance(value, BaseModel):
        found = []
        for name in type(value).model_fields:
            found += _non_finite(getattr(value, name), f"{where}.{name}" if where else name)
        return found
    if isinstance(value, float):
        return [] if math.isfinite(value) else [f"{where} = {value}"]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _non_finite(v, f"{where}.{k}")]
    if isinstance(value, (list, tuple)):
        return [x for i, v in enumerate(value) for x in _non_finite(v, f"{where}[{i}]")]
    return []


def check_numbers(config: BaseModel) -> None:
    """Every float is finite; lr, weight decay and AdamW betas lie in their working range."""
    bad = _non_finite(config, "")
    if bad:
        raise _error("every number must be finite (inf and nan cannot train): " + ", ".join(bad))
    for dotted, (high, closed) in _UPPER_BOUNDS.items():
        section, field = dotted.split(".")
        value = getattr(getattr(config, section), field)
        if value > high or (value == high and not closed):
            raise _error(f"{dotted} = {value} is out of range (at most {high})")
    betas = config.actor.betas
    for index, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise _error(
                f"actor.betas[{index}] = {beta}: AdamW betas must lie in [0, 1) (got {list(betas)})"
            )


# -- checks that look at this machine (run by the CLI before any work) ----------------
def check_device(device: str) -> None:
    """``run.device`` names a torch device that exists on this machine."""
    if device == "cpu":  # the common case needs no torch import
        return
    import torch

    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError) as error:
        raise _error(
            f"run.device={device!r} is not a torch device ('cpu', 'cuda', 'cuda:1', ...): {error}"
        ) from None
    if parsed.type == "cpu":
        return
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise _error(f"run.device={device!r}: no CUDA device is available on this machine")
        if parsed.index is not None and parsed.index >= count:
            raise _error(f"run.device={device!r}: this machine has {count} CUDA device(s)")
        return
    if parsed.type == "mps" and torch.backends.mps.is_available():
        return
    raise _error(f"run.device={device!r}: device type {parsed.type!r} is not available here")


def check_model_shape(model: Any) -> None:
    """The ``model.*`` values describe a model that can be built (the tiny model's shape,
    the attention backend); where the weights and tokenizer come from is checked by
    :func:`lamer_train.preflight.check_model_source`."""
    if model.attn_implementation not in _ATTN_IMPLEMENTATIONS:
        raise _error(
            f"model.attn_implementation={model.attn_implementation!r}: "
            f"expected one of {list(_ATTN_IMPLEMENTATIONS)}"
        )
    match = _TRUNCATED_TOKENIZER.fullmatch(model.tokenizer or "")
    if match and int(match.group(1)) < 256:
        raise _error(f"model.tokenizer={model.tokenizer!r}: qwen3-N needs N >= 256")
    if model.name_or_path != "tiny":
        return
    heads, kv_heads, hidden = model.tiny_num_heads, model.tiny_num_kv_heads, model.tiny_hidden_size
    if heads % kv_heads:
        raise _error(
            f"model.tiny_num_heads ({heads}) must be a multiple of model.tiny_num_kv_heads ({kv_heads})"
        )
    if hidden % heads or (hidden // heads) % 2:
        raise _error(
            f"model.tiny_hidden_size ({hidden}) / model.tiny_num_heads ({heads}) must be an "
            "even whole number (the head size; rotary embeddings need it even)"
        )


def check_run_setup(config: Any) -> None:
    """Machine-dependent checks of a loaded config; raise before any work starts."""
    check_device(config.run.device)
    check_model_shape(config.model)
