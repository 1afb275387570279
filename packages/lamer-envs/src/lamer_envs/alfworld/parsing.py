"""Reading ALFWorld commands out of model text, and the rules shown in prompts.

:func:`project_response` follows the paper's play-phase projection: lowercase the
response, take the text between the first ``<action>`` and the first ``</action>``,
strip it; a response without both tags holds no action. Two small, documented
departures: an empty block is not an action (the reference passes ``""`` on as valid),
and the command is normalised further with :func:`normalize_command` (inner whitespace
collapsed, a final period dropped, ``put O in/on R`` read as ``move O to R``).
"""

from __future__ import annotations

import re

ACTION_START, ACTION_END = "<action>", "</action>"

#: Longest command we pass on; longer text is never a command (names are short).
MAX_COMMAND_LENGTH = 200

# Older ALFWorld versions and many prompts write "put O in/on R"; ALFWorld 0.4 only
# accepts "move O to R" (its own "put" templates are disabled in the PDDL domain).
_PUT_ALIAS = re.compile(r"^put (?P<obj>.+?) (?:in|on|into|onto|in/on) (?P<recep>.+)$")
_WHITESPACE = re.compile(r"\s+")

RULES = (
    "You are a household robot in a text world. A room holds receptacles (countertop 1, "
    "fridge 1, drawer 2, sinkbasin 1, ...) with objects in or on them (apple 1, mug 2, "
    "cd 1, ...). You see only where you are: go to a receptacle to see what is on it, and "
    "open it first if it is closed. You can carry one object at a time.\n"
    "Commands: look; inventory; go to <receptacle>; open <receptacle>; close <receptacle>; "
    "take <object> from <receptacle>; move <object> to <receptacle>; examine <something>; "
    "use <object> (e.g. turn on a desklamp); heat <object> with microwave; cool <object> "
    "with fridge; clean <object> with sinkbasin; slice <object> with <knife>.\n"
    "To heat, cool or clean, hold the object and stand at the appliance. To look at "
    "something under a lamp, hold it where the lamp is and turn the lamp on. A command "
    "that does not apply answers 'Nothing happens.' and wastes a step. Use the exact "
    "names from the observations; the admissible commands of each step are listed for you. "
    "You win when the task's goal holds."
)

ACTION_FORMAT = (
    "Write exactly one admissible command inside <action></action>, using the exact "
    "object and receptacle names, e.g. <action>go to countertop 1</action> or "
    "<action>take apple 1 from countertop 1</action>."
)


def normalize_command(text: str) -> str:
    """Lowercase, collapse whitespace, drop a final period, map ``put`` to ``move``."""
    command = _WHITESPACE.sub(" ", text.strip().lower()).rstrip(".").strip()
    match = _PUT_ALIAS.match(command)
    if match:
        command = f"move {match['obj']} to {match['recep']}"
    return command


def action_block(response: str) -> str | None:
    """Text between the first ``<action>`` and the first ``</action>`` of the lowercased
    response (``None`` when a tag is missing or they are out of order)."""
    lowered = response.lower()
    start = lowered.find(ACTION_START)
    end = lowered.find(ACTION_END)
    if start < 0 or end < 0 or end < start:
        return None
    return lowered[start + len(ACTION_START) : end]


def project_response(response: str) -> str | None:
    """The command a response holds, normalised; ``None`` when it holds none."""
    block = action_block(response)
    if block is None:
        return None
    command = normalize_command(block)
    if not command or len(command) > MAX_COMMAND_LENGTH:
        return None
    return command


def thought_of(response: str) -> str:
    """Free text written before the action tag (kept for logs)."""
    start = response.lower().find(ACTION_START)
    return response[:start].strip() if start > 0 else ""
