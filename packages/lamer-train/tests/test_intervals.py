"""95% t-intervals over seeds or tasks, and the paired start-to-end change of a run's
pass@k computed from its evaluation trial records."""

from __future__ import annotations

import math

import pytest

from lamer_core.records import Trial, Turn
from lamer_train.intervals import paired_difference, pass_at_k_change, t_interval
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


def test_paired_difference_uses_only_seeds_both_methods_have():
    difference = paired_difference({0: 0.5, 1: 0.7, 5: 0.9}, {0: 0.25, 1: 0.5})
    assert difference.n == 2 and difference.mean == pytest.approx(0.225)


def _play(attempt: int, turn: int, action: str, won: bool = False) -> Turn:
    return Turn(attempt, "play", turn, "p", f"<action>{action}</action>", action=action, won=won)


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
