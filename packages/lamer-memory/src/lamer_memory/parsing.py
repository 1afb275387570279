"""Reading model responses: the action of a play turn and the reflection of a reflect turn.

Nothing here raises on model text: a missing or malformed tag is reported through
``is_valid=False`` (the trial loop applies the env's invalid-action penalty).

The action grammar belongs to the env (``env.parse_action``); this module only calls it
through :func:`parse_play`, so lamer-memory needs no import of lamer-envs. Reflections
are read here, from ``<remark>...</remark>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, get_args

TagStyle = Literal["last_pair", "first_tags", "last_tags"]
"""How a tagged block is located in a response.

- ``last_pair`` (default): the last *complete* block: the last closing tag and the last
  opening tag before it. Text after an unclosed trailing tag is ignored.
- ``first_tags``: the first opening tag and the first closing tag, wherever they are
  (empty when the closing tag comes first). The reference's Sokoban reflection parser.
- ``last_tags``: the last opening tag and the last closing tag, wherever they are (empty
  when the closing tag comes first). The reference's MineSweeper reflection parser.
"""
TAG_STYLES: tuple[TagStyle, ...] = get_args(TagStyle)

REMARK_TAG = "remark"
ACTION_TAG = "action"
DEFAULT_REFLECTION_MAX_CHARS = 2000


@dataclass(frozen=True, slots=True)
class TagSpan:
    """Where a tagged block sits in a response."""

    content: str
    """Raw text between the tags (not stripped; empty when the tags are out of order)."""
    start: int
    """Index of the opening tag."""
    end: int
    """Index just past the closing tag."""


def find_tag(text: str, tag: str, style: TagStyle = "last_pair") -> TagSpan | None:
    """Locate ``<tag>...</tag>`` in ``text`` (case-sensitive, exact); ``None`` when absent.

    See :data:`TagStyle` for which block is chosen when there are several.
    """
    opening, closing = f"<{tag}>", f"</{tag}>"
    if style == "last_pair":
        close = text.rfind(closing)
        if close < 0:
            return None
        # The opening tag must end before the closing tag starts.
        open_ = text.rfind(opening, 0, close)
        if open_ < 0:
            return None
    elif style == "first_tags":
        open_, close = text.find(opening), text.find(closing)
        if open_ < 0 or close < 0:
            return None
    elif style == "last_tags":
        open_, close = text.rfind(opening), text.rfind(closing)
        if open_ < 0 or close < 0:
            return None
    else:
        raise ValueError(f"unknown tag style {style!r}; expected one of {TAG_STYLES}")
    # Slicing with end < start gives "" (reference behaviour for reversed tags).
    content = text[open_ + len(opening) : close]
    return TagSpan(content, min(open_, close), max(open_ + len(opening), close + len(closing)))


def _outside(text: str, span: TagSpan | None) -> str:
    """The response without the tagged block, stripped: the model's free-text thinking."""
    if span is None:
        return text.strip()
    return (text[: span.start] + text[span.end :]).strip()


# -- reflections ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ParsedReflection:
    """What was read out of a reflect-turn response."""

    text: str
    """The reflection (stripped, capped); ``""`` when invalid."""
    is_valid: bool
    """The response held a usable ``<remark>`` block (see :func:`parse_reflection`)."""
    thought: str = ""
    """The rest of the response (its reasoning), kept for logs."""


def parse_reflection(
    response: str,
    *,
    style: TagStyle = "last_pair",
    max_chars: int = DEFAULT_REFLECTION_MAX_CHARS,
) -> ParsedReflection:
    """Read the reflection inside ``<remark>...</remark>``.

    The block is located per ``style``, stripped, then cut to ``max_chars`` code points.

    Validity: with the default ``last_pair`` a reflection is valid when a complete block
    holds non-blank text. The reference styles (``first_tags`` for Sokoban, ``last_tags``
    for MineSweeper) reproduce the reference exactly: valid whenever both tags occur,
    even with empty or reversed content.
    """
    if not isinstance(response, str):
        return ParsedReflection("", False, "")
    span = find_tag(response, REMARK_TAG, style)
    if span is None:
        return ParsedReflection("", False, _outside(response, None))
    text = span.content.strip()[: max(max_chars, 0)]
    is_valid = bool(text) if style == "last_pair" else True
    return ParsedReflection(text, is_valid, _outside(response, span))


# -- actions -------------------------------------------------------------------------------
class ParsedActionLike(Protocol):
    """Structural type of ``lamer_envs.protocol.ParsedAction`` (no import needed)."""

    @property
    def action(self) -> str | None: ...
    @property
    def is_valid(self) -> bool: ...
    @property
    def thought(self) -> str: ...


ActionParser = Callable[[str], ParsedActionLike]
"""An env's ``parse_action``: response text -> parsed action. Must not raise."""


@dataclass(frozen=True, slots=True)
class ParsedPlay:
    """What was read out of a play-turn response."""

    action: str | None
    """Canonical action text, ``None`` when the response held no valid action."""
    is_valid: bool
    """The response held a well-formed action (per the env's grammar)."""
    thought: str = ""
    """The model's reasoning around the action, kept for logs."""


def parse_play(response: str, parse_action: ActionParser) -> ParsedPlay:
    """Read the action of a play turn with the env's own grammar.

    ``parse_action`` is the env's ``parse_action`` (it decides which ``<action>`` block
    counts and how its text maps to an action). When the env gives no thought, the text
    outside the last ``<action>`` block is kept instead.
    """
    if not isinstance(response, str):
        return ParsedPlay(None, False, "")
    parsed = parse_action(response)
    action = parsed.action if parsed.is_valid else None
    thought = parsed.thought or _outside(response, find_tag(response, ACTION_TAG))
    return ParsedPlay(action, bool(parsed.is_valid), thought)


def extract_action_text(response: str, style: TagStyle = "last_pair") -> str | None:
    """Stripped text inside ``<action>...</action>`` or ``None``: a helper for env parsers."""
    span = find_tag(response, ACTION_TAG, style)
    return None if span is None else span.content.strip()
