"""The experiment report's numbers: verdicts, diversity and the
reflections that changed the next attempt, from trial records written by the trainer."""

from __future__ import annotations

import math

import pytest

from lamer_core.records import Trial, Turn
from lamer_train.experiment_analysis import (
    changed_reflections,
    diversity_metrics,
    verdict,
)
from lamer_train.intervals import paired_difference
from lamer_train.trial_records import read_trial_records, write_trial_records


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
