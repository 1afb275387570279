"""PPO losses on response tokens: clipped policy loss, loss aggregation, KL penalty, entropy.

Pure functions on (batch, response_length) tensors; ``response_mask`` is 1 on real
response tokens and 0 on padding. They reproduce the reference (verl) formulas, checked
against the golden cases in ``tests/golden/policy_loss.jsonl`` and ``agg_loss.jsonl``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import torch

from lamer_train.actor_config import LOSS_AGG_MODES, ClipLevel, KLPenalty, LossAggMode

_EPS = 1e-8


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``sum(values * mask) / (sum(mask) + 1e-8)`` (the reference's epsilon)."""
    return (values * mask).sum() / (mask.sum() + _EPS)


def agg_loss(
    loss_mat: torch.Tensor,
    loss_mask: torch.Tensor,
    loss_agg_mode: LossAggMode,
    *,
    normaliser: float | None = None,
    horizon: int | None = None,
) -> torch.Tensor:
    """Reduce a (batch, T) per-token loss to a scalar.

    - ``token-mean``: ``sum(L*M) / (sum(M) + 1e-8)`` -- every token weighs the same.
    - ``seq-mean-token-sum``: mean over rows of ``sum_t(L*M)``.
    - ``seq-mean-token-mean``: mean over rows of ``sum_t(L*M) / sum_t(M)``.
    - ``seq-mean-token-sum-norm``: mean over rows of ``sum_t(L*M) / T`` (T = padded width).

    ``horizon`` replaces T (the reference pads every response to the configured
    response length, so T is that constant). ``normaliser`` replaces the denominator
    (valid tokens for ``token-mean``, rows
    otherwise) so that micro-batches of one mini-batch add up to the exact mini-batch
    loss under gradient accumulation.
    """
    masked = loss_mat * loss_mask
    if loss_agg_mode == "token-mean":
        return masked.sum() / (normaliser if normaliser is not None else loss_mask.sum() + _EPS)
    if loss_agg_mode == "seq-mean-token-sum":
        per_row = masked.sum(dim=-1)
    elif loss_agg_mode == "seq-mean-token-mean":
        per_row = masked.sum(dim=-1) / loss_mask.sum(dim=-1)
    elif loss_agg_mode == "seq-mean-token-sum-norm":
        per_row = masked.sum(dim=-1) / (horizon if horizon is not None else loss_mat.shape[-1])
    else:
        raise ValueError(f"loss_agg_mode must be one of {LOSS_AGG_MODES}, got {loss_agg_mode!r}")
    return per_row.sum() / normaliser if normaliser is not None else per_row.mean()


@dataclass(slots=True)
class PolicyLoss:
    """Output of :func:`ppo_policy_loss`; all scalars (0-dim tensors)."""

    pg_loss: torch.Tensor
    """The aggregated clipped surrogate loss (differentiable)."""
    pg_clipfrac: torch.Tensor
    """Fraction of valid tokens where the clipped term was the active (larger) one."""
    ppo_kl: torch.Tensor
    """Masked mean of ``old_log_probs - log_probs`` (how far the policy has moved)."""
    pg_clipfrac_lower: torch.Tensor
    """Fraction of valid tokens with ``A < 0`` capped by the dual clip."""


def ppo_policy_loss(
    old_log_probs: torch.Tensor,
    log_probs: torch.Tensor,
    advantages: torch.Tensor,
    response_mask: torch.Tensor,
    *,
    clip_ratio: float = 0.2,
    clip_ratio_low: float | None = None,
    clip_ratio_high: float | None = None,
    clip_ratio_c: float | None = 3.0,
    loss_agg_mode: LossAggMode = "token-mean",
    clip_level: ClipLevel = "token",
    tis_imp_ratio_cap: float = -1.0,
    rollout_log_probs: torch.Tensor | None = None,
    normaliser: float | None = None,
    horizon: int | None = None,
) -> PolicyLoss:
    """PPO-clip surrogate (Schulman et al. 2017) with dual-clip (Ye et al. 2020).

    All tensors are (batch, T). Per token, with ``r = exp(log_probs - old_log_probs)``:
    ``L = max(-A*r, -A*clip(r, 1-low, 1+high))``, and for ``A < 0`` also
    ``L = min(L, -A*clip_ratio_c)`` (dual clip; ``None`` turns it off).

    ``clip_level="sequence"`` (GSPO-like) uses one ratio per row,
    ``exp(clamp(mean_t(log_probs - old_log_probs), -10, 10))``, whose gradient still
    flows per token; it has no dual clip.

    Truncated importance sampling (``tis_imp_ratio_cap > 0`` and ``rollout_log_probs``
    given) multiplies the loss by ``min(exp(old - rollout), cap)`` per token (sequence
    level: ``exp`` of the row sum), correcting for a rollout engine whose numerics
    differ from the trainer's.
    """
    low = clip_ratio if clip_ratio_low is None else clip_ratio_low
    high = clip_ratio if clip_ratio_high is None else clip_ratio_high
    log_ratio = log_probs - old_log_probs
    ppo_kl = masked_mean(-log_ratio, response_mask)
    if clip_level == "token":
        # Clamp before exp: one wild token must not overflow the ratio.
        ratio = torch.exp(log_ratio.clamp(-20.0, 20.0))
    elif clip_level == "sequence":
        row_mean = (log_ratio * response_mask).sum(-1) / response_mask.sum(-1).clamp(min=1)
        # Forward value: the row's mean log-ratio; gradient: d/d log_probs of each token.
        log_seq_ratio = log_probs - log_probs.detach() + row_mean.detach()[:, None]
        ratio = torch.exp(log_seq_ratio.clamp(-10.0, 10.0))
    else:
        raise ValueError(f"clip_level must be 'token' or 'sequence', got {clip_level!r}")
    unclipped = -advantages * ratio
    clipped = -advantages * ratio.clamp(1.0 - low, 1.0 + high)
    losses = torch.maximum(unclipped, clipped)
    pg_clipfrac = masked_mean((clipped > unclipped).to(log_probs.dtype), response_mask)
    pg_clipfrac_lower = torch.zeros((), dtype=log_probs.dtype, device=log_probs.device)
    if clip_level == "token" and clip_ratio_c is not None:
        if clip_ratio_c <= 1.0:
            raise ValueError(
                f"clip_ratio_c must be > 1 (or None to disable dual clip), got {clip_ratio_c}"
            )
        cap = -advantages * clip_ratio_c
        negative = advantages < 0
        pg_clipfrac_lower = masked_mean(
            ((losses > cap) & negative).to(log_probs.dtype), response_mask
        )
        losses = torch.where(negative, torch.minimum(losses, cap), losses)
    if tis_imp_ratio_cap > 0 and rollout_log_probs is not None:
        drift = old_log_probs - rollout_log_probs
        if clip_level == "sequence":
            drift = (drift * response_mask).sum(-1, keepdim=True)
        losses = losses * torch.exp(drift).clamp(max=tis_imp_ratio_cap)
    pg_loss = agg_loss(losses, response_mask, loss_agg_mode, normaliser=normaliser, horizon=horizon)
    return PolicyLoss(pg_loss, pg_clipfrac, ppo_kl, pg_clipfrac_lower)


def kl_penalty(
    log_probs: torch.Tensor, ref_log_probs: torch.Tensor, mode: KLPenalty = "low_var_kl"
) -> torch.Tensor:
    """Per-token estimate of KL(policy || reference) from sampled tokens' log-probs.

    ``kl`` (k1): ``log_probs - ref``; ``abs``: its absolute value; ``mse`` (k2):
    ``0.5 * (log_probs - ref)^2``; ``low_var_kl`` (k3, Schulman 2020):
    ``exp(ref - log_probs) - (ref - log_probs) - 1``, clamped to [-10, 10] as in the
    reference, which keeps rare huge ratios from dominating the loss.
    """
    if mode == "kl":
        return log_probs - ref_log_probs
    if mode == "abs":
        return (log_probs - ref_log_probs).abs()
    if mode == "mse":
        return 0.5 * (log_probs - ref_log_probs).square()
    if mode == "low_var_kl":
        log_ratio = (ref_log_probs - log_probs).clamp(-20.0, 20.0)
        return (torch.exp(log_ratio) - log_ratio - 1.0).clamp(-10.0, 10.0)
    raise ValueError(f"kl penalty must be one of {get_args(KLPenalty)}, got {mode!r}")


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of ``softmax(logits)`` over the last axis: ``logsumexp(z) - sum(p * z)``."""
    probs = torch.softmax(logits, dim=-1)
    return torch.logsumexp(logits, dim=-1) - (probs * logits).sum(dim=-1)
