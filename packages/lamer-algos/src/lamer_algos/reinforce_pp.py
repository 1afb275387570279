"""REINFORCE++ (Hu, 2025): token-level discounted returns, whitened over the batch.

Two estimators:

- :func:`reinforce_pp`: ``G_t = r_t + gamma * G_{t+1}`` per token, where a masked-out
  token records its own return but stops propagation to earlier tokens; the advantages
  are ``whiten(G, mask) * mask``.
- :func:`reinforce_pp_baseline`: the outcome score minus its group mean, spread over the
  row's valid tokens, then whitened over every valid token of the batch (so longer
  responses weigh more) and re-masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lamer_algos.batch import AdvantageInput, as_advantage_input
from lamer_algos.grouping import group_codes, group_stats
from lamer_algos.grpo import first_row_of_trajectory
from lamer_algos.whitening import masked_whiten


def reinforce_pp_returns(
    token_rewards: np.ndarray, response_mask: np.ndarray, gamma: float
) -> np.ndarray:
    """Discounted token returns ``(bs, T)``; a 0 in the mask cuts propagation backwards."""
    mask = np.asarray(response_mask, dtype=np.float64)
    returns = np.zeros_like(token_rewards, dtype=np.float64)
    running = np.zeros(token_rewards.shape[0], dtype=np.float64)
    for t in range(token_rewards.shape[1] - 1, -1, -1):
        running = token_rewards[:, t] + gamma * running
        returns[:, t] = running
        running = running * mask[:, t]
    return returns


def reinforce_pp(batch: AdvantageInput | Mapping[str, Any], *, gamma: float = 1.0) -> np.ndarray:
    """REINFORCE++ token advantages.

    Args:
        batch: needs ``token_rewards`` and ``response_mask``, both ``(n, T)``.
        gamma: token-level discount.

    Returns:
        float64 ``(n, T)``, zero on masked-out tokens.
    """
    data = as_advantage_input(batch)
    mask = np.asarray(data.require("response_mask"), dtype=np.float64)
    returns = reinforce_pp_returns(data.require("token_rewards"), mask, gamma)
    return masked_whiten(returns, mask) * mask


def reinforce_pp_baseline(
    batch: AdvantageInput | Mapping[str, Any], *, stats_over_all_rows: bool = True
) -> np.ndarray:
    """REINFORCE++ with a group-mean baseline.

    Args:
        batch: needs ``score``, ``group_id``, ``response_mask`` ``(n, T)`` (and
            ``trajectory_id`` when ``stats_over_all_rows`` is False).
        stats_over_all_rows: as in :func:`lamer_algos.grpo.grpo`.

    Returns:
        float64 ``(n, T)``: ``whiten((s - group_mean) * mask, mask) * mask``; a group with
        one counted score uses mean 0.
    """
    data = as_advantage_input(batch)
    mask = np.asarray(data.require("response_mask"), dtype=np.float64)
    codes, num_groups = group_codes(data.group_id)
    counted = None if stats_over_all_rows else first_row_of_trajectory(data)
    stats = group_stats(data.score, codes, num_groups, counted)
    baseline = np.where(stats.count > 1, stats.mean, 0.0)[codes]
    centred = (data.score - baseline)[:, None] * mask
    return masked_whiten(centred, mask) * mask
