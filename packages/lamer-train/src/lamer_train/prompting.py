"""The trial loop's :class:`~lamer_train.trial_loop.PromptBuilder` on top of lamer-memory.

Prompts are built by :mod:`lamer_memory.prompts` from the env's rules and action format
and the trial's memory, fitted to the token budget with the policy's own tokenizer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lamer_memory.budget import PartwiseTokenCounter
from lamer_memory.config import PromptConfig
from lamer_memory.parsing import TagStyle, parse_reflection
from lamer_memory.prompts import play_messages, reflect_messages
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
        return play_messages(memory, available_actions=available_actions, **self._kwargs(env))

    def reflect_messages(self, memory: TrialMemory, env: EnvText) -> list[ChatMessage]:
        return reflect_messages(memory, **self._kwargs(env))

    def parse_reflection(self, response: str) -> tuple[str, bool]:
        parsed = parse_reflection(
            response, style=self.reflection_style, max_chars=self.config.reflection_max_chars
        )
        return parsed.text, parsed.is_valid
