"""The trial loop's :class:`~lamer_train.trial_loop.PromptBuilder` on top of lamer-memory.

Prompts are built by :mod:`lamer_memory.prompts` from the env's rules and action format
and the trial's memory, fitted to the token budget with the policy's own tokenizer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lamer_memory.budget import PartwiseTokenCounter
from lamer_memory.config import PromptConfig
from lamer_memory.parsing import TagStyle, parse_reflection
from lamer_memory.prompts import Prompt, build_play_prompt, build_reflect_prompt
from lamer_memory.trial_memory import TrialMemory
from lamer_train.engines.base import ChatMessage
from lamer_train.trial_loop import EnvText


def tokenizer_counter(tokenizer) -> Callable[[str], int]:
    """Token count of a prompt under ``tokenizer`` (no special tokens), counted part by part.

    Prompt parts recur from turn to turn, so each distinct part is tokenized once
    (:class:`lamer_memory.budget.PartwiseTokenCounter`); the sum bounds the joined text's
    count from above, so a prompt that fits by this count really fits.
    """

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return PartwiseTokenCounter(count)


class MemoryPrompts:
    """Play and reflect prompts from lamer-memory; reflections read from ``<remark>``.

    Args:
        config: memory mode, window, counters and token budget.
        reflection_style: how the ``<remark>`` block is located (the reference's Sokoban
            parser is ``first_tags``, its MineSweeper parser ``last_tags``).
        count_tokens: token counter for the budget (default: lamer-memory's estimate).
    """

    def __init__(
        self,
        config: PromptConfig,
        *,
        reflection_style: TagStyle = "last_pair",
        count_tokens: Callable[[str], int] | None = None,
    ) -> None:
        self.config = config
        self.reflection_style = reflection_style
        self._count = count_tokens
        self.over_budget = 0
        """Prompts built so far that exceed ``max_prompt_tokens`` even with every older
        piece of memory dropped (the rules, state and format alone are too long)."""
        self.largest_over_budget = 0
        """Token count of the longest such prompt."""

    def _checked(self, prompt: Prompt) -> list[ChatMessage]:
        if not prompt.fits:
            self.over_budget += 1
            self.largest_over_budget = max(self.largest_over_budget, prompt.num_tokens)
        return prompt.messages

    def budget_warning(self) -> str:
        """One line about prompts over the budget so far ('' when none was)."""
        if not self.over_budget:
            return ""
        return (
            f"{self.over_budget} prompt(s) exceeded trial.max_prompt_tokens="
            f"{self.config.max_prompt_tokens} even with all older memory dropped (longest "
            f"{self.largest_over_budget} tokens): the rules, state and action list alone "
            "are too long; raise trial.max_prompt_tokens"
        )

    def _kwargs(self, env: EnvText) -> dict:
        kwargs = {"rules": env.rules, "action_format": env.action_format, "config": self.config}
        if self._count is not None:
            kwargs["count_tokens"] = self._count
        return kwargs

    def play_messages(
        self,
        memory: TrialMemory,
        env: EnvText,
        available_actions: Sequence[str] | None = None,
    ) -> list[ChatMessage]:
        return self._checked(
            build_play_prompt(memory, available_actions=available_actions, **self._kwargs(env))
        )

    def reflect_messages(self, memory: TrialMemory, env: EnvText) -> list[ChatMessage]:
        return self._checked(build_reflect_prompt(memory, **self._kwargs(env)))

    def parse_reflection(self, response: str) -> tuple[str, bool]:
        parsed = parse_reflection(
            response, style=self.reflection_style, max_chars=self.config.reflection_max_chars
        )
        return parsed.text, parsed.is_valid
