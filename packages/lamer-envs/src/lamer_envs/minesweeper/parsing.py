"""Reading a MineSweeper click out of model text (the reference's play-phase projection).

:func:`project_response` reproduces the paper's rule (golden ``minesweeper_projection``
play cases): take the text between the first ``<action>`` and the first ``</action>``,
strip it, and use the first ``(row, col)`` match of ``\\(( *\\d+) *, *(\\d+) *\\)``.
Only spaces may pad the numbers; ``\\d`` also matches other scripts' digits (``(３, ４)``).
There is no range check here: the board rejects cells outside it.

:func:`parse_bare_click` reads a bare ``"(2, 3)"`` strictly (the whole text).
"""

from __future__ import annotations

import re

ACTION_START, ACTION_END = "<action>", "</action>"
_CLICK = re.compile(r"\(( *\d+) *, *(\d+) *\)")
_BARE_CLICK = re.compile(r"\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*")
#: The reference's "no action" click: outside every board.
INVALID_CLICK = (-1, -1)


def project_response_raw(response: str) -> tuple[tuple[str, str] | None, str]:
    """``((row_text, col_text) or None, plan)`` exactly as the reference extracts them."""
    plan = _plan(response)
    start = response.find(ACTION_START)
    end = response.find(ACTION_END)
    if start < 0 or end < 0:
        return None, ""
    match = _CLICK.search(response[start + len(ACTION_START) : end].strip())
    if match is None:
        return None, plan
    return (match.group(1), match.group(2)), plan


def project_response(response: str) -> tuple[tuple[int, int], bool]:
    """``((row, col), valid)``, 1-indexed; invalid gives ``((-1, -1), False)``."""
    raw, _ = project_response_raw(response)
    if raw is None:
        return INVALID_CLICK, False
    return (_to_int(raw[0]), _to_int(raw[1])), True


def parse_bare_click(text: str) -> tuple[int, int] | None:
    """``"(2, 3)"`` -> ``(2, 3)``; None unless the whole text is one click."""
    match = _BARE_CLICK.fullmatch(text)
    if match is None:
        return None
    return _to_int(match.group(1)), _to_int(match.group(2))


#: Stands for numbers too long for ``int()`` (Python caps digit strings); outside any board.
OFF_BOARD = 10**18


def _to_int(digits: str) -> int:
    try:
        return int(digits)
    except ValueError:
        return OFF_BOARD


def click_text(row: int, col: int) -> str:
    """Canonical text of a click, e.g. ``"(2, 3)"``."""
    return f"({row}, {col})"


def _plan(response: str) -> str:
    start = response.rfind("<plan>")
    end = response.rfind("</plan>")
    if start < 0 or end < 0:
        return ""
    return response[start + len("<plan>") : end].strip()
