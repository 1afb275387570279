"""``torch.compile`` per decoder block, for the actor's scoring and training passes.

Why: transformers' Qwen3 blocks run RMSNorm (upcast to float32), the rotary embedding
and SwiGLU as many small elementwise kernels. A profile of ``tools/bench/train_step.py``
(1.5B preset, one H100) spent about as much GPU time in those kernels and in dtype
copies as in the matrix products; compiling each block fuses them (the numbers are in
the lamer-train README, "Actor memory and speed").

Only forwards without a KV cache are compiled. Token-by-token decoding with a cache
(the HF engine generating from the actor's own module) stays eager: every new cache
length would otherwise be a new shape to compile. Blocks are compiled one by one and
before FSDP2 sharding, so each FSDP unit wraps one compiled block, and activation
checkpointing recomputes the compiled block.
"""

from __future__ import annotations

from typing import Any

import torch

from lamer_train.distributed import decoder_layers


def compile_decoder_blocks(model: torch.nn.Module) -> int:
    """Compile every decoder block's cache-free forward in place; returns the block count.

    The module tree and its parameter names are unchanged (only each block's ``forward``
    attribute is replaced), so checkpoints, exports and weight sync see the same keys.
    """
    layers = decoder_layers(model)
    for layer in layers:
        eager = layer.forward
        compiled = torch.compile(eager)

        def forward(*args: Any, _eager=eager, _compiled=compiled, **kwargs: Any) -> Any:
            if kwargs.get("use_cache") or kwargs.get("past_key_values") is not None:
                return _eager(*args, **kwargs)
            return _compiled(*args, **kwargs)

        layer.forward = forward
    return len(layers)
