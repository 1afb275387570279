"""RLOO: REINFORCE with a leave-one-out baseline (Ahmadian et al., 2024).

    A_i = s_i - mean_{j != i} s_j = (s_i - mean_g) * n / (n - 1)

over the ``n`` counted rows of the row's group. A group with one counted score returns
the raw score (the reference's behaviour, kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lamer_algos.batch import AdvantageInput, as_advantage_input
from lamer_algos.grouping import group_codes, group_stats
from lamer_algos.grpo import first_row_of_trajectory


def rloo(
    batch: AdvantageInput | Mapping[str, Any],
    *,
    stats_over_all_rows: bool = True,
) -> np.ndarray:
    """RLOO advantage of every row.

    Args:
        batch: needs ``score``, ``group_id`` (and ``trajectory_id`` when
            ``stats_over_all_rows`` is False).
        stats_over_all_rows: as in :func:`lamer_algos.grpo.grpo`.

    Returns:
        float64 ``(n,)``.
    """
    data = as_advantage_input(batch)
    codes, num_groups = group_codes(data.group_id)
    counted = None if stats_over_all_rows else first_row_of_trajectory(data)
    stats = group_stats(data.score, codes, num_groups, counted)
    count = stats.count[codes].astype(np.float64)
    leave_one_out = (data.score - stats.mean[codes]) * count / np.maximum(count - 1, 1)
    return np.where(count > 1, leave_one_out, data.score)
