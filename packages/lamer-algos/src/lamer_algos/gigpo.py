"""GiGPO: group-in-group advantages (Feng et al., 2025), the LaMer default estimator.

    A_i = A_episode(i) + step_advantage_w * A_step(i)

- **Episode groups**: rows sharing ``group_id`` (same task, same initial state), *every*
  row counted (each step of each attempt, reflect rows included; no de-duplication by
  trajectory, so longer trajectories weigh more). ``A_episode = score - mean`` (mode
  ``mean_norm``) or ``(score - mean) / (std + eps)`` (``mean_std_norm``), unbiased std.
  A one-row group keeps its raw score (mean 0, std 1).
- **Step groups**: rows sharing ``(group_id, anchor)``, i.e. the same raw env state in
  the same task, whatever the attempt. The same formulas on ``step_return``; a one-row
  step group gives 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from lamer_algos.batch import AdvantageInput, as_advantage_input
from lamer_algos.grouping import first_appearance_codes, group_codes, normalize_in_groups

GiGPOMode = Literal["mean_norm", "mean_std_norm"]


@dataclass(frozen=True, slots=True)
class GiGPOParts:
    """The two parts of GiGPO and the step groups, all of shape ``(n,)``."""

    episode_advantage: np.ndarray
    step_advantage: np.ndarray
    step_group: np.ndarray
    """int64 step-group index, numbered in order of first appearance."""


def gigpo_parts(
    batch: AdvantageInput | Mapping[str, Any],
    *,
    mode: GiGPOMode = "mean_norm",
    epsilon: float = 1e-6,
) -> GiGPOParts:
    """Episode and step advantages before weighting, and the step groups; see :func:`gigpo`."""
    episode_advantage, step_advantage, step_codes = _parts(as_advantage_input(batch), mode, epsilon)
    return GiGPOParts(
        episode_advantage=episode_advantage,
        step_advantage=step_advantage,
        step_group=first_appearance_codes(step_codes),
    )


def _parts(
    data: AdvantageInput, mode: GiGPOMode, epsilon: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if mode not in ("mean_norm", "mean_std_norm"):
        raise ValueError(f"GiGPO mode must be 'mean_norm' or 'mean_std_norm', got {mode!r}")
    divide_by_std = mode == "mean_std_norm"
    step_return = data.require("step_return")
    anchor = data.require("anchor")

    episode_codes, num_episode_groups = group_codes(data.group_id)
    episode_advantage = normalize_in_groups(
        data.score, episode_codes, num_episode_groups,
        divide_by_std=divide_by_std, epsilon=epsilon, single_member="raw",
    )  # fmt: skip
    step_codes, num_step_groups = group_codes(data.group_id, anchor)
    step_advantage = normalize_in_groups(
        step_return, step_codes, num_step_groups,
        divide_by_std=divide_by_std, epsilon=epsilon, single_member="zero",
    )  # fmt: skip
    return episode_advantage, step_advantage, step_codes


def gigpo(
    batch: AdvantageInput | Mapping[str, Any],
    *,
    mode: GiGPOMode = "mean_norm",
    step_advantage_w: float = 1.0,
    epsilon: float = 1e-6,
) -> np.ndarray:
    """GiGPO advantage of every row.

    Args:
        batch: needs ``score``, ``step_return``, ``group_id``, ``anchor`` (``(n,)`` each).
        mode: ``"mean_norm"`` (paper setting) or ``"mean_std_norm"``.
        step_advantage_w: weight of the step-level part.
        epsilon: added to the std in ``mean_std_norm``.

    Returns:
        float64 ``(n,)``: one advantage per row; the trainer broadcasts it over the row's
        response tokens.
    """
    episode_advantage, step_advantage, _ = _parts(as_advantage_input(batch), mode, epsilon)
    return episode_advantage + step_advantage_w * step_advantage
