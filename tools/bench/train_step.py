"""Throughput and model FLOPs utilisation (MFU) of one PPO actor update.

    uv run python tools/bench/train_step.py --preset tiny --seq-len 256 --rows 4     # CPU, seconds
    python tools/bench/train_step.py --preset 0.6b --seq-len 4096 --rows 8 --json out.json
    python tools/bench/train_step.py --preset 1.5b --activation-checkpointing
    torchrun --nproc-per-node 4 tools/bench/train_step.py --preset 1.5b     # FSDP2, one shard per GPU

Builds a randomly initialised Qwen3-architecture model from a size preset (nothing is
downloaded), makes random token rows of ``--seq-len`` tokens (the last
``--response-len`` of them the response; every row the same length, so no padding),
and times the real :meth:`lamer_train.actor.Actor.update`: old log-prob recompute (a
no-grad forward), then forward/backward over micro-batches and one AdamW step per
mini-batch (``--rows`` rows = one mini-batch = one step), float32 parameters and AdamW
state, bfloat16 autocast compute. ``--warmup`` updates run first and are not timed.
Under ``torchrun`` each process builds the model, shards it with
:func:`lamer_train.distributed.shard_model` (FSDP2 mixed precision in ``--compute-dtype``;
``--cpu-offload`` as ``model.cpu_offload``), and the update's mini-batch is ``--rows``
rows per process: every rank holds the whole batch and runs its share of the
micro-batches, as in training (:mod:`lamer_train.distributed`).

Presets (the parameter count is printed): ``tiny`` (hidden 64, 2 layers, vocabulary
8,256; for CPU), ``0.6b`` (the shape of Qwen3-0.6B: hidden 1024, 28 layers, 16 heads,
8 key/value heads, head size 128, MLP 3072, vocabulary 151,936, tied embeddings:
0.60B parameters), ``1.5b`` (hidden 1536, 28 layers, 12 heads, 2 key/value heads,
head size 128, MLP 8960, tied: 1.54B, the shape of Qwen2.5-1.5B), ``1.7b`` (the shape
of Qwen3-1.7B: hidden 2048, 16 heads, 8 key/value heads, MLP 6144: 1.72B).

FLOPs counted (model FLOPs, so the recompute of activation checkpointing is not
counted; matrix multiplications only). For one row of ``s`` tokens whose output head
runs on ``r`` positions (the actor keeps the logits of the response only, ``r`` =
response length + 1), one forward pass costs::

    F(s, r) = 2 * N_blocks * s  +  2 * V * h * r  +  4 * L * d_attn * s^2

with ``N_blocks`` the parameters of the decoder blocks' linear layers, ``V * h`` the
output head, ``L`` layers and ``d_attn`` = heads x head size; ``4 * L * d_attn * s^2``
is QK^T and AV over the full s x s square (the PaLM / torchtitan convention; a causal
kernel skips about half of it, so ``mfu_causal`` also reports that count). One update
costs ``F`` for the no-grad log-prob pass plus ``3 F`` for forward and backward, i.e.
``4 F`` per row per PPO epoch; for a long training-only step this is the usual
``6 N + 12 L d s`` per token, plus the scoring pass. MFU = FLOPs / time / peak, with
the peak bf16 dense FLOP/s of the device from a table (H100 SXM 989e12, ...) or
``--peak-tflops``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import Qwen3Config, Qwen3ForCausalLM

from lamer_train.actor import Actor, ActorConfig
from lamer_train.block_compile import compile_decoder_blocks
from lamer_train.distributed import init_distributed, shard_model, world_size


@dataclass(frozen=True)
class Preset:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int = 151_936
    head_dim: int = 128


PRESETS = {
    "tiny": Preset(
        hidden=64, layers=2, heads=2, kv_heads=1, intermediate=192, vocab=8256, head_dim=32
    ),
    "0.6b": Preset(hidden=1024, layers=28, heads=16, kv_heads=8, intermediate=3072),
    "1.5b": Preset(hidden=1536, layers=28, heads=12, kv_heads=2, intermediate=8960),
    "1.7b": Preset(hidden=2048, layers=28, heads=16, kv_heads=8, intermediate=6144),
}

#: Peak dense bfloat16 FLOP/s by device name (first matching substring wins).
PEAK_BF16_FLOPS = [
    ("H100 PCIe", 756e12),
    ("H100 NVL", 835e12),
    ("H100", 989e12),  # SXM ("NVIDIA H100 80GB HBM3")
    ("H200", 989e12),  # also GH200
    ("H800", 989e12),
    ("B200", 2250e12),
    ("A100", 312e12),
    ("A800", 312e12),
    ("L40S", 362e12),
]


def build_model(preset: Preset, device: torch.device, seed: int = 0) -> Qwen3ForCausalLM:
    """A float32 Qwen3ForCausalLM of ``preset``'s shape, initialised on ``device``."""
    config = Qwen3Config(
        vocab_size=preset.vocab,
        hidden_size=preset.hidden,
        intermediate_size=preset.intermediate,
        num_hidden_layers=preset.layers,
        num_attention_heads=preset.heads,
        num_key_value_heads=preset.kv_heads,
        head_dim=preset.head_dim,
        max_position_embeddings=32_768,
        tie_word_embeddings=True,
        pad_token_id=0,
    )
    config._attn_implementation = "sdpa"
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices), torch.device(device):
        torch.manual_seed(seed)
        model = Qwen3ForCausalLM(config)
    return model.float()


def block_parameters(preset: Preset) -> int:
    """Parameters of the decoder blocks' linear layers (what ``2 N s`` multiplies)."""
    attention = preset.hidden * preset.head_dim * (2 * preset.heads + 2 * preset.kv_heads)
    mlp = 3 * preset.hidden * preset.intermediate
    return preset.layers * (attention + mlp)


def forward_flops(preset: Preset, seq_len: int, head_positions: int) -> float:
    """``F(s, r)`` of the module docstring (full-square attention)."""
    blocks = 2 * block_parameters(preset) * seq_len
    head = 2 * preset.vocab * preset.hidden * head_positions
    attention = 4 * preset.layers * preset.heads * preset.head_dim * seq_len**2
    return float(blocks + head + attention)


def update_flops(preset: Preset, seq_len: int, response_len: int, rows: int) -> dict[str, float]:
    """Model FLOPs of one update (scoring pass + forward/backward) over ``rows`` rows."""
    full = forward_flops(preset, seq_len, response_len + 1)
    attention = 4 * preset.layers * preset.heads * preset.head_dim * seq_len**2
    return {"full": 4 * full * rows, "causal": 4 * (full - attention / 2) * rows}


def peak_flops(device: torch.device, override_tflops: float | None) -> tuple[float | None, str]:
    if override_tflops is not None:
        return override_tflops * 1e12, "--peak-tflops"
    if device.type != "cuda":
        return None, "no table entry for CPU (pass --peak-tflops)"
    name = torch.cuda.get_device_name(device)
    for key, value in PEAK_BF16_FLOPS:
        if key in name:
            return value, name
    return None, f"{name}: not in the table (pass --peak-tflops)"


def random_rows(
    rows: int, seq_len: int, response_len: int, vocab: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, vocab, size=(rows, seq_len))
    prompt = seq_len - response_len
    return [(row[:prompt], row[prompt:]) for row in tokens]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--seq-len", type=int, default=4096, help="tokens per row")
    parser.add_argument("--response-len", type=int, default=1024, help="response tokens per row")
    parser.add_argument("--rows", type=int, default=8, help="rows per update (one AdamW step)")
    parser.add_argument("--micro-batch-size", type=int, default=1, help="rows per forward")
    parser.add_argument("--micro-batch-tokens", type=int, default=None, help="token budget")
    parser.add_argument("--activation-checkpointing", action="store_true")
    parser.add_argument(
        "--compile-blocks",
        action="store_true",
        help="torch.compile each decoder block (model.compile_blocks)",
    )
    parser.add_argument(
        "--cpu-offload", action="store_true", help="FSDP2 CPU offload (torchrun, GPU only)"
    )
    parser.add_argument("--compute-dtype", choices=["bfloat16", "float32"], default="bfloat16")
    parser.add_argument("--warmup", type=int, default=1, help="untimed updates first")
    parser.add_argument("--steps", type=int, default=3, help="timed updates")
    parser.add_argument("--peak-tflops", type=float, default=None, help="device peak, TFLOP/s")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args(argv)
    if not 0 < args.response_len < args.seq_len:
        parser.error("--response-len must be in [1, --seq-len)")
    if args.threads:
        torch.set_num_threads(args.threads)

    device = init_distributed()
    rank = torch.distributed.get_rank() if world_size() > 1 else 0
    preset = PRESETS[args.preset]
    model = build_model(preset, device)
    parameters = sum(p.numel() for p in model.parameters())
    if args.compile_blocks:
        compile_decoder_blocks(model)
    model = shard_model(model, compute_dtype=args.compute_dtype, cpu_offload=args.cpu_offload)
    ranks = world_size()
    config = ActorConfig(
        lr=1e-6,
        mini_batch_size=args.rows * ranks,
        micro_batch_size=min(args.micro_batch_size, args.rows),
        micro_batch_tokens=args.micro_batch_tokens,
        activation_checkpointing=args.activation_checkpointing,
    )
    actor = Actor(model, config, compute_dtype=args.compute_dtype)
    # One batch on every rank; each rank runs its share of the micro-batches.
    samples = random_rows(args.rows * ranks, args.seq_len, args.response_len, preset.vocab, seed=0)
    advantages = np.random.default_rng(1000).standard_normal(args.rows * ranks)

    for _ in range(args.warmup):
        actor.update(samples, advantages)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    synchronize(device)
    started = time.perf_counter()
    for _ in range(args.steps):
        metrics = actor.update(samples, advantages)
    synchronize(device)
    seconds = (time.perf_counter() - started) / args.steps

    flops = update_flops(preset, args.seq_len, args.response_len, args.rows)
    peak, peak_source = peak_flops(device, args.peak_tflops)
    tokens = args.rows * args.seq_len
    result: dict[str, object] = {
        "preset": args.preset,
        "shape": asdict(preset),
        "parameters": parameters,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "world_size": world_size(),
        "seq_len": args.seq_len,
        "response_len": args.response_len,
        "rows_per_device": args.rows,
        "micro_batch_size": config.micro_batch_size,
        "micro_batch_tokens": args.micro_batch_tokens,
        "activation_checkpointing": args.activation_checkpointing,
        "compile_blocks": args.compile_blocks,
        "compute_dtype": args.compute_dtype,
        "cpu_offload": args.cpu_offload and world_size() > 1,
        "seconds_per_update": seconds,
        "tokens_per_second_per_device": tokens / seconds,
        "update_tflops_per_device": flops["full"] / 1e12,
        "achieved_tflops_per_device": flops["full"] / seconds / 1e12,
        "peak_tflops": peak / 1e12 if peak else None,
        "peak_source": peak_source,
        "mfu": flops["full"] / seconds / peak if peak else None,
        "mfu_causal": flops["causal"] / seconds / peak if peak else None,
        "peak_memory_gib": (
            torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
        ),
        "optimizer_steps": metrics["optimizer_steps"],
        "loss": metrics["loss"],
    }
    if rank == 0:
        mfu = "n/a" if result["mfu"] is None else f"{result['mfu']:.1%}"
        print(
            f"{args.preset}: {parameters / 1e6:,.1f}M parameters, {result['device']} x "
            f"{result['world_size']}, {args.rows} rows x {args.seq_len} tokens "
            f"(response {args.response_len}), activation checkpointing "
            f"{'on' if args.activation_checkpointing else 'off'}, compiled blocks "
            f"{'on' if args.compile_blocks else 'off'}: "
            f"{seconds:.3f} s/update, {result['tokens_per_second_per_device']:,.0f} tokens/s "
            f"per device, {result['achieved_tflops_per_device']:.1f} TFLOP/s, MFU {mfu} "
            f"(peak {peak_source})"
        )
        print(json.dumps(result))
        if args.json is not None:
            args.json.write_text(json.dumps(result, indent=2) + "\n")
    if world_size() > 1 and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
