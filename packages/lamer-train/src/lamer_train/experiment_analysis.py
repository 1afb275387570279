"""The numbers of an experiment report: per-cell results, intervals over seeds, diversity,
and reflections that changed the next attempt.

Intervals are two-sided 95% Student-t intervals over training seeds (``mean ± t(0.975,
n-1) · s / sqrt(n)``, ``s`` the sample standard deviation); with one seed there is no
interval. A comparison of two methods uses the **paired** difference per seed: both
were evaluated on the same held-out tasks with the same sampling seeds.

Diversity, from every evaluation trial (:mod:`lamer_train.trial_records`):

- ``distinct_retry_rate``: of the attempts played after a failed attempt (attempt 2 or
  later), the fraction whose action sequence differs from every earlier attempt of the
  same trial (1 = every retry tries something new, 0 = retries repeat themselves);
- ``attempt_entropy``: per task, the Shannon entropy (nats) of the distinct action
  sequences of all attempts of all its trials, averaged over tasks (the runs'
  ``trajectory_entropy``);
- ``first_attempt_entropy``: per task, the entropy of the first attempts' action
  sequences across its trials (only with more than one trial per task).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lamer_train.evaluation import action_sequence_entropy
from lamer_train.report import read_metrics
from lamer_train.trial_records import EVAL_TRIALS, TrialRecord, read_trial_records

# Two-sided 95% Student-t quantiles t(0.975, df) for df = 1..30 (larger df: 1.96).
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Interval:
    """Mean over seeds and its 95% t-interval (``low``/``high`` are None for n < 2)."""

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
    """Mean and two-sided 95% Student-t interval of ``values`` (one per seed)."""
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


def verdict(difference: Interval) -> str:
    """``held`` (the interval is above 0), ``reversed`` (below 0), ``not shown`` (it
    holds 0) or ``untested`` (fewer than 2 seeds)."""
    if difference.low is None:
        return "untested"
    if difference.low > 0:
        return "held"
    if difference.high < 0:
        return "reversed"
    return "not shown"


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


# -- diversity -------------------------------------------------------------------------------
def diversity_metrics(records: Sequence[TrialRecord]) -> dict[str, float]:
    """The module docstring's diversity measures of one evaluation's trials."""
    retries = changed = 0
    for record in records:
        for attempt in range(1, record.num_attempts):
            retries += 1
            changed += record.actions[attempt] not in record.actions[:attempt]
    by_task: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    first_by_task: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    for record in records:
        by_task[record.group_id].extend(record.actions)
        if record.actions:
            first_by_task[record.group_id].append(record.actions[0])
    metrics = {}
    if retries:
        metrics["distinct_retry_rate"] = changed / retries
    if by_task:
        metrics["attempt_entropy"] = sum(
            action_sequence_entropy(s) for s in by_task.values()
        ) / len(by_task)
    if first_by_task and max(len(s) for s in first_by_task.values()) > 1:
        metrics["first_attempt_entropy"] = sum(
            action_sequence_entropy(s) for s in first_by_task.values()
        ) / len(first_by_task)
    return metrics


@dataclass(frozen=True, slots=True)
class ChangedReflection:
    """A failed attempt, the reflection written after it, and the next attempt."""

    cell: str
    seed: int
    attempt: int
    """1-based number of the failed attempt."""
    before: tuple[str, ...]
    reflection: str
    after: tuple[str, ...]
    solved_next: bool


def changed_reflections(
    cell: str, records: Sequence[TrialRecord], limit: int
) -> list[ChangedReflection]:
    """Up to ``limit`` reflections after which the next attempt played other actions,
    those followed by a solved attempt first (then in trial order)."""
    found = []
    for record in records:
        for attempt in range(1, record.num_attempts):
            reflection = record.reflections[attempt]
            before, after = record.actions[attempt - 1], record.actions[attempt]
            if reflection and after != before:
                found.append(
                    ChangedReflection(
                        cell, record.seed, attempt, before, reflection, after,
                        solved_next=record.won_at == attempt,
                    )
                )  # fmt: skip
    found.sort(key=lambda c: not c.solved_next)  # stable: trial order within each kind
    return found[:limit]


# -- one cell's results ------------------------------------------------------------------------
@dataclass(slots=True)
class CellResult:
    """What the report reads from one finished (or partly trained) run folder."""

    method: str
    seed: int
    rows: list[dict] = field(default_factory=list)
    """metrics.jsonl rows (iteration 0 = the evaluation before training)."""
    start: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per eval set, the metrics before training."""
    end: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per eval set, the metrics of the last evaluation, with the diversity measures and
    ``gap`` (pass@N - pass@1) added (``start`` too)."""
    end_records: dict[str, list[TrialRecord]] = field(default_factory=dict)
    finished: bool = False


def _eval_metrics(row: dict) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for key, value in row.items():
        parts = key.split("/", 2)
        if len(parts) == 3 and parts[0] == "eval" and value is not None:
            out.setdefault(parts[1], {})[parts[2]] = value
    return out


def read_cell(run_dir: Path, method: str, seed: int, finished: bool) -> CellResult:
    """The cell's metrics, its first and last evaluation, and the last one's trials."""
    result = CellResult(method, seed, rows=read_metrics(run_dir / "metrics.jsonl"))
    result.finished = finished
    evaluated = [r for r in result.rows if any(k.startswith("eval/") for k in r)]
    if evaluated and evaluated[0]["iteration"] == 0:
        result.start = _eval_metrics(evaluated[0])
    if evaluated and (evaluated[-1]["iteration"] > 0 or not result.start):
        last = evaluated[-1]
        result.end = _eval_metrics(last)
        for set_name in result.end:
            path = run_dir / EVAL_TRIALS / f"eval_iter_{last['iteration']:06d}_{set_name}.jsonl"
            if path.is_file():
                records = read_trial_records(path)
                result.end_records[set_name] = records
                result.end[set_name].update(diversity_metrics(records))
    for set_name in result.start:
        path = run_dir / EVAL_TRIALS / f"eval_iter_000000_{set_name}.jsonl"
        if path.is_file():
            result.start[set_name].update(diversity_metrics(read_trial_records(path)))
    for metrics in (*result.start.values(), *result.end.values()):
        attempts = max((int(k[5:]) for k in metrics if k.startswith("pass@")), default=0)
        if attempts > 1:
            metrics["gap"] = metrics[f"pass@{attempts}"] - metrics["pass@1"]
    return result


def metric_over_seeds(
    cells: Sequence[CellResult], set_name: str, metric: str, when: str = "end"
) -> dict[int, float]:
    """``{seed: value}`` of one method's cells (``when``: "start" or "end")."""
    out = {}
    for cell in cells:
        value = getattr(cell, when).get(set_name, {}).get(metric)
        if value is not None:
            out[cell.seed] = float(value)
    return out


def paired_difference(ours: dict[int, float], theirs: dict[int, float]) -> Interval:
    """t-interval of ``ours[s] - theirs[s]`` over the seeds both have."""
    common = sorted(set(ours) & set(theirs))
    return t_interval([ours[s] - theirs[s] for s in common])
