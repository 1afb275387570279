"""A logical MineSweeper solver working only from what the player sees.

:func:`analyse` reads a display (``?``, ``.``, digits) and returns the cells that are
certainly safe, certainly mines, and a mine probability for every hidden cell:

1. every revealed number gives a constraint "these hidden neighbours hold k mines";
2. constraints are simplified until nothing changes: ``k == 0`` marks all safe,
   ``k == len`` marks all mines, and a constraint contained in another one leaves
   the difference with ``k_big - k_small`` mines;
3. probabilities: exact enumeration of the remaining boundary cells (weighting each
   assignment by the ways to place the other mines in the unconstrained cells) when
   the boundary is small, else a per-constraint average.

:func:`choose_click` picks a certain-safe cell if there is one, else the lowest
probability (ties: first in row-major order). Used by tests, to measure difficulty,
and to generate demonstrations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import comb, isqrt

from lamer_envs.minesweeper.board import HIDDEN, MINE_SHOWN, neighbour_table

#: Largest boundary enumerated exactly (2**N assignments at worst, pruned in practice).
MAX_EXACT_BOUNDARY = 22


@dataclass
class Analysis:
    """What can be inferred from one display (flat 0-indexed cells)."""

    safe: set[int] = field(default_factory=set)
    mines: set[int] = field(default_factory=set)
    probability: dict[int, float] = field(default_factory=dict)
    """Mine probability of every hidden cell (0.0 for ``safe``, 1.0 for ``mines``)."""


def _constraints(
    shown: Sequence[str], neighbours: tuple[tuple[int, ...], ...]
) -> list[tuple[frozenset[int], int]]:
    out = []
    for index, symbol in enumerate(shown):
        if symbol.isdigit():
            hidden = frozenset(j for j in neighbours[index] if shown[j] == HIDDEN)
            if hidden:
                out.append((hidden, int(symbol)))
    return out


def _simplify(
    constraints: list[tuple[frozenset[int], int]], safe: set[int], mines: set[int]
) -> list[tuple[frozenset[int], int]]:
    """Apply the trivial and subset rules until a fixed point."""
    changed = True
    while changed:
        changed = False
        reduced: dict[frozenset[int], int] = {}
        for cells, count in constraints:
            count -= len(cells & mines)
            cells = cells - mines - safe
            if not cells:
                continue
            if count == 0:
                safe |= cells
                changed = True
            elif count == len(cells):
                mines |= cells
                changed = True
            else:
                reduced[cells] = count
        constraints = list(reduced.items())
        if changed:
            continue
        for small, small_count in constraints:
            for big, big_count in constraints:
                if small is not big and small < big:
                    difference = big - small
                    if difference not in reduced:
                        reduced[difference] = big_count - small_count
                        changed = True
        constraints = list(reduced.items())
    return constraints


def _enumerate(
    constraints: list[tuple[frozenset[int], int]], other_cells: int, mines_left: int
) -> dict[int, float] | None:
    """Exact boundary probabilities, or None if the boundary is too big or inconsistent."""
    boundary = sorted(set().union(*(cells for cells, _ in constraints)))
    if len(boundary) > MAX_EXACT_BOUNDARY:
        return None
    position = {cell: i for i, cell in enumerate(boundary)}
    checks = [([position[c] for c in cells], count) for cells, count in constraints]
    assignment = [0] * len(boundary)
    weight_total = 0
    mine_weight = [0] * len(boundary)

    def partial_ok(upto: int) -> bool:
        for idx, count in checks:
            placed = sum(assignment[i] for i in idx if i <= upto)
            open_cells = sum(1 for i in idx if i > upto)
            if placed > count or placed + open_cells < count:
                return False
        return True

    def search(i: int, used: int) -> None:
        nonlocal weight_total
        if used > mines_left:
            return
        if i == len(boundary):
            rest = mines_left - used
            if rest > other_cells:
                return
            weight = comb(other_cells, rest)
            weight_total += weight
            for j, value in enumerate(assignment):
                if value:
                    mine_weight[j] += weight
            return
        for value in (0, 1):
            assignment[i] = value
            if partial_ok(i):
                search(i + 1, used + value)
        assignment[i] = 0

    search(0, 0)
    if weight_total == 0:
        return None
    return {cell: mine_weight[i] / weight_total for cell, i in position.items()}


def analyse(shown: Sequence[str], num_mines: int) -> Analysis:
    """Infer safe cells, mines and mine probabilities from a square display."""
    size = isqrt(len(shown))
    if size * size != len(shown):
        raise ValueError("the display must be a square board")
    neighbours = neighbour_table(size)
    hidden = [i for i, s in enumerate(shown) if s in (HIDDEN, MINE_SHOWN)]
    safe: set[int] = set()
    mines: set[int] = set()
    constraints = _simplify(_constraints(shown, neighbours), safe, mines)
    result = Analysis(safe=safe, mines=mines)
    boundary = set().union(*(cells for cells, _ in constraints)) if constraints else set()
    unknown_other = [i for i in hidden if i not in boundary and i not in safe and i not in mines]
    mines_left = num_mines - len(mines)
    exact = _enumerate(constraints, len(unknown_other), mines_left) if constraints else {}
    if exact is None:
        exact = {}
        for cells, count in constraints:
            for cell in cells:
                exact[cell] = max(exact.get(cell, 0.0), count / len(cells))
    expected_boundary = sum(exact.values())
    other_probability = (
        max(0.0, min(1.0, (mines_left - expected_boundary) / len(unknown_other)))
        if unknown_other
        else 0.0
    )
    for cell in hidden:
        if cell in safe:
            result.probability[cell] = 0.0
        elif cell in mines:
            result.probability[cell] = 1.0
        else:
            result.probability[cell] = exact.get(cell, other_probability)
    # Enumeration can prove more cells than the rules did.
    for cell, p in exact.items():
        if p == 0.0:
            result.safe.add(cell)
        elif p == 1.0:
            result.mines.add(cell)
    return result


def choose_click(shown: Sequence[str], num_mines: int) -> tuple[int, int, float]:
    """``(row, col, mine_probability)`` of the best next click, 1-indexed."""
    size = isqrt(len(shown))
    result = analyse(shown, num_mines)
    candidates = [i for i, s in enumerate(shown) if s == HIDDEN]
    if not candidates:
        raise ValueError("no hidden cell left to click")
    best = min(candidates, key=lambda i: (result.probability.get(i, 1.0), i))
    row, col = divmod(best, size)
    return row + 1, col + 1, result.probability.get(best, 1.0)
