"""The numbers of an experiment report: per-cell results, intervals over seeds, diversity,
and reflections that changed the next attempt.

Intervals are two-sided 95% Student-t intervals over training seeds
(:mod:`lamer_train.intervals`); with one seed there is no interval. A comparison of two methods uses the **paired** difference per seed: both
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

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lamer_train.evaluation import action_sequence_entropy
from lamer_train.intervals import Interval
from lamer_train.report import read_metrics
from lamer_train.trial_records import EVAL_TRIALS, TrialRecord, read_trial_records


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
