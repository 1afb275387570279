"""The fixed part of a Sokoban room and the compact state encoding used everywhere.

A room is ``rows x cols`` cells, addressed by flat index ``i = row * cols + col``.
The movable part of a state is two ints: the player's cell index and a bitmask of
box cells (bit ``i`` set = a box on cell ``i``). Ints make states cheap to hash,
copy and compare, which is what the solvers spend their time on.

Cell values of the reference (gym-sokoban) grids, used at the array boundary:
``0`` wall, ``1`` floor, ``2`` target, ``3`` box on target, ``4`` box, ``5`` player,
``6`` player on target (render only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

WALL, FLOOR, TARGET, BOX_ON_TARGET, BOX, PLAYER, PLAYER_ON_TARGET = range(7)

#: Actions of the primitive dynamics: 0 no-op, then up/down/left/right.
NOOP, UP, DOWN, LEFT, RIGHT = range(5)
ACTION_NAMES = ("still", "up", "down", "left", "right")
#: (row, col) change of actions 1..4 (index 0 unused).
MOVES = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))

SYMBOLS = {
    WALL: "#",
    FLOOR: "_",
    TARGET: "O",
    BOX_ON_TARGET: "√",
    BOX: "X",
    PLAYER: "P",
    PLAYER_ON_TARGET: "S",
}


@lru_cache(maxsize=64)
def _open_neighbours(rows: int, cols: int) -> tuple[tuple[int, ...], ...]:
    """Neighbour tables of a room without walls (``-1`` outside the room)."""
    tables: list[tuple[int, ...]] = [()]
    for d_row, d_col in MOVES[1:]:
        table = []
        for index in range(rows * cols):
            row, col = divmod(index, cols)
            row, col = row + d_row, col + d_col
            table.append(row * cols + col if 0 <= row < rows and 0 <= col < cols else -1)
        tables.append(tuple(table))
    return tuple(tables)


@dataclass(frozen=True, eq=False)
class SokobanGrid:
    """Walls and targets of one room, with precomputed neighbour tables.

    ``neighbours[a][i]`` is the cell reached from ``i`` by action ``a`` (1..4), or ``-1``
    when that cell is a wall or outside the room.
    """

    rows: int
    cols: int
    walls: int
    """Bitmask of wall cells."""
    targets: int
    """Bitmask of target cells."""
    neighbours: tuple[tuple[int, ...], ...] = field(repr=False)

    @classmethod
    def from_fixed(cls, room_fixed: Sequence[Sequence[int]] | np.ndarray) -> SokobanGrid:
        """Build from a ``room_fixed`` grid of 0 (wall) / 1 (floor) / 2 (target)."""
        fixed = np.asarray(room_fixed, dtype=np.int64)
        if fixed.ndim != 2 or fixed.size == 0:
            raise ValueError(f"room_fixed must be a non-empty 2-D grid, got shape {fixed.shape}")
        rows, cols = fixed.shape
        return cls.from_flat(rows, cols, fixed.ravel().tolist())

    @classmethod
    def from_flat(cls, rows: int, cols: int, cells: Sequence[int]) -> SokobanGrid:
        """Build from ``rows * cols`` row-major values 0 (wall) / 1 (floor) / 2 (target)."""
        walls = targets = 0
        for index, value in enumerate(cells):
            if value == WALL:
                walls |= 1 << index
            elif value == TARGET:
                targets |= 1 << index
            elif value != FLOOR:
                raise ValueError(f"room_fixed may only hold 0/1/2, found {value}")
        # The extra False entry is what index -1 (outside the room) reads.
        open_cell = [value != WALL for value in cells] + [False]
        neighbours: list[tuple[int, ...]] = [()]
        for table in _open_neighbours(rows, cols)[1:]:
            neighbours.append(tuple([j if open_cell[j] else -1 for j in table]))
        return cls(rows, cols, walls, targets, tuple(neighbours))

    @cached_property
    def dead_cells(self) -> int:
        """Bitmask of floor cells from which a box can never reach any target.

        Found by pulling a box backwards from every target (a pull needs the two cells
        behind it to be open, exactly what the matching push needs). A box on such a
        cell makes the state unsolvable, and pushing it only leads to other such cells,
        so pruning these states changes no search result.
        """
        live = self.targets
        frontier = [i for i in range(self.num_cells) if self.targets >> i & 1]
        while frontier:
            cell = frontier.pop()
            for back in (1, 2, 3, 4):
                # The box came from `before`, one step in direction `back`, pushed by a
                # player standing one step further.
                before = self.neighbours[back][cell]
                if before < 0 or live >> before & 1:
                    continue
                if self.neighbours[back][before] >= 0:
                    live |= 1 << before
                    frontier.append(before)
        floor = ~self.walls & ((1 << self.num_cells) - 1)
        return floor & ~live

    @property
    def num_cells(self) -> int:
        return self.rows * self.cols

    @property
    def num_targets(self) -> int:
        return self.targets.bit_count()

    def floor_cells(self) -> list[int]:
        """Indices of the non-wall cells (floor and targets)."""
        return [i for i in range(self.num_cells) if not self.walls >> i & 1]

    def room_fixed(self) -> np.ndarray:
        """The ``rows x cols`` grid of 0/1/2."""
        cells = [
            WALL if self.walls >> i & 1 else TARGET if self.targets >> i & 1 else FLOOR
            for i in range(self.num_cells)
        ]
        return np.array(cells, dtype=np.int64).reshape(self.rows, self.cols)

    def cell_values(self, player: int, boxes: int, *, player_on_target_value: int) -> list[int]:
        """Flat cell values of a state; the player on a target shows as the given value."""
        values = []
        for i in range(self.num_cells):
            bit = 1 << i
            if i == player:
                values.append(player_on_target_value if self.targets & bit else PLAYER)
            elif boxes & bit:
                values.append(BOX_ON_TARGET if self.targets & bit else BOX)
            elif self.walls & bit:
                values.append(WALL)
            else:
                values.append(TARGET if self.targets & bit else FLOOR)
        return values

    def room_state(self, player: int, boxes: int) -> np.ndarray:
        """The reference's ``room_state`` (the player is 5 even on a target)."""
        values = self.cell_values(player, boxes, player_on_target_value=PLAYER)
        return np.array(values, dtype=np.int64).reshape(self.rows, self.cols)

    def render_text(self, player: int, boxes: int) -> str:
        """Rows like ``"0: # _ O X √ P S"`` (row index, then one symbol per cell)."""
        values = self.cell_values(player, boxes, player_on_target_value=PLAYER_ON_TARGET)
        lines = []
        for row in range(self.rows):
            cells = values[row * self.cols : (row + 1) * self.cols]
            lines.append(f"{row}:" + "".join(" " + SYMBOLS[v] for v in cells))
        return "\n".join(lines)


def state_from_arrays(
    room_fixed: Sequence[Sequence[int]] | np.ndarray,
    room_state: Sequence[Sequence[int]] | np.ndarray,
) -> tuple[SokobanGrid, int, int]:
    """Decode reference arrays into ``(grid, player, boxes)``."""
    grid = SokobanGrid.from_fixed(room_fixed)
    state = np.asarray(room_state, dtype=np.int64)
    if state.shape != (grid.rows, grid.cols):
        raise ValueError(f"room_state shape {state.shape} differs from room_fixed's")
    flat = state.ravel().tolist()
    players = [i for i, v in enumerate(flat) if v in (PLAYER, PLAYER_ON_TARGET)]
    if len(players) != 1:
        raise ValueError(f"room_state must hold exactly one player, found {len(players)}")
    boxes = 0
    for i, v in enumerate(flat):
        if v in (BOX, BOX_ON_TARGET):
            boxes |= 1 << i
    return grid, players[0], boxes
