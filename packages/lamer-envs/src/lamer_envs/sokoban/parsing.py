"""Reading Sokoban actions out of model text (the reference's play-phase projection).

:func:`project_response` is the paper's rule, reproduced exactly (golden
``sokoban_projection`` play cases):

1. take the text between the first ``<action>`` and the last ``</action>`` (both exact,
   case-sensitive; a missing tag means no action);
2. lower-case it and split on commas;
3. each piece yields the first of ``up, down, left, right, still`` (in that priority)
   that occurs in it as a substring; pieces without one are skipped;
4. keep at most ``num_actions`` actions; none found means invalid.

:func:`parse_bare_actions` reads a bare action list (``"up, left"``) strictly: every
comma-separated piece must be exactly one keyword.
"""

from __future__ import annotations

from lamer_envs.sokoban.grid import ACTION_NAMES

ACTION_START, ACTION_END = "<action>", "</action>"
#: Keyword priority of the reference: "Right Left" reads as left, "update" as up.
_KEYWORDS = (("up", 1), ("down", 2), ("left", 3), ("right", 4), ("still", 0))
_KEYWORD_ACTIONS = dict(_KEYWORDS)


def action_block(response: str) -> str | None:
    """Text between the first ``<action>`` and the last ``</action>`` (None if a tag is missing)."""
    start = response.find(ACTION_START)
    end = response.rfind(ACTION_END)
    if start < 0 or end < 0:
        return None
    return response[start + len(ACTION_START) : end]


def project_response(response: str, num_actions: int = 3) -> tuple[list[int], bool]:
    """The reference projection: ``(actions, valid)``; invalid gives ``([0], False)``."""
    block = action_block(response)
    if block is None:
        return [0], False
    actions = []
    for piece in block.strip().lower().split(","):
        for keyword, action in _KEYWORDS:
            if keyword in piece:
                actions.append(action)
                break
    if not actions:
        return [0], False
    return actions[:num_actions], True


def parse_bare_actions(text: str, num_actions: int = 3) -> list[int] | None:
    """``"up, left"`` -> ``[1, 3]``; None unless every piece is exactly a keyword."""
    pieces = [piece.strip() for piece in text.strip().lower().split(",")]
    if not pieces or any(piece not in _KEYWORD_ACTIONS for piece in pieces):
        return None
    return [_KEYWORD_ACTIONS[piece] for piece in pieces][:num_actions]


def action_text(actions: list[int]) -> str:
    """Canonical text of primitive actions, e.g. ``[1, 3]`` -> ``"up, left"``."""
    return ", ".join(ACTION_NAMES[action] for action in actions)
