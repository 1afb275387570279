"""MemoryPrompts counts and reports prompts that cannot fit ``trial.max_prompt_tokens``."""

from __future__ import annotations

from types import SimpleNamespace

from lamer_memory.config import PromptConfig
from lamer_memory.trial_memory import TrialMemory
from lamer_train.prompting import MemoryPrompts


def _env(rules: str) -> SimpleNamespace:
    return SimpleNamespace(rules=rules, action_format="Answer in <action></action>.")


def test_a_prompt_over_the_budget_is_counted_and_reported_with_its_size():
    config = PromptConfig(mode="none", max_turns=2, num_attempts=1, max_prompt_tokens=400)
    prompts = MemoryPrompts(config)
    memory = TrialMemory("a small room")
    prompts.play_messages(memory, _env("Push the box."))
    assert prompts.over_budget == 0 and prompts.budget_warning() == ""

    long_rules = "Every rule of the game is written out here at length. " * 40
    messages = prompts.play_messages(memory, _env(long_rules))
    prompts.play_messages(memory, _env(long_rules + "More."))
    assert "Every rule" in messages[0]["content"]  # still built, never raises
    assert prompts.over_budget == 2 and prompts.largest_over_budget > 400
    warning = prompts.budget_warning()
    assert "2 prompt(s) exceeded trial.max_prompt_tokens=400" in warning
    assert f"longest {prompts.largest_over_budget} tokens" in warning
