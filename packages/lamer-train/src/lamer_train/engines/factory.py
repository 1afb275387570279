"""The one place where ``engine.kind`` picks the rollout engine."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from lamer_core.seeding import derive_seed
from lamer_train.engines.base import Engine
from lamer_train.model_config import TINY_MODEL
from lamer_train.model_source import resolve_model_path

if TYPE_CHECKING:
    from lamer_train.config import LaMerConfig

#: ``engine.*`` fields passed by name to :class:`~lamer_train.engines.vllm.VLLMEngine`.
_VLLM_OPTIONS = frozenset(
    {
        "enable_thinking",
        "max_model_len",
        "max_num_seqs",
        "kv_cache_gib",
        "gpu_memory_utilization",
        "enforce_eager",
        "sleep_mode",
        "weight_bucket_mb",
    }
)


def build_engine(config: LaMerConfig, model: Any, tokenizer: Any) -> Engine:
    """The configured engine for the policy ``model`` (the actor's module).

    - ``hf``: samples from ``model`` itself, so updates are visible at once;
    - ``vllm``: an in-process vLLM engine starting from ``model``'s weights (the tiny
      model is saved to a temporary folder; a checkpoint folder is loaded directly),
      kept in sync by the trainer's ``load_weights`` after every update.
    """
    section = config.engine
    if section.kind == "hf":
        from lamer_train.engines.hf import HFEngine

        return HFEngine(
            model,
            tokenizer,
            enable_thinking=section.enable_thinking,
            compute_dtype=config.model.compute_dtype,
        )
    if section.kind == "vllm":
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            raise ValueError(
                "engine.kind=vllm runs one engine in a single trainer process; "
                "it is not wired for torchrun with several ranks yet (use engine.kind=hf)"
            )
        from lamer_train.engines.vllm import VLLMEngine

        dtype = section.dtype
        if dtype == "auto" and config.model.name_or_path == TINY_MODEL:
            # vLLM would run a float32 checkpoint in 16 bits; sample like the actor.
            dtype = str(next(model.parameters()).dtype).removeprefix("torch.")
        options = section.model_dump(include=_VLLM_OPTIONS)
        options.update(seed=derive_seed(config.seed, "engine"), dtype=dtype)
        if config.model.name_or_path == TINY_MODEL:
            return VLLMEngine.from_model(model, tokenizer, **options)
        return VLLMEngine(resolve_model_path(config.model.name_or_path), tokenizer, **options)
    raise ValueError(f"engine.kind must be 'hf' or 'vllm', got {section.kind!r}")
