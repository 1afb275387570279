"""ALFRED ids -> PDDL ids -> display names ("sinkbasin 1"), the way ALFWorld names things.

An ALFRED id looks like ``Cabinet|+00.68|+00.50|-02.20``. ALFWorld's PDDL files carry a
*mangled* form of it (``Cabinet_bar__plus_00_dot_68_...``), and the text engine shows a
display name: the lowercased type prefix and a number. Numbers run *down* in sort order:
within one display base name, the entity whose lowercased mangled id sorts first gets the
highest number and the last one gets ``1``. Lists in feedback texts follow the same sort
order, so within a type they read ``cabinet 3, cabinet 2, cabinet 1``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

# Order matters only in that each source character is distinct; none of the replacements
# contains a source character, so one pass per character is safe.
_MANGLE = (("|", "_bar_"), ("-", "_minus_"), ("+", "_plus_"), (".", "_dot_"), (",", "_comma_"))


def mangle_id(alfred_id: str) -> str:
    """ALFRED id -> PDDL id (``|`` -> ``_bar_``, ``-`` -> ``_minus_``, ...), case kept."""
    out = alfred_id
    for source, replacement in _MANGLE:
        out = out.replace(source, replacement)
    return out


def sort_key(alfred_id: str) -> str:
    """Key that orders entities the way the engine lists them: the lowercased PDDL id."""
    return mangle_id(alfred_id).lower()


def base_name(alfred_id: str) -> str:
    """Display base name: the lowercased text before the first ``|``, plus ``basin`` when
    the id mentions a basin (``Sink|...|SinkBasin`` -> ``sinkbasin``)."""
    lowered = mangle_id(alfred_id).lower()
    base = lowered.split("_bar_", 1)[0]
    if "basin" in lowered:
        base += "basin"
    return base


def display_names(alfred_ids: Iterable[str]) -> dict[str, str]:
    """Display name of every id (``{"Apple|-01.2|...": "apple 2", ...}``).

    Ids are grouped by :func:`base_name`; inside a group, sorted by :func:`sort_key`, the
    first gets the group size as its number and the last gets ``1``.
    Raises ``ValueError`` on duplicate ids.
    """
    ids = list(alfred_ids)
    if len(set(ids)) != len(ids):
        raise ValueError("display_names: ids must be unique")
    groups: dict[str, list[str]] = defaultdict(list)
    for alfred_id in ids:
        groups[base_name(alfred_id)].append(alfred_id)
    names: dict[str, str] = {}
    for base, members in groups.items():
        members.sort(key=sort_key)
        for position, alfred_id in enumerate(members):
            names[alfred_id] = f"{base} {len(members) - position}"
    return names
