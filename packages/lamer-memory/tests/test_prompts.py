"""Behaviour of the play and reflect prompts (content, modes, window, budget order)."""

from __future__ import annotations

import pytest

from lamer_memory.config import PromptConfig
from lamer_memory.prompts import (
    build_play_prompt,
    build_reflect_prompt,
    play_messages,
    reflect_messages,
)
from lamer_memory.trial_memory import TrialMemory

RULES = "Reach the flag F. Walls # block you."
FORMAT = "One move per turn: up, down, left or right, e.g. <action>up</action>."
START = "# # #\n# P F\n# # #"


def _memory(
    finished: int,
    turns: int,
    reflections: tuple[str, ...] = (
        "R1: push the right box first, then walk around it.",
        "R2: avoid the corner, it traps the box.",
    ),
) -> TrialMemory:
    memory = TrialMemory(START)
    for attempt in range(finished):
        for t in range(4):
            memory.record_turn(f"a{attempt}-{t}", f"obs a{attempt} t{t}", -0.1)
        memory.end_attempt()
        memory.record_reflection(reflections[attempt])
    for t in range(turns):
        memory.record_turn(f"cur-{t}", f"obs cur t{t}", 0.5)
    return memory


def _user(messages: list[dict]) -> str:
    assert [m["role"] for m in messages] == ["system", "user"]
    return messages[1]["content"]


def _play(memory: TrialMemory, **config) -> str:
    return _user(
        play_messages(memory, rules=RULES, action_format=FORMAT, config=PromptConfig(**config))
    )


def test_first_turn_shows_rules_initial_state_counters_and_answer_format():
    messages = play_messages(
        _memory(0, 0), rules=RULES, action_format=FORMAT, config=PromptConfig()
    )
    assert RULES in messages[0]["content"] and FORMAT in messages[0]["content"]
    user = _user(messages)
    assert START in user
    assert "Turn 1 of 7." in user and "Attempt 1 of" not in user
    assert "<action></action>" in user
    assert "Earlier attempts" not in user


def test_first_attempt_reads_the_same_for_every_mode_and_attempt_budget():
    memory = _memory(0, 2)
    baseline = play_messages(
        memory,
        rules=RULES,
        action_format=FORMAT,
        config=PromptConfig(mode="none", num_attempts=1),
    )
    for mode in ("reflection_only", "history_only", "history_and_reflection", "none"):
        for attempts in (1, 3, 5):
            config = PromptConfig(mode=mode, num_attempts=attempts)
            messages = play_messages(memory, rules=RULES, action_format=FORMAT, config=config)
            assert messages == baseline, (mode, attempts)
    assert "several attempts" not in baseline[0]["content"]


def test_later_attempts_add_the_retry_hint_and_the_attempt_counter():
    messages = play_messages(
        _memory(1, 0), rules=RULES, action_format=FORMAT, config=PromptConfig()
    )
    assert "several attempts" in messages[0]["content"]
    assert "Attempt 2 of 3, turn 1 of 7." in _user(messages)


def test_reflection_only_shows_every_reflection_but_no_earlier_turns():
    user = _play(_memory(2, 0), mode="reflection_only")
    assert "R1" in user and "R2" in user
    assert "a0-0" not in user and "a1-3" not in user
    assert "Attempt 3 of 3, turn 1 of 7." in user


def test_history_only_shows_earlier_turns_but_no_reflection():
    user = _play(_memory(2, 0), mode="history_only")
    assert "a0-0" in user and "obs a1 t3" in user
    assert "R1" not in user and "R2" not in user


def test_history_and_reflection_shows_both_in_attempt_order():
    user = _play(_memory(2, 0), mode="history_and_reflection")
    order = [user.index(s) for s in ("a0-0", "R1", "a1-0", "R2")]
    assert order == sorted(order)


def test_mode_none_looks_like_a_first_attempt():
    memory = _memory(2, 1)
    messages = play_messages(
        memory, rules=RULES, action_format=FORMAT, config=PromptConfig(mode="none")
    )
    user = _user(messages)
    assert "R1" not in user and "a0-0" not in user and "Attempt" not in user
    assert "Turn 2 of 7." in user
    assert "several attempts" not in messages[0]["content"]
    first = TrialMemory(START)
    first.record_turn("cur-0", "obs cur t0", 0.5)
    assert (
        play_messages(first, rules=RULES, action_format=FORMAT, config=PromptConfig(mode="none"))
        == messages
    )


def test_window_shows_states_of_only_the_last_turns():
    user = _play(_memory(0, 5), history_window=2)
    assert "obs cur t4" in user  # current state
    assert "State after turn 4:\nobs cur t3" in user
    assert "obs cur t2" not in user and "obs cur t0" not in user
    assert all(f"Turn {n}: cur-{n - 1}" in user for n in range(1, 6))
    assert "# Current state (after turn 5)" in user


def test_counters_given_by_the_caller_must_match_the_memory():
    memory = _memory(1, 2)
    kwargs = {"rules": RULES, "action_format": FORMAT, "config": PromptConfig()}
    play_messages(memory, turn=2, attempt=1, **kwargs)
    with pytest.raises(ValueError, match="turn=1"):
        play_messages(memory, turn=1, **kwargs)
    with pytest.raises(ValueError, match="attempt=0"):
        play_messages(memory, attempt=0, **kwargs)


def test_memory_beyond_the_configured_limits_is_a_clear_error():
    with pytest.raises(ValueError, match="num_attempts"):
        _play(_memory(2, 0), num_attempts=2)
    with pytest.raises(ValueError, match="max_turns"):
        _play(_memory(0, 3), max_turns=3)


def test_invalid_turn_is_shown_without_an_action():
    memory = TrialMemory(START)
    memory.record_turn("<invalid>", "obs", -0.1, valid=False)
    memory.record_turn(None, "obs2", -0.1)
    assert [t.action for t in memory.current_turns] == [None, None]
    user = _play(memory)
    assert "Turn 1: (no valid action) (reward -0.1)" in user
    assert "Turn 2: (no valid action) (reward -0.1)" in user
    assert "<invalid>" not in user


def test_available_actions_follow_the_current_state_and_are_never_dropped():
    memory = _memory(1, 3)
    kwargs = {
        "rules": RULES,
        "action_format": FORMAT,
        "available_actions": ["go to desk 1", "look"],
    }
    user = _user(play_messages(memory, config=PromptConfig(), **kwargs))
    assert "Actions available now: go to desk 1, look\n" in user
    assert (
        user.index("obs cur t2") < user.index("Actions available now") < user.index("# Your turn")
    )
    tight = build_play_prompt(memory, config=PromptConfig(max_prompt_tokens=50), **kwargs)
    assert "Actions available now: go to desk 1, look" in tight.messages[1]["content"]
    assert "Actions available" not in _play(memory)


def test_rewards_are_shown_compactly_and_negative_zero_as_zero():
    memory = TrialMemory(START)
    for reward in (-0.0, 0.0, 0.1 + 0.2, 10.9, -1.0):
        memory.record_turn("up", "obs", reward)
    user = _play(memory)
    lines = [line for line in user.splitlines() if line.startswith("Turn ") and "reward" in line]
    assert [line.split("reward ")[1] for line in lines] == ["0)", "0)", "0.3)", "10.9)", "-1)"]


def test_empty_reflection_is_shown_as_missing():
    user = _play(_memory(1, 0, reflections=("  ",)))
    assert "(no usable reflection was written)" in user


def test_reflect_prompt_shows_the_whole_attempt_and_asks_for_a_remark():
    memory = _memory(1, 0)
    messages = reflect_messages(memory, rules=RULES, action_format=FORMAT, config=PromptConfig())
    user = _user(messages)
    assert START in user
    assert all(f"State after turn {t + 1}:\nobs a0 t{t}" in user for t in range(4))
    assert "without solving the task" in user
    assert "<remark></remark>" in user
    assert "# Attempt 1 of 3" in user


def test_reflect_prompt_on_a_won_attempt_is_a_clear_error():
    memory = TrialMemory(START)
    memory.record_turn("right", "won", 10.0)
    memory.end_attempt(won=True)
    with pytest.raises(ValueError, match="solved the task"):
        reflect_messages(memory, rules=RULES, action_format=FORMAT, config=PromptConfig())


def test_empty_attempts_and_empty_action_lists_read_naturally():
    memory = TrialMemory(START)
    memory.end_attempt()
    memory.record_reflection("try again")
    user = _user(
        play_messages(
            memory,
            rules=RULES,
            action_format=FORMAT,
            config=PromptConfig(mode="history_and_reflection"),
            available_actions=[],
        )
    )
    assert (
        "## Attempt 1: not solved\nNo turns were played.\nYour reflection after it:\ntry again"
        in user
    )
    assert "Actions available now: (none)\n" in user


def test_earlier_attempts_show_their_outcome():
    memory = TrialMemory(START)
    memory.end_attempt(won=True)
    memory.end_attempt(won=False)
    user = _play(memory, mode="history_only")
    assert "## Attempt 1: solved\n" in user and "## Attempt 2: not solved\n" in user


def test_reflect_prompt_before_any_finished_attempt_is_a_clear_error():
    with pytest.raises(ValueError, match="end_attempt"):
        reflect_messages(
            TrialMemory(START), rules=RULES, action_format=FORMAT, config=PromptConfig()
        )


def test_reflect_prompt_drops_older_states_first_and_keeps_the_last():
    memory = _memory(1, 0)
    full = build_reflect_prompt(memory, rules=RULES, action_format=FORMAT, config=PromptConfig())
    tight = build_reflect_prompt(
        memory,
        rules=RULES,
        action_format=FORMAT,
        config=PromptConfig(max_prompt_tokens=full.num_tokens - 1),
    )
    user = _user(tight.messages)
    assert tight.num_dropped == 1 and tight.fits
    assert "obs a0 t0" not in user and "obs a0 t3" in user


def test_budget_drops_older_material_in_the_documented_order():
    """Shrinking the budget removes, in order: this attempt's older states, earlier
    attempts' states, earlier attempts' turns, older reflections, this attempt's older
    turn lines; the rules, the current state and the latest reflection stay."""
    memory = _memory(2, 5)
    kwargs = {"rules": RULES, "action_format": FORMAT}
    full = build_play_prompt(memory, config=PromptConfig(mode="history_and_reflection"), **kwargs)
    seen = []
    for budget in range(full.num_tokens, 0, -1):
        prompt = build_play_prompt(
            memory,
            config=PromptConfig(mode="history_and_reflection", max_prompt_tokens=budget),
            **kwargs,
        )
        system, user = prompt.messages[0]["content"], prompt.messages[1]["content"]
        assert RULES in system and "R2" in user and "obs cur t4" in user and START in user
        gone = [
            marker
            for marker in ("obs cur t2", "obs a0 t0", "a0-0", "R1", "Turn 1: cur-0")
            if marker not in user
        ]
        if gone and (not seen or gone != seen[-1]):
            seen.append(gone)
    assert seen == [
        ["obs cur t2"],
        ["obs cur t2", "obs a0 t0"],
        ["obs cur t2", "obs a0 t0", "a0-0"],
        ["obs cur t2", "obs a0 t0", "a0-0", "R1"],
        ["obs cur t2", "obs a0 t0", "a0-0", "R1", "Turn 1: cur-0"],
    ]


def test_prompt_reports_when_even_the_kept_material_does_not_fit():
    prompt = build_play_prompt(
        _memory(1, 2), rules=RULES, action_format=FORMAT, config=PromptConfig(max_prompt_tokens=10)
    )
    assert not prompt.fits and prompt.num_tokens > 10


def test_custom_token_counter_is_used():
    words = build_play_prompt(
        _memory(0, 1),
        rules=RULES,
        action_format=FORMAT,
        config=PromptConfig(),
        count_tokens=lambda text: len(text.split()),
    )
    expected = sum(len(m["content"].split()) for m in words.messages)
    assert words.num_tokens == expected
