"""Two-sided 95% Student-t intervals: of a mean over training seeds (experiment reports)
or over tasks (a run's paired start-to-end change, :func:`pass_at_k_change`).

``mean ± t(0.975, n-1) · s / sqrt(n)``, ``s`` the sample standard deviation; with one
value there is no interval. A paired difference compares two things measured on the
same units (the same seeds, or the same tasks), so what they share cancels out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lamer_train.trial_records import TrialRecord

# Two-sided 95% Student-t quantiles t(0.975, df) for df = 1..30 (larger df: 1.96).
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Interval:
    """Mean over samples (training seeds, or tasks) and its 95% t-interval (``low`` and
    ``high`` are None for n < 2)."""

    mean: float
    low: float | None
    high: float | None
    n: int

    @property
    def half_width(self) -> float | None:
        return None if self.low is None else self.mean - self.low

    def text(self, digits: int = 3) -> str:
        if self.n == 0:
            return "-"
        if self.low is None:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.half_width:.{digits}f}"


def t_interval(values: Sequence[float]) -> Interval:
    """Mean and two-sided 95% Student-t interval of ``values`` (one per seed or task)."""
    n = len(values)
    if n == 0:
        return Interval(math.nan, None, None, 0)
    mean = sum(values) / n
    if n < 2:
        return Interval(mean, None, None, n)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    quantile = _T975[n - 2] if n - 1 <= len(_T975) else 1.96
    half = quantile * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


def paired_difference(ours: dict[int, float], theirs: dict[int, float]) -> Interval:
    """t-interval of ``ours[s] - theirs[s]`` over the keys (seeds, tasks) both have."""
    common = sorted(set(ours) & set(theirs))
    return t_interval([ours[s] - theirs[s] for s in common])


def pass_at_k_change(
    start: Sequence[TrialRecord], end: Sequence[TrialRecord], num_attempts: int
) -> dict[str, Interval]:
    """``{"pass@k": change}``: the paired change of every pass@k between two evaluations
    of the same tasks. Per task (env seed), the fraction of its trials solved within k
    attempts, end minus start; the t-interval of that over the tasks both evaluations
    played. Pairing takes task difficulty out of the noise, so this interval is much
    narrower than the gap two independent Wilson intervals would need."""

    def solved(records: Sequence[TrialRecord], k: int) -> dict[int, float]:
        by_task: dict[int, list[bool]] = defaultdict(list)
        for record in records:
            by_task[record.seed].append(record.won_at is not None and record.won_at < k)
        return {seed: sum(won) / len(won) for seed, won in by_task.items()}

    return {
        f"pass@{k}": paired_difference(solved(end, k), solved(start, k))
        for k in range(1, num_attempts + 1)
    }
