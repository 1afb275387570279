"""PromptConfig validation and mode flags."""

from __future__ import annotations

import pytest

from lamer_memory.config import MEMORY_MODES, PromptConfig


def test_defaults_follow_the_paper_sokoban_minesweeper_runs():
    config = PromptConfig()
    assert config.mode == "reflection_only"
    assert (config.max_turns, config.num_attempts, config.max_prompt_tokens) == (7, 3, 2048)
    assert (config.reflection_max_chars, config.reflection_style) == (2000, "last_pair")


@pytest.mark.parametrize(
    ("mode", "reflections", "history"),
    [
        ("reflection_only", True, False),
        ("history_only", False, True),
        ("history_and_reflection", True, True),
        ("none", False, False),
    ],
)
def test_mode_flags(mode, reflections, history):
    config = PromptConfig(mode=mode)
    assert (config.shows_reflections, config.shows_history) == (reflections, history)


def test_all_modes_are_listed():
    assert set(MEMORY_MODES) == {
        "reflection_only",
        "history_only",
        "history_and_reflection",
        "none",
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "trajectory"},
        {"history_window": 0},
        {"max_turns": 0},
        {"num_attempts": 0},
        {"max_prompt_tokens": -1},
        {"history_window": 2.5},
        {"max_turns": True},
        {"reflection_style": "first"},
    ],
)
def test_bad_values_are_rejected_with_the_field_name(kwargs):
    field = next(iter(kwargs))
    with pytest.raises(ValueError, match=field):
        PromptConfig(**kwargs)
