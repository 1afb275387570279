"""GRPO: group-relative outcome advantages (Shao et al., 2024).

    A_i = (s_i - mean_g) / (std_g + eps)      (or s_i - mean_g without std normalisation)

over the rows of the same ``group_id``, with the unbiased std. A group with a single
counted score uses mean 0 and std 1, so a lone sample keeps ``s / (1 + eps)`` (or ``s``)
rather than 0: the reference's behaviour, kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lamer_algos.batch import AdvantageInput, as_advantage_input
from lamer_algos.grouping import first_row_of_each, group_codes, normalize_in_groups


def grpo(
    batch: AdvantageInput | Mapping[str, Any],
    *,
    norm_by_std: bool = True,
    epsilon: float = 1e-6,
    stats_over_all_rows: bool = True,
) -> np.ndarray:
    """GRPO advantage of every row.

    Args:
        batch: needs ``score``, ``group_id`` (and ``trajectory_id`` when
            ``stats_over_all_rows`` is False).
        norm_by_std: divide by ``std + epsilon`` (reference: ``norm_adv_by_std_in_grpo``).
        epsilon: added to the std.
        stats_over_all_rows: True (default, the training path) counts every row in the
            group statistics; False counts only the first row, in batch order, of each
            ``(group_id, trajectory_id)`` (reference: ``compute_mean_std_cross_all_data``).
            Every row still gets an advantage from its own score.

    Returns:
        float64 ``(n,)``.
    """
    data = as_advantage_input(batch)
    codes, num_groups = group_codes(data.group_id)
    counted = None if stats_over_all_rows else first_row_of_trajectory(data)
    return normalize_in_groups(
        data.score, codes, num_groups,
        divide_by_std=norm_by_std, epsilon=epsilon, single_member="raw", counted=counted,
    )  # fmt: skip


def first_row_of_trajectory(data: AdvantageInput) -> np.ndarray:
    """Boolean ``(n,)``: the first row (batch order) of each ``(group_id, trajectory_id)``."""
    trajectory_codes, _ = group_codes(data.group_id, data.require("trajectory_id"))
    return first_row_of_each(trajectory_codes)
