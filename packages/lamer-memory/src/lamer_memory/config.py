"""What the prompt builders need to know about a run: memory mode, window, limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from lamer_memory.parsing import DEFAULT_REFLECTION_MAX_CHARS, TAG_STYLES, TagStyle

MemoryMode = Literal["reflection_only", "history_only", "history_and_reflection", "none"]
"""What a new attempt is told about the earlier ones.

- ``reflection_only``: the reflection written after each failed attempt (paper default,
  best in the paper's memory ablation).
- ``history_only``: the turns (actions, rewards, states) of each earlier attempt.
- ``history_and_reflection``: both.
- ``none``: nothing; every attempt looks like a first attempt (plain retries, the
  baselines' evaluation setting).
"""
MEMORY_MODES: tuple[MemoryMode, ...] = get_args(MemoryMode)


@dataclass(frozen=True, slots=True)
class PromptConfig:
    """Settings of prompt building. Defaults follow the paper's Sokoban/MineSweeper runs."""

    mode: MemoryMode = "reflection_only"
    """Cross-attempt memory mode, see :data:`MemoryMode`."""
    history_window: int = 3
    """How many of the current attempt's most recent turns show their full resulting
    state; the last one is the current state. Older turns show only action and reward."""
    max_turns: int = 7
    """Play turns per attempt (shown in the turn counter)."""
    num_attempts: int = 3
    """Attempts per trial (shown in the attempt counter)."""
    max_prompt_tokens: int = 2048
    """Token budget of the whole prompt (all messages); older material is dropped to fit."""
    reflection_max_chars: int = DEFAULT_REFLECTION_MAX_CHARS
    """Reflections longer than this (in code points) are cut when parsed."""
    reflection_style: TagStyle = "last_pair"
    """Which ``<remark>`` block a reflection is read from (see
    :data:`lamer_memory.parsing.TagStyle`; the reference styles are for golden tests)."""

    def __post_init__(self) -> None:
        if self.mode not in MEMORY_MODES:
            raise ValueError(f"PromptConfig.mode must be one of {MEMORY_MODES}, got {self.mode!r}")
        if self.reflection_style not in TAG_STYLES:
            raise ValueError(
                f"PromptConfig.reflection_style must be one of {TAG_STYLES}, "
                f"got {self.reflection_style!r}"
            )
        for name, minimum in (
            ("history_window", 1),
            ("max_turns", 1),
            ("num_attempts", 1),
            ("max_prompt_tokens", 1),
            ("reflection_max_chars", 0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"PromptConfig.{name} must be an int >= {minimum}, got {value!r}")

    @property
    def shows_reflections(self) -> bool:
        """Later attempts see earlier reflections, so the trial loop must ask for them."""
        return self.mode in ("reflection_only", "history_and_reflection")

    @property
    def shows_history(self) -> bool:
        """Later attempts see the turns of earlier attempts."""
        return self.mode in ("history_only", "history_and_reflection")
