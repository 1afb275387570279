"""Properties over arbitrary model output: nothing raises, budgets are monotone and keep
the rules, the current state and the latest reflection."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamer_memory.config import MEMORY_MODES, PromptConfig
from lamer_memory.parsing import (
    TAG_STYLES,
    ParsedPlay,
    extract_action_text,
    parse_play,
    parse_reflection,
)
from lamer_memory.prompts import build_play_prompt, build_reflect_prompt
from lamer_memory.trial_memory import TrialMemory

RULES = "Rules: reach the goal."
FORMAT = "Write <action>up</action>."

# Arbitrary unicode (surrogates included) mixed with the tags the parsers look for, and
# occasionally very long.
_TAGGY = st.sampled_from(["<remark>", "</remark>", "<action>", "</action>", "\n", " "])
_ANY_CHAR = st.characters(exclude_categories=())  # lone surrogates included
_PIECE = st.one_of(
    st.text(max_size=30),
    st.text(_ANY_CHAR, max_size=10),
    _TAGGY,
    st.text(max_size=3).map(lambda s: s * 2000),
)
MODEL_TEXT = st.lists(_PIECE, max_size=8).map("".join)


def _toy_parse_action(response: str) -> ParsedPlay:
    text = extract_action_text(response)
    return ParsedPlay(text, text is not None)


@st.composite
def _trial(draw):
    """A memory fed with arbitrary model output, as the trial loop would feed it."""
    mode = draw(st.sampled_from(MEMORY_MODES))
    config = PromptConfig(mode=mode, history_window=draw(st.integers(1, 4)))
    memory = TrialMemory(draw(MODEL_TEXT))
    finished = draw(st.integers(0, 2))
    for _ in range(finished):
        for _ in range(draw(st.integers(0, 3))):
            play = parse_play(draw(MODEL_TEXT), _toy_parse_action)
            memory.record_turn(play.action, draw(MODEL_TEXT), -0.1, valid=play.is_valid)
        memory.end_attempt()
        reflection = parse_reflection(draw(MODEL_TEXT), style=draw(st.sampled_from(TAG_STYLES)))
        memory.record_reflection(reflection.text)
    for _ in range(draw(st.integers(0, 4))):
        memory.record_turn(draw(MODEL_TEXT), draw(MODEL_TEXT), draw(st.floats(allow_nan=True)))
    return memory, config


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trial(), st.integers(1, 3000), st.integers(1, 3000))
def test_play_prompt_never_raises_and_budget_is_monotone(trial, budget_a, budget_b):
    memory, config = trial
    small, large = sorted((budget_a, budget_b))
    prompts = [
        build_play_prompt(
            memory,
            rules=RULES,
            action_format=FORMAT,
            config=PromptConfig(
                mode=config.mode, history_window=config.history_window, max_prompt_tokens=budget
            ),
        )
        for budget in (small, large)
    ]
    assert prompts[0].num_dropped >= prompts[1].num_dropped
    for prompt in prompts:
        system, user = (m["content"] for m in prompt.messages)
        assert RULES in system and FORMAT in system
        assert memory.initial_observation in user
        assert memory.current_observation in user
        if config.shows_reflections and memory.finished_attempts:
            latest = memory.finished_attempts[-1].reflection.strip()
            assert latest in user


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trial(), st.integers(1, 3000))
def test_reflect_prompt_never_raises(trial, budget):
    memory, _ = trial
    memory.end_attempt()
    prompt = build_reflect_prompt(
        memory, rules=RULES, action_format=FORMAT, config=PromptConfig(max_prompt_tokens=budget)
    )
    user = prompt.messages[1]["content"]
    assert "<remark></remark>" in user
    turns = memory.last_finished_attempt.turns
    if turns:
        assert turns[-1].observation in user


@settings(max_examples=200, deadline=None)
@given(MODEL_TEXT, st.sampled_from(TAG_STYLES), st.integers(0, 2500))
def test_reflection_parsing_never_raises_and_respects_the_cap(response, style, cap):
    parsed = parse_reflection(response, style=style, max_chars=cap)
    assert len(parsed.text) <= cap
    assert parsed.text == parsed.text.strip() or len(parsed.text) == cap
    if not parsed.is_valid:
        assert parsed.text == ""
