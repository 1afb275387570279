"""GAE for PPO with a critic (Schulman et al., 2016), as the reference computes it.

    delta_t = r_t + gamma * V_{t+1} - V_t          (V_T = 0)
    A_t     = delta_t + gamma * lam * A_{t+1}

The recursion runs over all ``T`` positions and ignores the mask (padded positions and
their values feed earlier tokens); ``returns = A + V`` (not masked); the advantages are
``whiten(A, mask)``, **not** re-masked. All three are the reference's behaviour, kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lamer_algos.batch import AdvantageInput, as_advantage_input
from lamer_algos.whitening import masked_whiten


def gae_advantages_and_returns(
    token_rewards: np.ndarray,
    values: np.ndarray,
    response_mask: np.ndarray,
    *,
    gamma: float,
    lam: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``(advantages, returns)``, both float64 ``(bs, T)``; see the module docstring."""
    token_rewards = np.asarray(token_rewards, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if token_rewards.shape != values.shape or token_rewards.ndim != 2:
        raise ValueError(
            f"token_rewards and values must share a (bs, T) shape, got "
            f"{token_rewards.shape} and {values.shape}"
        )
    raw = np.zeros_like(token_rewards)
    next_value = np.zeros(token_rewards.shape[0])
    next_advantage = np.zeros(token_rewards.shape[0])
    for t in range(token_rewards.shape[1] - 1, -1, -1):
        delta = token_rewards[:, t] + gamma * next_value - values[:, t]
        next_advantage = delta + gamma * lam * next_advantage
        raw[:, t] = next_advantage
        next_value = values[:, t]
    returns = raw + values
    return masked_whiten(raw, response_mask), returns


def gae(
    batch: AdvantageInput | Mapping[str, Any], *, gamma: float = 1.0, lam: float = 1.0
) -> np.ndarray:
    """GAE token advantages.

    Args:
        batch: needs ``token_rewards``, ``values`` and ``response_mask``, all ``(n, T)``.
        gamma: discount; lam: the GAE lambda.

    Returns:
        float64 ``(n, T)`` whitened advantages (non-zero on padded positions too).
    """
    return _gae_of(batch, gamma, lam)[0]


def gae_value_targets(
    batch: AdvantageInput | Mapping[str, Any], *, gamma: float = 1.0, lam: float = 1.0
) -> np.ndarray:
    """The critic's regression targets for :func:`gae`: ``returns = A_raw + V``, float64
    ``(n, T)`` (the lambda-returns; same inputs and parameters as :func:`gae`)."""
    return _gae_of(batch, gamma, lam)[1]


def _gae_of(
    batch: AdvantageInput | Mapping[str, Any], gamma: float, lam: float
) -> tuple[np.ndarray, np.ndarray]:
    data = as_advantage_input(batch)
    return gae_advantages_and_returns(
        data.require("token_rewards"), data.require("values"), data.require("response_mask"),
        gamma=gamma, lam=lam,
    )  # fmt: skip


# An estimator that learns from a critic names its value targets; the trainer reads this
# to switch the critic on (see ``lamer_algos.registry.value_targets``).
gae.value_targets = gae_value_targets  # type: ignore[attr-defined]
