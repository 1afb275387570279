"""lamer_memory: cross-attempt memory, prompt building and response parsing for LaMer agents.

The trial loop keeps one :class:`TrialMemory` per task instance, asks
:func:`play_messages` / :func:`reflect_messages` for the chat messages of each model call,
and reads the answers with :func:`parse_play` / :func:`parse_reflection`.
"""

from lamer_memory.budget import (
    FittedText,
    PartwiseTokenCounter,
    TokenCounter,
    approx_token_count,
    fit_parts,
)
from lamer_memory.config import MEMORY_MODES, MemoryMode, PromptConfig
from lamer_memory.parsing import (
    TAG_STYLES,
    ParsedPlay,
    ParsedReflection,
    TagStyle,
    extract_action_text,
    find_tag,
    parse_play,
    parse_reflection,
)
from lamer_memory.prompts import (
    Prompt,
    build_play_prompt,
    build_reflect_prompt,
    play_messages,
    reflect_messages,
    render_messages,
    system_message,
)
from lamer_memory.trial_memory import AttemptRecord, TrialMemory, TurnRecord

__version__ = "0.1.0"

__all__ = [
    "MEMORY_MODES",
    "TAG_STYLES",
    "AttemptRecord",
    "FittedText",
    "MemoryMode",
    "ParsedPlay",
    "ParsedReflection",
    "PartwiseTokenCounter",
    "Prompt",
    "PromptConfig",
    "TagStyle",
    "TokenCounter",
    "TrialMemory",
    "TurnRecord",
    "approx_token_count",
    "build_play_prompt",
    "build_reflect_prompt",
    "extract_action_text",
    "find_tag",
    "fit_parts",
    "parse_play",
    "parse_reflection",
    "play_messages",
    "reflect_messages",
    "render_messages",
    "system_message",
]
