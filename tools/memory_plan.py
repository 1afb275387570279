"""Estimated GPU memory of the FSDP2 actor update for Qwen3-4B on 1/2/4/8 GPUs.

    python tools/memory_plan.py                        # 8,192-token micro-batches, checkpointing on
    python tools/memory_plan.py --micro-batch-tokens 16384 --no-activation-checkpointing

ESTIMATES from byte counts, not measurements. Per GPU, with N GPUs:

- sharded training state: float32 parameters (4 B) + float32 gradients (4 B) + AdamW's two
  float32 moments (8 B) = 16 B per parameter, divided by N; with ``model.cpu_offload``
  all of it lives in host memory (16 B x parameters / N per rank) and the GPU keeps none;
- weights in compute: FSDP2 unshards one decoder layer at a time (two with prefetch) in
  bfloat16, plus its float32 gradient before the reduce-scatter, and the root unit
  (embedding = output head, tied) the same way; one GPU is one process without FSDP,
  where autocast holds a bfloat16 copy of every weight;
- activations of one micro-batch of T tokens (bfloat16, flash/SDPA attention, so no
  T^2 term; Korthikanti et al. 2022): 34 h bytes per token per layer without activation
  checkpointing; with it, the layer inputs (2 h bytes per token per layer) plus one
  layer's 34 h recomputed;
- output head: the actor keeps the logits of response tokens only (a fraction of T),
  about three float32 copies of the vocabulary-wide row (logits, log-softmax, gradient).

The rollout engine is not counted (vLLM sleeps during the update, see the README).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

GB = 1e9


@dataclass(frozen=True)
class Shape:
    layers: int = 36
    hidden: int = 2560
    intermediate: int = 9728
    heads: int = 32
    kv_heads: int = 8
    head_dim: int = 128
    vocab: int = 151_936  # Qwen3-4B: tied input embedding and output head

    def layer_parameters(self) -> int:
        attention = self.hidden * self.head_dim * (2 * self.heads + 2 * self.kv_heads)
        mlp = 3 * self.hidden * self.intermediate
        norms = 2 * self.hidden + 2 * self.head_dim
        return attention + mlp + norms

    def parameters(self) -> int:
        return self.layers * self.layer_parameters() + self.vocab * self.hidden + self.hidden


def plan(shape: Shape, gpus: int, tokens: int, response_fraction: float, checkpointing: bool):
    """GB per GPU: (training state, weights in compute, activations, output head)."""
    state = 16 * shape.parameters() / gpus
    if gpus == 1:  # one process, no FSDP: autocast keeps a bf16 copy of every weight
        gathered = 2 * shape.parameters()
    else:  # bf16 weights + float32 gradient of two layers in flight, and of the root unit
        gathered = (2 + 4) * (2 * shape.layer_parameters() + shape.vocab * shape.hidden)
    per_layer = 34 * shape.hidden * tokens
    if checkpointing:
        activations = 2 * shape.hidden * tokens * shape.layers + per_layer
    else:
        activations = per_layer * shape.layers
    head = 3 * 4 * shape.vocab * tokens * response_fraction
    return state / GB, gathered / GB, activations / GB, head / GB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--micro-batch-tokens", type=int, default=8192)
    parser.add_argument(
        "--response-fraction",
        type=float,
        default=1 / 3,
        help="response tokens / all tokens of a micro-batch (paper: 1024 of up to 3072)",
    )
    parser.add_argument("--no-activation-checkpointing", action="store_true")
    parser.add_argument("--gpu-gb", type=float, default=80.0)
    args = parser.parse_args()
    shape = Shape()
    checkpointing = not args.no_activation_checkpointing
    print(
        f"ESTIMATE (not measured): Qwen3-4B, {shape.parameters() / 1e9:.2f}B parameters, "
        f"micro-batch {args.micro_batch_tokens} tokens, activation checkpointing "
        f"{'on' if checkpointing else 'off'}, {args.gpu_gb:.0f} GB per GPU"
    )
    print("| GPUs | state/GPU | weights in compute | activations | output head | update peak "
          "| fits | with cpu_offload: GPU peak | host RAM/GPU |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for gpus in (1, 2, 4, 8):
        state, gathered, activations, head = plan(
            shape, gpus, args.micro_batch_tokens, args.response_fraction, checkpointing
        )
        peak = state + gathered + activations + head
        fits = "yes" if peak <= args.gpu_gb else "no"
        offloaded = "n/a (one process)"
        host = "-"
        if gpus > 1:  # cpu_offload needs FSDP, i.e. several ranks
            offloaded, host = f"{gathered + activations + head:.1f} GB", f"{state:.1f} GB"
        print(
            f"| {gpus} | {state:.1f} GB | {gathered:.1f} GB | {activations:.1f} GB | "
            f"{head:.1f} GB | {peak:.1f} GB | {fits} | {offloaded} | {host} |"
        )


if __name__ == "__main__":
    main()
