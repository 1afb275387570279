"""Evaluation metrics computed by hand on small trials."""

from __future__ import annotations

import math

import pytest

from lamer_core.records import Trial, Turn
from lamer_train.evaluation import (
    action_sequence_entropy,
    pass_at_k_intervals,
    trial_metrics,
    wilson_interval,
)


def _play(attempt, turn, action, *, won=False, valid=True, done=False):
    return Turn(
        attempt, "play", turn, "", "", action=action, won=won, action_is_valid=valid, done=done
    )


def _reflect(attempt, valid=True):
    return Turn(attempt, "reflect", 1, "", "", action_is_valid=valid)


def _trials() -> list[Trial]:
    # Trial 0: wins at attempt 0 in one turn.
    a = Trial(0, 0, 11, [_play(0, 0, "up", won=True, done=True)])
    # Trial 1: fails attempt 0 (two turns, one invalid), reflects, wins attempt 1.
    b = Trial(0, 1, 11, [
        _play(0, 0, "up"), _play(0, 1, "<invalid>", valid=False, done=True),
        _reflect(1, valid=False),
        _play(1, 0, "up", won=True, done=True),
    ])  # fmt: skip
    # Trial 2: three failed attempts (one turn each), two valid reflections.
    c = Trial(1, 2, 22, [
        _play(0, 0, "left", done=True), _reflect(1),
        _play(1, 0, "left", done=True), _reflect(2),
        _play(2, 0, "right", done=True),
    ])  # fmt: skip
    # Trial 3: fails every attempt.
    d = Trial(1, 3, 22, [_play(a, 0, "down", done=True) for a in range(3)])
    return [a, b, c, d]


def test_trial_metrics_match_hand_computed_values():
    metrics = trial_metrics(_trials(), num_attempts=3)
    assert metrics["pass@1"] == 0.25
    assert metrics["pass@2"] == 0.5
    assert metrics["pass@3"] == 0.5
    assert [metrics[f"success_attempt_{k}"] for k in (1, 2, 3)] == [0.25, 0.25, 0.0]
    # play turns 1 + 3 + 3 + 3 = 10 over attempts 1 + 2 + 3 + 3 = 9
    assert metrics["mean_turns"] == pytest.approx(10 / 9)
    assert metrics["invalid_action_rate"] == pytest.approx(1 / 10)
    assert metrics["reflection_valid_rate"] == pytest.approx(2 / 3)
    # group 0: sequences (up,), (up,<invalid>), (up,) -> probabilities 2/3, 1/3
    group0 = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))
    # group 1: (left,) x2, (right,), (down,) x3 -> 2/6, 1/6, 3/6
    group1 = -sum(p * math.log(p) for p in (2 / 6, 1 / 6, 3 / 6))
    assert metrics["trajectory_entropy"] == pytest.approx((group0 + group1) / 2)


def test_entropy_is_zero_for_identical_sequences():
    assert action_sequence_entropy([("a", "b")] * 4) == 0.0
    assert action_sequence_entropy([("a",), ("b",)]) == pytest.approx(math.log(2))


def test_wilson_interval_is_centred_at_one_half_and_not_empty_at_zero():
    low, high = wilson_interval(0.5, 64)
    assert (round(low, 3), round(high, 3)) == (0.381, 0.619)
    low, high = wilson_interval(0.0, 64)
    assert low == 0.0 and round(high, 4) == 0.0566
    assert wilson_interval(1.0, 16)[1] == 1.0


def test_pass_at_k_intervals_cover_every_pass_at_k_of_a_set():
    metrics = {"pass@1": 0.25, "pass@3": 0.5, "mean_turns": 2.0, "num_trials": 64.0}
    intervals = pass_at_k_intervals(metrics)
    assert set(intervals) == {"pass@1_ci95", "pass@3_ci95"}
    assert intervals["pass@3_ci95"] == [0.381, 0.619]
    assert pass_at_k_intervals({"pass@1": 0.5}) == {}  # no num_trials: no interval
