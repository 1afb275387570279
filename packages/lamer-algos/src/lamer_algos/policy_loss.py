"""Numpy reference of the PPO policy loss and its aggregation modes (forward and gradient).

The trainer computes the loss in torch; this module is the readable specification it is
tested against. Token level is dual-clip PPO (Ye et al., 2020)::

    r_t  = exp(clamp(logp_t - old_t, -20, 20))
    L_t  = max(-A_t r_t, -A_t clip(r_t, 1 - eps_low, 1 + eps_high))
    L_t  = min(L_t, -A_t * clip_ratio_c)           only where A_t < 0

Sequence level (GSPO-like, Zheng et al., 2025) uses one ratio per row,
``s = exp(clamp(mean over valid tokens of (logp - old), -10, 10))``, in the forward pass,
while the gradient flows to each token as ``d s_t / d logp_t = s``; no dual clip.

An optional truncated importance-sampling weight (TIS) corrects for the rollout engine's
sampling distribution: ``min(exp(old - rollout), cap)`` per token, or
``min(exp(sum over valid tokens of (old - rollout)), cap)`` per row at sequence level.

Shapes: every token array is ``(bs, T)``; the mask is 0/1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

LossAggMode = Literal[
    "token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"
]
ClipLevel = Literal["token", "sequence"]

#: Added to token counts in masked means, as the reference does.
MASK_EPS = 1e-8


def agg_loss_weights(loss_mask: np.ndarray, mode: LossAggMode) -> np.ndarray:
    """Weights ``W`` ``(bs, T)`` with ``agg_loss(L) = sum(W * L)``; also ``d loss / d L``.

    - ``token-mean``: ``M / (sum(M) + 1e-8)``
    - ``seq-mean-token-sum``: ``M / bs``
    - ``seq-mean-token-mean``: ``M / (row sum of M) / bs`` (an empty row gives NaN, as in
      the reference)
    - ``seq-mean-token-sum-norm``: ``M / T / bs`` (``T`` = the padded width)
    """
    mask = np.asarray(loss_mask, dtype=np.float64)
    if mask.ndim != 2:
        raise ValueError(f"loss_mask must be (bs, T), got shape {mask.shape}")
    rows, width = mask.shape
    if mode == "token-mean":
        return mask / (mask.sum() + MASK_EPS)
    if mode == "seq-mean-token-sum":
        return mask / rows
    if mode == "seq-mean-token-mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return mask / mask.sum(axis=1, keepdims=True) / rows
    if mode == "seq-mean-token-sum-norm":
        return mask / width / rows
    raise ValueError(
        "loss_agg_mode must be one of token-mean, seq-mean-token-sum, seq-mean-token-mean, "
        f"seq-mean-token-sum-norm; got {mode!r}"
    )


def agg_loss(loss_mat: np.ndarray, loss_mask: np.ndarray, mode: LossAggMode) -> float:
    """Aggregate a ``(bs, T)`` per-token loss into a scalar; see :func:`agg_loss_weights`."""
    return float((agg_loss_weights(loss_mask, mode) * np.asarray(loss_mat)).sum())


@dataclass(frozen=True, slots=True)
class PolicyLoss:
    """Forward values and the gradient of ``pg_loss`` with respect to ``log_prob``."""

    pg_loss: float
    pg_clipfrac: float
    """Masked fraction of tokens where the clipped branch is the larger loss."""
    ppo_kl: float
    """Masked mean of ``old - logp``."""
    pg_clipfrac_lower: float
    """Masked fraction of ``A < 0`` tokens capped by the dual clip (0 at sequence level)."""
    grad_log_prob: np.ndarray
    """``(bs, T)``: d pg_loss / d log_prob."""


def ppo_policy_loss(
    old_log_prob: np.ndarray,
    log_prob: np.ndarray,
    advantages: np.ndarray,
    response_mask: np.ndarray,
    *,
    cliprange: float = 0.2,
    cliprange_low: float | None = None,
    cliprange_high: float | None = None,
    clip_ratio_c: float = 3.0,
    loss_agg_mode: LossAggMode = "token-mean",
    clip_level: ClipLevel = "token",
    tis_imp_ratio_cap: float = -1.0,
    rollout_log_probs: np.ndarray | None = None,
) -> PolicyLoss:
    """PPO clipped policy loss; see the module docstring for the equations.

    Args:
        old_log_prob, log_prob, advantages, response_mask: ``(bs, T)``.
        cliprange: clip epsilon; ``cliprange_low`` / ``cliprange_high`` override each side.
        clip_ratio_c: dual-clip cap (> 1), token level only.
        loss_agg_mode: see :func:`agg_loss_weights`.
        clip_level: ``"token"`` or ``"sequence"``.
        tis_imp_ratio_cap: TIS cap; ``<= 0`` turns TIS off (as does ``rollout_log_probs=None``).
        rollout_log_probs: ``(bs, T)`` log-probs of the rollout engine's sampler.
    """
    old = np.asarray(old_log_prob, dtype=np.float64)
    logp = np.asarray(log_prob, dtype=np.float64)
    adv = np.asarray(advantages, dtype=np.float64)
    mask = np.asarray(response_mask, dtype=np.float64)
    if not (old.shape == logp.shape == adv.shape == mask.shape) or old.ndim != 2:
        raise ValueError(
            "old_log_prob, log_prob, advantages, response_mask must share a (bs, T) shape"
        )
    if clip_ratio_c <= 1.0:
        raise ValueError(f"clip_ratio_c must be > 1, got {clip_ratio_c}")
    low = cliprange if cliprange_low is None else cliprange_low
    high = cliprange if cliprange_high is None else cliprange_high
    use_tis = tis_imp_ratio_cap > 0 and rollout_log_probs is not None
    rollout = None if not use_tis else np.asarray(rollout_log_probs, dtype=np.float64)

    log_ratio = logp - old
    ppo_kl = _masked_mean(-log_ratio, mask)
    if clip_level == "token":
        clamped = np.clip(log_ratio, -20.0, 20.0)
        ratio = np.exp(clamped)
        # d ratio / d logp; zero where the clamp is active.
        ratio_grad = np.where(np.abs(log_ratio) <= 20.0, ratio, 0.0)
    elif clip_level == "sequence":
        lengths = np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
        sequence_log_ratio = (log_ratio * mask).sum(axis=1, keepdims=True) / lengths
        clamped = np.clip(sequence_log_ratio, -10.0, 10.0)
        ratio = np.broadcast_to(np.exp(clamped), logp.shape)
        inside = np.broadcast_to(np.abs(sequence_log_ratio) <= 10.0, logp.shape)
        ratio_grad = np.where(inside, ratio, 0.0)
    else:
        raise ValueError(f"clip_level must be 'token' or 'sequence', got {clip_level!r}")

    unclipped = -adv * ratio
    clipped_ratio = np.clip(ratio, 1.0 - low, 1.0 + high)
    clipped = -adv * clipped_ratio
    unclipped_grad = -adv * ratio_grad
    clipped_grad = np.where((ratio >= 1.0 - low) & (ratio <= 1.0 + high), unclipped_grad, 0.0)
    loss = np.maximum(unclipped, clipped)
    # At a tie both branches carry the same gradient, so either choice is exact.
    grad = np.where(unclipped >= clipped, unclipped_grad, clipped_grad)
    clipfrac = _masked_mean((clipped > unclipped).astype(np.float64), mask)

    clipfrac_lower = 0.0
    if clip_level == "token":
        cap = -adv * clip_ratio_c
        capped = (loss > cap) & (adv < 0)
        clipfrac_lower = _masked_mean(capped.astype(np.float64), mask)
        loss = np.where(capped, cap, loss)
        grad = np.where(capped, 0.0, grad)

    if use_tis:
        assert rollout is not None
        if clip_level == "token":
            weight = np.minimum(np.exp(old - rollout), tis_imp_ratio_cap)
        else:
            log_weight = ((old - rollout) * mask).sum(axis=1, keepdims=True)
            weight = np.broadcast_to(np.minimum(np.exp(log_weight), tis_imp_ratio_cap), old.shape)
        loss = loss * weight
        grad = grad * weight

    weights = agg_loss_weights(mask, loss_agg_mode)
    return PolicyLoss(
        pg_loss=float((weights * loss).sum()),
        pg_clipfrac=clipfrac,
        ppo_kl=ppo_kl,
        pg_clipfrac_lower=clipfrac_lower,
        grad_log_prob=weights * grad,
    )


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> float:
    return float((values * mask).sum() / (mask.sum() + MASK_EPS))
