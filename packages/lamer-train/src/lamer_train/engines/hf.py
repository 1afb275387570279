"""Rollout engine on Hugging Face transformers: batched, left-padded, KV-cached sampling.

The dependency-light engine for CPU runs, tests and small models. It runs its own
decode loop (instead of ``model.generate``) for three reasons: the sampled tokens'
log-probs are gathered step by step (keeping full-vocabulary scores of every step would
cost batch x steps x 151k floats), sampling draws from a private ``torch.Generator``
seeded per call (the global RNG is never touched), and rows that have stopped are
dropped from the batch and the KV cache so they cost nothing afterwards.

Weight sharing: by default the engine samples from the very module it was given. When
the trainer hands it the actor's model, updates are visible to rollouts immediately
and :meth:`HFEngine.load_weights` with that model's own tensors is a no-op.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase
from transformers.cache_utils import DynamicCache

from lamer_train.engines.base import ChatMessage, Completion, SamplingConfig
from lamer_train.engines.chat import encode_chat
from lamer_train.model_factory import check_compute_dtype, compute_autocast, stop_token_ids
from lamer_train.padding import pack_rows


class HFEngine:
    """:class:`~lamer_train.engines.base.Engine` over a transformers causal LM.

    Args:
        model: the policy (shared, not copied; see the module docstring).
        tokenizer: its tokenizer; its chat template renders the prompts.
        enable_thinking: passed to the chat template (Qwen3: False adds the empty
            ``<think></think>`` block, as the paper runs Qwen3 without thinking).
        max_batch_size: most prompts decoded together; larger batches are split
            (prompts are grouped by length first to reduce padding).
        compute_dtype: ``"float32"``, or ``"bfloat16"`` to decode under autocast, the
            same mixed precision as the actor's forward pass. The engine keeps no second
            copy of the weights: autocast casts each float32 weight once per
            :meth:`generate` call (its weight cache), so the engine always samples from
            the actor's current parameters and cannot drift from them.
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        enable_thinking: bool = False,
        max_batch_size: int = 64,
        compute_dtype: str = "float32",
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        self.model = model
        self.tokenizer = tokenizer
        self.enable_thinking = enable_thinking
        self.max_batch_size = max_batch_size
        self.compute_dtype = check_compute_dtype(compute_dtype)
        self.stop_ids = stop_token_ids(tokenizer)
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer needs a pad token for batched generation")
        self.pad_id = int(tokenizer.pad_token_id)

    # -- prompts ---------------------------------------------------------------------
    def encode_prompt(self, messages: list[ChatMessage]) -> list[int]:
        """Token ids of ``messages`` after the chat template, ending with the assistant header."""
        return encode_chat(self.tokenizer, messages, self.enable_thinking)

    # -- Engine protocol -------------------------------------------------------------
    def generate(
        self, prompts: list[list[ChatMessage]], sampling: SamplingConfig, seed: int
    ) -> list[Completion]:
        """One completion per prompt, in prompt order (deterministic for a fixed seed)."""
        encoded = [self.encode_prompt(messages) for messages in prompts]
        return self.generate_from_ids(encoded, sampling, seed)

    def generate_from_ids(
        self, prompt_ids: list[list[int]], sampling: SamplingConfig, seed: int
    ) -> list[Completion]:
        """:meth:`generate` for prompts that are already token ids."""
        if any(len(ids) == 0 for ids in prompt_ids):
            raise ValueError("every prompt needs at least one token")
        device = next(self.model.parameters()).device
        generator = torch.Generator(device=device)
        generator.manual_seed(int(seed))
        # Similar lengths side by side -> less padding; a stable sort keeps it deterministic.
        order = sorted(range(len(prompt_ids)), key=lambda i: len(prompt_ids[i]))
        results: list[Completion | None] = [None] * len(prompt_ids)
        was_training = self.model.training
        self.model.eval()
        try:
            with compute_autocast(device, self.compute_dtype):
                for start in range(0, len(order), self.max_batch_size):
                    rows = order[start : start + self.max_batch_size]
                    chunk = self._decode([prompt_ids[i] for i in rows], sampling, generator, device)
                    for row, (response, log_probs, finish) in zip(rows, chunk, strict=True):
                        results[row] = Completion(
                            text=self.tokenizer.decode(response, skip_special_tokens=True),
                            prompt_ids=list(prompt_ids[row]),
                            response_ids=response,
                            log_probs=log_probs,
                            finish_reason=finish,
                        )
        finally:
            self.model.train(was_training)
        return [c for c in results if c is not None]

    def load_weights(self, state_dict: Mapping[str, torch.Tensor]) -> None:
        """Copy ``state_dict`` into the engine's model (skipped for tensors it already shares)."""
        own = self.model.state_dict()
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        if unexpected or (missing and not _only_tied(self.model, missing)):
            raise KeyError(
                f"load_weights: missing keys {missing[:5]}, unexpected keys {unexpected[:5]}"
            )
        with torch.no_grad():
            for name, tensor in state_dict.items():
                target = own[name]
                if target.data_ptr() != tensor.data_ptr():
                    target.copy_(tensor)

    # -- decoding --------------------------------------------------------------------
    # no_grad rather than inference_mode: autocast caches its casts of the weights only
    # outside inference mode, and that cache is what makes bf16 decoding cast once per call.
    @torch.no_grad()
    def _decode(
        self,
        prompt_ids: list[list[int]],
        sampling: SamplingConfig,
        generator: torch.Generator,
        device: torch.device,
    ) -> list[tuple[list[int], list[float], str]]:
        batch = len(prompt_ids)
        # The actor's layout with empty responses: left-padded prompts whose positions
        # count real tokens only, so the engine and the actor see the same RoPE phases.
        packed = pack_rows([(ids, ()) for ids in prompt_ids], self.pad_id, device)
        input_ids, attention_mask = packed.input_ids, packed.attention_mask
        position_ids = packed.position_ids
        cache = DynamicCache(config=self.model.config)
        logits = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
        ).logits[:, -1, :]
        next_position = position_ids[:, -1] + 1

        responses: list[list[int]] = [[] for _ in range(batch)]
        log_probs: list[list[float]] = [[] for _ in range(batch)]
        finish = ["length"] * batch
        live = list(range(batch))  # original row of each row still decoding
        stop_ids = set(self.stop_ids)
        for step in range(sampling.max_new_tokens):
            tokens, token_log_probs = sample_tokens(logits, sampling, generator)
            keep: list[int] = []
            for position, (row, token, log_prob) in enumerate(
                zip(live, tokens.tolist(), token_log_probs.tolist(), strict=True)
            ):
                responses[row].append(token)
                log_probs[row].append(log_prob)
                if token in stop_ids:
                    finish[row] = "stop"
                else:
                    keep.append(position)
            if not keep or step == sampling.max_new_tokens - 1:
                break
            if len(keep) < len(live):
                # Drop finished rows from the batch and the cache: they cost nothing more.
                index = torch.tensor(keep, device=device)
                cache.batch_select_indices(index)
                tokens, attention_mask, next_position = (
                    tokens[index],
                    attention_mask[index],
                    next_position[index],
                )
                live = [live[position] for position in keep]
            attention_mask = torch.cat(
                [attention_mask, attention_mask.new_ones((len(live), 1))], dim=1
            )
            logits = self.model(
                input_ids=tokens[:, None],
                attention_mask=attention_mask,
                position_ids=next_position[:, None],
                past_key_values=cache,
                use_cache=True,
            ).logits[:, -1, :]
            next_position = next_position + 1
        return list(zip(responses, log_probs, finish, strict=True))


def sample_tokens(
    logits: torch.Tensor, sampling: SamplingConfig, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample one token per row of ``logits`` (batch, vocab).

    Returns ``(tokens, log_probs)``, both shape (batch,): the sampled ids and their
    log-probability under ``log_softmax(logits / temperature)`` (temperature 0: greedy,
    log-prob at temperature 1). top-k / top-p restrict *which* tokens can be drawn; the
    reported log-prob is not renormalised over the kept set, matching what the actor
    recomputes from the full distribution.
    """
    scaled = logits.float()
    if sampling.temperature not in (0.0, 1.0):
        scaled = scaled / sampling.temperature
    # log p(token) = shifted[token] - log(sum(exp(shifted))): one pass fewer than a
    # full log_softmax, which matters with a 151k vocabulary on CPU.
    shifted = scaled - scaled.max(dim=-1, keepdim=True).values
    weights = shifted.exp()
    log_normaliser = weights.sum(dim=-1).log()
    vocab = scaled.shape[-1]
    if sampling.temperature == 0.0:
        tokens = scaled.argmax(dim=-1)
    elif not 0 < sampling.top_k < vocab and sampling.top_p >= 1.0:
        tokens = _draw(weights, generator)
    else:
        candidate_scores, candidate_ids, kept = top_k_top_p(shifted, sampling.top_k, sampling.top_p)
        candidate_scores = candidate_scores.masked_fill(~kept, float("-inf"))
        pick = _draw(candidate_scores.exp(), generator)
        tokens = candidate_ids.gather(-1, pick[:, None])[:, 0]
    return tokens, shifted.gather(-1, tokens[:, None])[:, 0] - log_normaliser


def top_k_top_p(
    scores: torch.Tensor, top_k: int, top_p: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The candidates of top-k then top-p sampling over the last dimension of ``scores``:
    ``(candidate_scores, candidate_ids, kept)``, the candidates sorted by score (the
    ``top_k`` best, or all if ``top_k`` is -1, 0 or at least the vocabulary) and which of
    them the nucleus keeps: the smallest prefix whose probability, renormalised over the
    candidates, reaches ``top_p``. The most likely token is always kept. The sampler above
    draws from these; the actor's truncated scoring (``lamer_train.actor.kept_tokens``)
    scores over them."""
    if 0 < top_k < scores.shape[-1]:  # top-k needs no full sort
        candidate_scores, candidate_ids = torch.topk(scores, top_k, dim=-1)
    else:
        candidate_scores, candidate_ids = torch.sort(scores, dim=-1, descending=True)
    kept = torch.ones_like(candidate_scores, dtype=torch.bool)
    if top_p < 1.0:
        probs = torch.softmax(candidate_scores, dim=-1)
        kept = probs.cumsum(dim=-1) - probs < top_p  # the first token's mass before is 0
    return candidate_scores, candidate_ids, kept


def _draw(weights: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One index per row of non-negative ``weights`` (batch, n), drawn with probability
    proportional to the weight, by inverse-CDF sampling.

    ``torch.multinomial`` over a 151k vocabulary is several times slower on CPU.
    """
    cdf = weights.cumsum(dim=-1)
    uniform = torch.rand((weights.shape[0], 1), generator=generator, device=weights.device)
    index = torch.searchsorted(cdf, uniform * cdf[:, -1:], right=True)[:, 0]
    return index.clamp(max=weights.shape[-1] - 1)


def _only_tied(model: PreTrainedModel, missing: list[str]) -> bool:
    """True when the keys missing from a state dict are tied copies (e.g. lm_head.weight)."""
    tied = getattr(model.config, "tie_word_embeddings", False)
    return tied and all(name.endswith("lm_head.weight") for name in missing)
