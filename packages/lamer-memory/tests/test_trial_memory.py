"""TrialMemory bookkeeping and the batched view."""

from __future__ import annotations

import pytest

from lamer_memory.trial_memory import TrialMemory


def test_counters_follow_turns_and_attempts():
    memory = TrialMemory("start")
    assert (memory.attempt, memory.turn, memory.current_observation) == (0, 0, "start")
    memory.record_turn("up", "s1", -0.1)
    memory.record_turn("left", "s2", 0.9)
    assert (memory.attempt, memory.turn, memory.current_observation) == (0, 2, "s2")
    memory.end_attempt()
    assert (memory.attempt, memory.turn, memory.current_observation) == (1, 0, "start")
    assert [t.action for t in memory.last_finished_attempt.turns] == ["up", "left"]


def test_reflection_lands_on_the_last_finished_attempt():
    memory = TrialMemory("start")
    memory.record_turn("up", "s1", -0.1)
    memory.end_attempt()
    memory.record_reflection("go left")
    memory.end_attempt()
    memory.record_reflection("go right")
    assert memory.reflections() == ["go left", "go right"]
    assert [a.reflection for a in memory.finished_attempts] == ["go left", "go right"]


def test_reflection_before_any_finished_attempt_is_a_clear_error():
    memory = TrialMemory("start")
    with pytest.raises(ValueError, match="end_attempt"):
        memory.record_reflection("too early")


def test_reflection_after_next_attempt_started_is_a_clear_error():
    memory = TrialMemory("start")
    memory.end_attempt()
    memory.record_turn("up", "s1", 0.0)
    with pytest.raises(ValueError, match="already started"):
        memory.record_reflection("late")


def test_won_is_true_once_an_attempt_is_won():
    memory = TrialMemory("start")
    memory.end_attempt(won=False)
    assert not memory.won
    memory.end_attempt(won=True)
    assert memory.won


def test_non_string_inputs_are_rejected():
    with pytest.raises(TypeError):
        TrialMemory(None)  # type: ignore[arg-type]
    memory = TrialMemory("s")
    with pytest.raises(TypeError):
        memory.record_turn(3, "obs", 0.0)  # type: ignore[arg-type]


def test_last_finished_attempt_without_one_is_a_clear_error():
    with pytest.raises(ValueError, match="no finished attempt"):
        _ = TrialMemory("s").last_finished_attempt
