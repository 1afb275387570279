"""A group-median baseline: ``A_i = s_i - median of the scores in the row's group``.

The median is a baseline robust to a few outlier episodes (e.g. one lucky 10-point
success in a group of failures moves a mean baseline a lot, a median not at all). A
group of one row gets advantage 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lamer_algos import AdvantageInput, as_advantage_input
from lamer_algos.grouping import group_codes


def median_baseline(batch: AdvantageInput | Mapping[str, Any]) -> np.ndarray:
    """Score minus its group's median.

    Args:
        batch: needs ``score`` and ``group_id``, both ``(n,)``.

    Returns:
        float64 ``(n,)``.
    """
    data = as_advantage_input(batch)
    codes, num_groups = group_codes(data.group_id)
    if num_groups == 0:
        return np.zeros(0, dtype=np.float64)
    # Sort by (group, score): each group's scores are then one contiguous sorted run.
    order = np.lexsort((data.score, codes))
    sorted_scores = data.score[order]
    count = np.bincount(codes, minlength=num_groups)
    start = np.cumsum(count) - count
    lower = sorted_scores[start + (count - 1) // 2]
    upper = sorted_scores[start + count // 2]
    median = 0.5 * lower + 0.5 * upper
    return data.score - median[codes]
