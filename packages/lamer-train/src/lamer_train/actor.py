"""The actor: a causal LM trained with PPO-clip on response tokens.

One :meth:`Actor.update` consumes one rollout: the rows' "old" log-probs are recomputed
with the current weights (the policy that sampled them, up to engine numerics), then
``ppo_epochs`` passes over mini-batches of rows each take one AdamW step, accumulating
gradients over micro-batches. A row's advantage is one number broadcast over its
response tokens, or one per response token (GAE, REINFORCE++); prompt tokens never
enter the loss.

Truncated scoring (``top_k`` / ``top_p``, set to the rollout's): a token's log-prob is
taken over the tokens the rollout's top-k / top-p sampler could draw at that position,
renormalised (the set from the current logits, plus the sampled token). The gradient is
then that of the truncated policy the rollout sampled from, and the tokens it never draws
get none. Scored over the whole vocabulary instead, every negative advantage pushes
probability into that never-sampled tail and nothing pushes it back, so the entropy of the
full distribution can climb over training (it does in the CPU main job; see the package
README). Without ``top_k``, ``top_p`` sorts the whole vocabulary at every response position.

Mixed precision (``compute_dtype="bfloat16"``): the parameters and AdamW's moments stay
in their own dtype (float32 by default, so that a 1e-6 learning rate still moves bf16-
sized weights), and the forward pass runs under ``torch.autocast`` in bfloat16; the
backward follows autocast's casts, so gradients land in float32 on the float32
parameters. This is the standard recipe (and the reference's FSDP mixed-precision
policy: fp32 parameters, bf16 compute).

Micro-batching is exact: every micro-batch's loss is divided by the *mini-batch's*
token (or row) count, so the accumulated gradient equals the gradient of the whole
mini-batch's loss regardless of how it is split. Rows are therefore grouped by length
inside a mini-batch to cut padding. ``loss_normaliser="micro_batch"`` reproduces the
reference (verl) instead: each micro-batch (cut in row order) is normalised by its own
token count and the micro-batches are averaged, so a token's weight depends on how
long the other responses of its micro-batch are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from lamer_core.seeding import make_rng
from lamer_train.actor_config import ActorConfig
from lamer_train.distributed import (
    compute_device,
    gather_rows,
    is_distributed,
    micro_batch_share,
    sum_over_ranks,
)
from lamer_train.engines.hf import top_k_top_p
from lamer_train.learner import adamw, learner_state, load_learner_state
from lamer_train.lora import adapt_policy, adapter_state, has_lora, hf_weights, is_lora_state
from lamer_train.model_factory import (
    check_compute_dtype,
    compute_autocast,
    enable_activation_checkpointing,
)
from lamer_train.padding import micro_batches, pack_rows, pad_tensors
from lamer_train.ppo_loss import agg_loss, kl_penalty, ppo_policy_loss

_OUTSIDE_KEPT = -1e30
"""The logit given to tokens outside the kept set under truncated scoring."""

Sample = tuple[Sequence[int], ...]
"""One training row: ``(prompt_ids, response_ids)``, or ``(prompt_ids, response_ids,
rollout_log_probs)`` when truncated importance sampling needs the engine's log-probs."""


class Actor:
    """PPO learner around a transformers causal LM.

    Args:
        model: the policy (``AutoModelForCausalLM``); updated in place, so an engine
            sharing the module samples from the new weights at once.
        config: :class:`ActorConfig`.
        ref_model: frozen reference policy for the KL loss (needed iff ``kl_coef > 0``).
        compute_dtype: ``"float32"``, or ``"bfloat16"`` to run forward passes under
            autocast (the parameters keep their dtype; see the module docstring).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        config: ActorConfig,
        ref_model: torch.nn.Module | None = None,
        compute_dtype: str = "float32",
    ) -> None:
        if config.kl_coef > 0 and ref_model is None:
            raise ValueError("kl_coef > 0 needs a ref_model (a frozen copy of the initial policy)")
        self.model = model
        self.config = config
        self.ref_model = ref_model
        self.compute_dtype = check_compute_dtype(compute_dtype)
        if ref_model is not None:
            ref_model.eval().requires_grad_(False)
        adapt_policy(model, config)  # before the optimizer, which then holds the adapters only
        self.optimizer = adamw(model, config)
        self.updates_done = 0
        self.skip_reasons: list[str] = []
        """Why steps of the last :meth:`update` were skipped (empty: none was)."""
        if config.activation_checkpointing:
            enable_activation_checkpointing(model)
        pad = getattr(getattr(model, "config", None), "pad_token_id", None)
        self.pad_id = int(pad) if pad is not None else 0

    # -- scoring ---------------------------------------------------------------------
    def compute_log_probs(
        self,
        samples: Sequence[Sample],
        model: torch.nn.Module | None = None,
        metrics: _MetricSums | None = None,
    ) -> list[torch.Tensor]:
        """Log-probs of each row's response tokens (float32, shape (len(response),)),
        without gradients, in row order. With ``metrics``, also logs the token entropy."""
        model = model or self.model
        out: list[torch.Tensor] = [torch.empty(0)] * len(samples)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                chunks = self._micro_batches(range(len(samples)), samples)
                for rows, weight in micro_batch_share(chunks):  # several ranks: this one's
                    log_probs, entropy, mask = self._score(
                        model, [samples[i] for i in rows], with_entropy=metrics is not None
                    )
                    if weight == 0:  # a rank's filler pass (see lamer_train.distributed)
                        continue
                    if metrics is not None:
                        metrics.add_tokens(
                            "entropy", float((entropy * mask).sum()), float(mask.sum())
                        )
                    for slot, row in enumerate(rows):
                        out[row] = log_probs[slot, : int(mask[slot].sum())].cpu()
        finally:
            model.train(was_training)
        if is_distributed():
            mine = {row: out[row] for row, value in enumerate(out) if value.numel()}
            for row, value in gather_rows(mine).items():
                out[row] = value
        return out

    def _score(
        self, model: torch.nn.Module, rows: Sequence[Sample], with_entropy: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Per-token log-probs (and entropies) of the responses, shape (rows, R).

        Layout (:func:`~lamer_train.padding.pack_rows`): the logits of every response
        token sit in the last R+1 positions, so the model's ``logits_to_keep`` computes
        the 151k-wide output head for those only. Going through the model's own forward
        keeps this valid under FSDP.
        """
        packed = pack_rows(rows, self.pad_id, compute_device(model))
        prompt_width, response_mask = packed.prompt_width, packed.response_mask
        response_width = response_mask.shape[1]
        with compute_autocast(packed.input_ids.device, self.compute_dtype):
            logits = model(
                input_ids=packed.input_ids,
                attention_mask=packed.attention_mask,
                position_ids=packed.position_ids,
                use_cache=False,
                logits_to_keep=response_width + 1,
            ).logits[:, :-1, :]  # position t predicts token t+1
        # The loss math (log-softmax over the vocabulary, ratios) runs in float32.
        logits = logits.float()
        if self.config.temperature != 1.0:
            logits = logits / self.config.temperature
        targets = packed.input_ids[:, prompt_width:]
        kept = None
        if self.config.truncates:
            kept = kept_tokens(logits.detach(), self.config.top_k, self.config.top_p)
            kept.scatter_(-1, targets[..., None], True)  # a sampled token always counts
            # Finite, so that 0 * log p stays 0 in the entropy and its backward.
            logits = logits.masked_fill(~kept, _OUTSIDE_KEPT)
        entropy = None
        if with_entropy:
            # Full log-softmax once: gives the token log-probs and the entropy.
            log_softmax = torch.log_softmax(logits, dim=-1)
            log_probs = log_softmax.gather(-1, targets[..., None])[..., 0]
            entropy = -(log_softmax.exp() * log_softmax).sum(dim=-1)
        else:
            # Fused log-softmax + gather (+ its backward): the cheapest path over 151k logits.
            log_probs = -torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
            ).view(targets.shape)
        return log_probs * response_mask, entropy, response_mask

    def _micro_batches(
        self, rows: Sequence[int], samples: Sequence[Sample], by_length: bool = True
    ) -> list[list[int]]:
        """Rows grouped by total length (less padding), or kept in order, cut into
        micro-batches of ``micro_batch_size`` rows or ``micro_batch_tokens`` tokens."""
        return micro_batches(
            rows,
            samples,
            self.config.micro_batch_size,
            max_tokens=self.config.micro_batch_tokens,
            by_length=by_length,
        )

    # -- update ----------------------------------------------------------------------
    def planned_steps(self, samples: Sequence[Sample]) -> int:
        """Optimizer steps :meth:`update` takes on ``samples`` (a progress bar's total)."""
        usable = sum(len(sample[1]) > 0 for sample in samples)
        return self.config.ppo_epochs * -(-usable // self.config.mini_batch_size)

    def update(
        self,
        samples: Sequence[Sample],
        advantages: Sequence[float] | np.ndarray,
        on_step: Callable[[int, int], None] | None = None,
    ) -> dict[str, float]:
        """One PPO update over a rollout; returns averaged metrics.

        ``samples[i] = (prompt_ids, response_ids[, rollout_log_probs])`` and
        ``advantages[i]`` come from the same row: ``advantages`` is ``(n,)`` (one per
        row, broadcast over its response tokens) or ``(n, T)`` with ``T`` at least the
        longest response (one per response token; row ``i`` uses its first
        ``len(response_ids)`` entries). Rows with an empty response carry no tokens and
        are skipped. ``on_step(done, total)`` follows the optimizer steps (progress).
        Non-finite values never reach the weights: an optimizer step whose loss or
        gradient norm is NaN/inf is not taken, and advantages that are not finite in
        float32 skip the whole update; both are counted in the metrics (``skipped_steps``,
        ``skipped_updates``) and explained in :attr:`skip_reasons`.
        """
        config = self.config
        advantages = np.asarray(advantages, dtype=np.float64)
        if advantages.ndim not in (1, 2) or len(advantages) != len(samples):
            raise ValueError(
                f"got {len(samples)} samples but {len(advantages)} advantages (shape "
                f"{advantages.shape}; expected (n,) or (n, T))"
            )
        longest = max((len(sample[1]) for sample in samples), default=0)
        if advantages.ndim == 2 and advantages.shape[1] < longest:
            raise ValueError(
                f"token advantages have {advantages.shape[1]} columns but the longest response "
                f"has {longest} tokens"
            )
        self.skip_reasons = []
        used = advantages
        if advantages.ndim == 2:  # only the entries of response tokens enter the loss
            used = np.concatenate(
                [advantages[i, : len(sample[1])] for i, sample in enumerate(samples)] or [[]]
            )
        bad_advantages = nonfinite_advantage_reason(used)
        for index, sample in enumerate(samples):
            if len(sample[0]) == 0:
                raise ValueError(f"sample {index} has an empty prompt")
            if config.tis_imp_ratio_cap > 0 and (
                len(sample) < 3 or len(sample[2]) != len(sample[1])
            ):
                raise ValueError(
                    f"tis_imp_ratio_cap > 0 needs (prompt_ids, response_ids, rollout_log_probs) "
                    f"samples with one log-prob per response token; sample {index} has none"
                )
        usable = [i for i, sample in enumerate(samples) if len(sample[1]) > 0]
        metrics = _MetricSums()
        if not usable:
            return metrics.result(extra={"optimizer_steps": 0.0, "response_tokens": 0.0})
        if bad_advantages:
            self.skip_reasons.append(bad_advantages)
            return metrics.result(
                extra={
                    "optimizer_steps": 0.0,
                    "skipped_steps": float(self.planned_steps(samples)),
                    "skipped_updates": 1.0,
                    "response_tokens": 0.0,
                }
            )
        multiple = config.pad_rows_to_multiple
        if multiple > 0 and len(usable) % multiple:
            # The reference's padding: the first rows again (cycling if there are few).
            extra = multiple - len(usable) % multiple
            usable = usable + [usable[k % len(usable)] for k in range(extra)]
            metrics.counts["padded_rows"] = float(extra)

        # The entropy is logged from this no-grad pass unless it is part of the loss.
        entropy_metrics = metrics if config.entropy_coef == 0 else None
        old_log_probs = self.compute_log_probs(samples, metrics=entropy_metrics)
        ref_log_probs = (
            self.compute_log_probs(samples, self.ref_model) if self.ref_model is not None else None
        )
        self.model.train()
        steps = skipped = 0
        total = self.planned_steps(samples)
        per_epoch = total // config.ppo_epochs
        for epoch in range(config.ppo_epochs):
            order = list(usable)
            if config.shuffle:
                rng = make_rng(config.seed, "actor-shuffle", self.updates_done, epoch)
                order = [order[i] for i in rng.permutation(len(order))]
            for start in range(0, len(order), config.mini_batch_size):
                mini = order[start : start + config.mini_batch_size]
                self.optimizer.zero_grad(set_to_none=True)
                finite_loss = self.accumulate_gradients(
                    samples, mini, advantages, old_log_probs, ref_log_probs, metrics
                )
                grad_norm = torch.nn.utils.clip_grad_norm_(
                    self.model.parameters(), config.grad_clip
                )
                if hasattr(grad_norm, "full_tensor"):  # FSDP2: a DTensor holding the global norm
                    grad_norm = grad_norm.full_tensor()
                finite_loss = _all_ranks_agree(finite_loss, grad_norm.device)
                if finite_loss and torch.isfinite(grad_norm):
                    self.optimizer.step()
                    steps += 1
                else:  # a non-finite loss or gradient would poison the weights and AdamW's moments
                    skipped += 1
                    what = "gradient norm" if finite_loss else "loss"
                    self.skip_reasons.append(
                        f"epoch {epoch} mini-batch {start // config.mini_batch_size}: "
                        f"non-finite {what} ({float(grad_norm)})"
                    )
                self.optimizer.zero_grad(set_to_none=True)
                metrics.step("grad_norm", float(grad_norm))
                if on_step is not None:
                    on_step(start // config.mini_batch_size + 1 + epoch * per_epoch, total)
        self.updates_done += 1
        self.model.eval()
        metrics.sum_over_ranks()
        response_tokens = sum(len(samples[i][1]) for i in set(usable))
        return metrics.result(
            extra={
                "optimizer_steps": float(steps),
                "skipped_steps": float(skipped),
                "skipped_updates": float(steps == 0 and skipped > 0),
                "response_tokens": float(response_tokens),
                "lr": config.lr,
            }
        )

    def accumulate_gradients(
        self,
        samples: Sequence[Sample],
        mini: Sequence[int],
        advantages: np.ndarray,
        old_log_probs: Sequence[torch.Tensor],
        ref_log_probs: Sequence[torch.Tensor] | None,
        metrics: _MetricSums | None = None,
    ) -> bool:
        """Backward the loss of mini-batch ``mini`` (row indices) into ``.grad``, one
        micro-batch at a time; the gradients add up to those of the whole mini-batch.
        Returns whether every micro-batch loss was finite."""
        config = self.config
        metrics = metrics if metrics is not None else _MetricSums()
        device = compute_device(self.model)
        token_mean = config.loss_agg_mode == "token-mean"
        tokens = sum(len(samples[i][1]) for i in mini)
        normaliser = float(tokens) if token_mean else float(len(mini))
        # One T for every micro-batch keeps seq-mean-token-sum-norm exact under accumulation.
        horizon = config.loss_horizon or max(len(samples[i][1]) for i in mini)
        finite = True
        per_micro = config.loss_normaliser == "micro_batch"
        chunks = self._micro_batches(mini, samples, by_length=not per_micro)
        # Several ranks: this rank's share, the loss weighted (lamer_train.distributed).
        for rows, weight in micro_batch_share(chunks):
            if per_micro:  # the reference: each micro-batch's own mean, averaged over them
                own = sum(len(samples[i][1]) for i in rows) if token_mean else len(rows)
                normaliser = float(own) * len(chunks)
            log_probs, entropy, mask = self._score(
                self.model, [samples[i] for i in rows], with_entropy=config.entropy_coef > 0
            )
            old = pad_tensors([old_log_probs[i] for i in rows], mask.shape[1], device)
            if advantages.ndim == 1:  # a row's advantage, broadcast over its response tokens
                row_advantages = torch.as_tensor(advantages[rows], dtype=torch.float32)
                token_advantages = row_advantages.to(device)[:, None] * mask
            else:  # one advantage per response token
                token_advantages = pad_tensors(
                    [advantages[i, : len(samples[i][1])] for i in rows], mask.shape[1], device
                )
            rollout = None
            if config.tis_imp_ratio_cap > 0:
                rollout = pad_tensors(
                    [torch.as_tensor(samples[i][2], dtype=torch.float32) for i in rows],
                    mask.shape[1],
                    device,
                )
            policy = ppo_policy_loss(
                old,
                log_probs,
                token_advantages,
                mask,
                clip_ratio=config.clip_ratio,
                clip_ratio_low=config.clip_ratio_low,
                clip_ratio_high=config.clip_ratio_high,
                clip_ratio_c=config.clip_ratio_c,
                loss_agg_mode=config.loss_agg_mode,
                clip_level=config.clip_level,
                tis_imp_ratio_cap=config.tis_imp_ratio_cap,
                rollout_log_probs=rollout,
                normaliser=normaliser,
                horizon=horizon,
            )
            loss = policy.pg_loss
            micro_tokens = float(mask.sum())
            if config.entropy_coef > 0:
                loss = loss - config.entropy_coef * agg_loss(
                    entropy, mask, config.loss_agg_mode, normaliser=normaliser, horizon=horizon
                )
            if ref_log_probs is not None:
                ref = pad_tensors([ref_log_probs[i] for i in rows], mask.shape[1], device)
                kl = kl_penalty(log_probs, ref, config.kl_penalty)
                loss = loss + config.kl_coef * agg_loss(
                    kl, mask, config.loss_agg_mode, normaliser=normaliser, horizon=horizon
                )
                if weight:
                    metrics.add_tokens("kl", float((kl.detach() * mask).sum()), micro_tokens)
            finite = finite and bool(torch.isfinite(loss.detach()))
            (loss * weight if weight != 1.0 else loss).backward()
            if weight == 0:  # a filler pass: its metrics are another rank's
                continue
            metrics.add("pg_loss", float(policy.pg_loss.detach()))
            metrics.add("loss", float(loss.detach()))
            for name in ("pg_clipfrac", "ppo_kl", "pg_clipfrac_lower"):
                metrics.add_tokens(
                    name, float(getattr(policy, name).detach()) * micro_tokens, micro_tokens
                )
            if entropy is not None:
                metrics.add_tokens("entropy", float((entropy.detach() * mask).sum()), micro_tokens)
        return finite

    # -- checkpointing ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Model weights, optimizer state and the update counter (for exact resumes);
        with LoRA also the adapters alone (``"adapters"``), which a checkpoint keeps
        when it stores the weights merged (:func:`lamer_train.lora.hf_weights`)."""
        state = learner_state(self.model, self.optimizer, self.updates_done)
        if has_lora(self.model):
            state["adapters"] = adapter_state(self.model)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (tied aliases may be left out). With
        LoRA the weights may be merged (a checkpoint's ``model/`` folder): then the
        adapters are loaded onto this actor's base model, and the result must reproduce
        those merged weights."""
        if not (has_lora(self.model) and not is_lora_state(state["model"])):
            self.updates_done = load_learner_state(self.model, self.optimizer, state, "actor")
            return
        if "adapters" not in state:
            raise KeyError("the actor trains LoRA adapters but the checkpoint holds none")
        own = adapter_state(self.model)
        if set(state["adapters"]) != set(own):
            raise KeyError(
                "checkpoint adapters do not fit actor.lora: "
                f"{sorted(set(state['adapters']) ^ set(own))[:5]}"
            )
        with torch.no_grad():
            for name, tensor in state["adapters"].items():
                own[name].copy_(tensor)
        # The frozen base comes from the run's config; a different base model would
        # silently give a different policy.
        merged = hf_weights(self.model)
        for name, saved in state["model"].items():
            if name in merged and not torch.allclose(
                merged[name].float(), saved.to(merged[name].device).float(), atol=1e-5, rtol=1e-4
            ):
                raise ValueError(
                    f"the LoRA checkpoint's merged weight {name} does not match this base "
                    "model plus its adapters: the run's model is not the one it was trained from"
                )
        self.optimizer.load_state_dict(state["optimizer"])
        self.updates_done = int(state.get("updates_done", 0))


def kept_tokens(logits: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    """Boolean mask (same shape as ``logits``) of the tokens top-k then top-p sampling can
    draw: the candidates of :func:`lamer_train.engines.hf.top_k_top_p`, the HF sampler's."""
    _, candidate_ids, kept = top_k_top_p(logits, top_k, top_p)
    return torch.zeros_like(logits, dtype=torch.bool).scatter_(-1, candidate_ids, kept)


def _all_ranks_agree(flag: bool, device: torch.device) -> bool:
    """``flag`` on every rank (False if False anywhere), so all ranks skip the same steps."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    torch.distributed.all_reduce(value, op=torch.distributed.ReduceOp.MIN)
    return bool(value.item() > 0)


def nonfinite_advantage_reason(advantages: np.ndarray) -> str | None:
    """Why ``advantages`` cannot train (NaN/inf, or too large for the float32 loss), or None.

    Advantages of 1e300 are finite in float64 but become inf in the float32 loss, which
    would then skip every step with no word of why; naming them here tells the user to
    look at the rewards or the estimator's normalisation.
    """
    nonfinite = int((~np.isfinite(advantages)).sum())
    if nonfinite:
        return f"{nonfinite} of {len(advantages)} advantages are NaN or inf"
    largest = float(np.abs(advantages).max()) if len(advantages) else 0.0
    if largest <= float(np.finfo(np.float32).max):
        return None
    return (
        f"advantages up to {largest:.3g} in size overflow float32 (check the rewards and "
        "the estimator's normalisation)"
    )


class _MetricSums:
    """Accumulates per-step and token-weighted metrics of one update."""

    def __init__(self) -> None:
        self.step_sums: dict[str, float] = {}
        self.step_counts: dict[str, int] = {}
        self.token_sums: dict[str, float] = {}
        self.token_counts: dict[str, float] = {}
        self.loss_sums: dict[str, float] = {}
        self.counts: dict[str, float] = {}

    def add(self, name: str, value: float) -> None:
        """A micro-batch's share of a mini-batch loss (shares add up to the mini-batch loss)."""
        self.loss_sums[name] = self.loss_sums.get(name, 0.0) + value

    def add_tokens(self, name: str, total: float, tokens: float) -> None:
        self.token_sums[name] = self.token_sums.get(name, 0.0) + total
        self.token_counts[name] = self.token_counts.get(name, 0.0) + tokens

    def step(self, name: str, value: float) -> None:
        self.step_sums[name] = self.step_sums.get(name, 0.0) + value
        self.step_counts[name] = self.step_counts.get(name, 0) + 1

    def sum_over_ranks(self) -> None:
        """Several ranks: each summed its own micro-batches; add up every rank's sums."""
        if is_distributed():
            self.loss_sums = sum_over_ranks(self.loss_sums)
            self.token_sums = sum_over_ranks(self.token_sums)
            self.token_counts = sum_over_ranks(self.token_counts)

    def count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0.0) + 1.0

    def result(self, extra: dict[str, float]) -> dict[str, float]:
        steps = max(self.step_counts.get("grad_norm", 0), 1)
        out = {name: total / steps for name, total in self.loss_sums.items()}
        out.update(
            {
                name: total / max(self.token_counts[name], 1e-9)
                for name, total in self.token_sums.items()
            }
        )
        out.update({name: total / self.step_counts[name] for name, total in self.step_sums.items()})
        out.update(self.counts)
        out.update(extra)
        return out
