"""Feedback texts of ALFWorld's text engine, rebuilt from its observed output.

Every string here matches what ALFWorld 0.4.2 (TextWorld 1.7.0) prints, including its
quirks: the article is always ``a`` (``a apple 1``), two-item lists keep the comma
(``a X, and a Y``), and ``look`` lists receptacles without articles.
"""

from __future__ import annotations

from collections.abc import Sequence

NOTHING_HAPPENS = "Nothing happens."

INTRO = (
    "-= Welcome to TextWorld, ALFRED! =-\n\n"
    "You are in the middle of a room. Looking quickly around you, you see {receptacles}.\n\n"
    "Your task is to: {task}."
)

LOOK_NOWHERE = "You are in the middle of a room. Looking quickly around you, you see nothing."

# The engine's grammar help, verbatim (its odd column alignment included).
HELP = (
    "Available commands:\n"
    "  look:                             look around your current location\n"
    "  inventory:                        check your current inventory\n"
    "  go to (receptacle):               move to a receptacle\n"
    "  open (receptacle):                open a receptacle\n"
    "  close (receptacle):               close a receptacle\n"
    "  take (object) from (receptacle):  take an object from a receptacle\n"
    "  move (object) to (receptacle):  place an object in or on a receptacle\n"
    "  examine (something):              examine a receptacle or an object\n"
    "  use (object):                     use an object\n"
    "  heat (object) with (receptacle):  heat an object using a receptacle\n"
    "  clean (object) with (receptacle): clean an object using a receptacle\n"
    "  cool (object) with (receptacle):  cool an object using a receptacle\n"
    "  slice (object) with (object):     slice an object using a sharp object\n"
)


def join_list(words: Sequence[str]) -> str:
    """``[]`` -> ``nothing``; ``[x]`` -> ``x``; ``[x, y]`` -> ``x, and y``;
    ``[x, y, z]`` -> ``x, y, and z``."""
    if not words:
        return "nothing"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + ", and " + words[-1]


def list_with_articles(names: Sequence[str]) -> str:
    """``a X, a Y, and a Z`` (the engine never writes ``an``)."""
    return join_list([f"a {name}" for name in names])


def describe_receptacle(name: str, openable: bool, opened: bool, contents: Sequence[str]) -> str:
    """What ``go to``, ``open`` and ``examine`` show of a receptacle."""
    if openable:
        if not opened:
            return f"The {name} is closed."
        return f"The {name} is open. In it, you see {list_with_articles(contents)}."
    return f"On the {name}, you see {list_with_articles(contents)}."


def describe_location(receptacles_here: Sequence[str]) -> str:
    """What ``look`` shows: the receptacles at the agent's location, no articles."""
    if not receptacles_here:
        return LOOK_NOWHERE
    # "Next to it" would list loose objects at this location; scenes never have any.
    return f"You are facing the {join_list(receptacles_here)}. Next to it, you see nothing."


def describe_inventory(held: str | None) -> str:
    if held is None:
        return "You are not carrying anything."
    return f"You are carrying: a {held}."


def describe_item(
    name: str, *, receptacle_object: bool, hot: bool, cool: bool, clean: bool, sliced: bool
) -> str:
    """What ``examine O`` shows of a held object: the first matching rule wins."""
    if receptacle_object:
        # Receptacle objects never show their state (heating or cleaning a mug included).
        return f"This is a normal {name}. In it, you see nothing."
    if sliced:
        if hot and clean:
            return f"This is a hot and clean sliced {name}."
        if cool and clean:
            return f"This is a cool and clean sliced {name}."
        if clean:
            return f"This is a clean sliced {name}."
        if hot:
            return f"This is a hot sliced {name}."
        if cool:
            return f"This is a cool sliced {name}."
    if hot and clean:
        return f"This is a hot and clean {name}."
    if cool and clean:
        return f"This is a cool and clean {name}."
    if hot:
        return f"This is a hot {name}."
    if clean:
        return f"This is a clean {name}."
    if cool:
        # Cool alone reads "cold" (an engine quirk).
        return f"This is a cold {name}."
    if sliced:
        return f"This is a sliced {name}."
    return f"There's nothing special about {name}."
