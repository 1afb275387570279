"""The experiment report's numbers: t-intervals over seeds, verdicts, diversity and the
reflections that changed the next attempt, from trial records written by the trainer."""

from __future__ import annotations

import math

import pytest

from lamer_core.records import Trial, Turn
from lamer_train.experiment_analysis import (
    changed_reflections,
    diversity_metrics,
    paired_difference,
    pass_at_k_change,
    t_interval,
    verdict,
)
from lamer_train.trial_records import (
    TrialRecord,
    eval_trial_files,
    read_trial_records,
    write_trial_records,
)


def test_t_interval_uses_the_student_quantile_over_seeds():
    interval = t_interval([0.2, 0.4, 0.6])
    # mean 0.4, sd 0.2, t(0.975, 2) = 4.303: half-width 4.303 * 0.2 / sqrt(3)
    assert interval.mean == pytest.approx(0.4)
    assert interval.half_width == pytest.approx(4.303 * 0.2 / math.sqrt(3))
    assert interval.text() == "0.400 ± 0.497"
    single = t_interval([0.5])
    assert single.low is None and single.text() == "0.500"
    assert t_interval([]).text() == "-"


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        ({0: 0.5, 1: 0.6, 2: 0.55}, {0: 0.1, 1: 0.15, 2: 0.1}, "held"),
        ({0: 0.1, 1: 0.15, 2: 0.1}, {0: 0.5, 1: 0.6, 2: 0.55}, "reversed"),
        ({0: 0.5, 1: 0.1, 2: 0.3}, {0: 0.1, 1: 0.5, 2: 0.3}, "not shown"),
        ({0: 0.5}, {0: 0.1}, "untested"),
    ],
)
def test_verdict_compares_the_paired_interval_with_zero(ours, theirs, expected):
    assert verdict(paired_difference(ours, theirs)) == expected


def test_paired_difference_uses_only_seeds_both_methods_have():
    difference = paired_difference({0: 0.5, 1: 0.7, 5: 0.9}, {0: 0.25, 1: 0.5})
    assert difference.n == 2 and difference.mean == pytest.approx(0.225)


def _solved_at(attempt: int | None, seed: int) -> Trial:
    """A trial of task ``seed`` won at ``attempt`` (0-based; None = never) of 3."""
    last = 2 if attempt is None else attempt
    turns = [_play(a, 0, "Up", won=a == attempt) for a in range(last + 1)]
    return Trial(seed, seed, seed, turns)


def test_pass_at_k_change_pairs_each_task_with_itself(tmp_path):
    # 4 tasks: 0 newly solved at once, 1 solved at attempt 2 both times, 2 lost at
    # attempt 3, 3 never solved. pass@1: +1/4; pass@2: +1/4; pass@3: 0.
    start = [_solved_at(None, 0), _solved_at(1, 1), _solved_at(2, 2), _solved_at(None, 3)]
    end = [_solved_at(0, 0), _solved_at(1, 1), _solved_at(None, 2), _solved_at(None, 3)]
    write_trial_records(tmp_path, "eval_iter_000000_held_out", start)
    write_trial_records(tmp_path, "eval_iter_000004_held_out", end)
    write_trial_records(tmp_path, "eval_iter_000004_hard", end)  # another set: not matched
    files = eval_trial_files(tmp_path, "held_out")
    assert sorted(files) == [0, 4]
    change = pass_at_k_change(read_trial_records(files[0]), read_trial_records(files[4]), 3)
    assert [change[f"pass@{k}"].mean for k in (1, 2, 3)] == pytest.approx([0.25, 0.25, 0.0])
    # pass@1 differences (1, 0, 0, 0): sd 0.5, t(0.975, 3) = 3.182 -> half 3.182 * 0.5 / 2
    assert change["pass@1"].n == 4
    assert change["pass@1"].half_width == pytest.approx(3.182 * 0.5 / 2)
    # pass@3 differences (0, 0, -1, 0): the interval holds 0
    assert change["pass@3"].low < 0 < change["pass@3"].high


def test_pass_at_k_change_averages_a_tasks_trials_and_skips_unpaired_tasks():
    start = [_solved_at(None, 0), _solved_at(None, 0), _solved_at(None, 1), _solved_at(0, 9)]
    end = [_solved_at(0, 0), _solved_at(None, 0), _solved_at(0, 1)]
    change = pass_at_k_change(_records(start), _records(end), num_attempts=1)
    # task 0: 0 -> 1/2, task 1: 0 -> 1, task 9 has no end evaluation
    assert change["pass@1"].n == 2 and change["pass@1"].mean == pytest.approx(0.75)


def _records(trials: list[Trial]) -> list[TrialRecord]:
    return [TrialRecord(t.group_id, t.trial_id, t.seed, t.won_at, (), ()) for t in trials]


def _play(attempt: int, turn: int, action: str, won: bool = False) -> Turn:
    return Turn(attempt, "play", turn, "p", f"<action>{action}</action>", action=action, won=won)


def _reflect(attempt: int, text: str) -> Turn:
    return Turn(attempt, "reflect", 1, "p", f"<remark>{text}</remark>")


def _read(response: str) -> tuple[str, bool]:
    text = response.removeprefix("<remark>").removesuffix("</remark>")
    return text, bool(text)


def test_trial_records_round_trip_actions_and_reflections_per_attempt(tmp_path):
    trial = Trial(0, 0, seed=7, turns=[
        _play(0, 0, "Up"), _play(0, 1, "Left"),
        _reflect(1, "try down first"), _play(1, 0, "Down", won=True),
    ])  # fmt: skip
    path = write_trial_records(tmp_path, "eval_iter_000001_held_out", [trial], _read)
    assert path == tmp_path / "eval_trials" / "eval_iter_000001_held_out.jsonl"
    (record,) = read_trial_records(path)
    assert record.seed == 7 and record.won_at == 1
    assert record.actions == (("Up", "Left"), ("Down",))
    assert record.reflections == (None, "try down first")


def test_diversity_counts_retries_that_differ_from_every_earlier_attempt(tmp_path):
    trials = [
        # task 0: attempt 2 repeats attempt 1, attempt 3 is new -> 1 of 2 retries distinct
        Trial(0, 0, 1, [_play(0, 0, "Up"), _play(1, 0, "Up"), _play(2, 0, "Down")]),
        # task 1: solved at once, no retry; its one sequence has entropy 0
        Trial(1, 1, 2, [_play(0, 0, "Left", won=True)]),
    ]
    path = write_trial_records(tmp_path, "x", trials)
    metrics = diversity_metrics(read_trial_records(path))
    assert metrics["distinct_retry_rate"] == pytest.approx(0.5)
    # task 0: sequences (Up), (Up), (Down): entropy of {2/3, 1/3}; task 1: 0
    expected = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / 2
    assert metrics["attempt_entropy"] == pytest.approx(expected)
    assert "first_attempt_entropy" not in metrics  # one trial per task


def test_changed_reflections_list_solved_retries_first(tmp_path):
    trials = [
        Trial(0, 0, 1, [_play(0, 0, "Up"), _reflect(1, "same again"), _play(1, 0, "Up")]),
        Trial(1, 1, 2, [_play(0, 0, "Up"), _reflect(1, "go left"), _play(1, 0, "Left")]),
        Trial(2, 2, 3, [_play(0, 0, "Up"), _reflect(1, "go down"), _play(1, 0, "Down", True)]),
    ]
    records = read_trial_records(write_trial_records(tmp_path, "x", trials, _read))
    found = changed_reflections("lamer-seed0", records, limit=5)
    # The unchanged retry is left out; the solved one comes first.
    assert [(c.seed, c.reflection, c.solved_next) for c in found] == [
        (3, "go down", True),
        (2, "go left", False),
    ]
    assert found[0].before == ("Up",) and found[0].after == ("Down",) and found[0].attempt == 1
