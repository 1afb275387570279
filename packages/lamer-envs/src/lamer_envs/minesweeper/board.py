"""MineSweeper game core: one left click at a time, exactly as the reference.

The board is ``size x size``; cells are addressed 0-indexed internally and 1-indexed
(``row, col``) in :meth:`MineSweeperBoard.click`, as the model writes them. What the
player sees is a list of symbols: ``?`` hidden, ``.`` revealed with no adjacent mine,
``1``..``8`` adjacent-mine count, ``*`` the mine that was clicked.

Rewards (the reference's table) compare the display with a snapshot ``prev`` taken
right before the last successful reveal (or right after the opening reveal):

- display unchanged: ``-1.0`` (useless click), not done;
- a reveal of exactly one cell: ``+0.5``; a cascade of several: ``+2.0``;
- every safe cell revealed: ``+10.0``, done, won;
- a mine: ``-0.1``, done;
- anything else (outside the board, already revealed): ``-1.0``, not done.

Because ``prev`` is stale, a useless click after the first successful one still counts
as "effective" (the reference's quirk, kept in this core; the env reports it as is).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

HIDDEN, EMPTY, MINE_SHOWN = "?", ".", "*"

REWARD_USELESS = -1.0
REWARD_SINGLE_REVEAL = 0.5
REWARD_CASCADE = 2.0
REWARD_WIN = 10.0
REWARD_MINE = -0.1


class ClickStatus(Enum):
    """The reference's click statuses, in the order they are decided."""

    UNEXIST_CELL = "UNEXIST_CELL"
    GAME_OVER = "GAME_OVER"
    LEFT_CLICK_EMPTY_CELL = "LEFT_CLICK_EMPTY_CELL"
    LEFT_CLICK_NUMBER_CELL = "LEFT_CLICK_NUMBER_CELL"
    GAME_WIN = "GAME_WIN"
    SUCCESS = "SUCCESS"


@dataclass(frozen=True, slots=True)
class ClickOutcome:
    status: ClickStatus
    reward: float
    done: bool
    won: bool
    action_is_effective: bool


def neighbour_table(size: int) -> tuple[tuple[int, ...], ...]:
    """The up-to-8 neighbours of every cell of a ``size x size`` board."""
    table = []
    for index in range(size * size):
        row, col = divmod(index, size)
        table.append(
            tuple(
                r * size + c
                for r in range(row - 1, row + 2)
                for c in range(col - 1, col + 2)
                if (r, c) != (row, col) and 0 <= r < size and 0 <= c < size
            )
        )
    return tuple(table)


class MineSweeperBoard:
    """Mines, what is revealed, and the reference's reward snapshot."""

    __slots__ = (
        "counts",
        "game_over",
        "mines",
        "neighbours",
        "num_mines",
        "num_revealed",
        "prev",
        "shown",
        "size",
    )

    def __init__(self, size: int, mines: Iterable[int]) -> None:
        """``mines``: flat 0-indexed cells holding a mine."""
        self.size = size
        self.neighbours = neighbour_table(size)
        mine_set = set(mines)
        if any(not 0 <= m < size * size for m in mine_set):
            raise ValueError("mine cell outside the board")
        self.mines = tuple(i in mine_set for i in range(size * size))
        self.num_mines = len(mine_set)
        self.counts = tuple(
            sum(self.mines[j] for j in self.neighbours[i]) for i in range(size * size)
        )
        self.shown = [HIDDEN] * (size * size)
        self.prev = list(self.shown)
        self.game_over = False
        self.num_revealed = 0

    @classmethod
    def from_layout(cls, layout: Sequence[Sequence[int]]) -> MineSweeperBoard:
        """From a 0/1 grid (1 = mine)."""
        size = len(layout)
        return cls(size, [r * size + c for r in range(size) for c in range(size) if layout[r][c]])

    @property
    def num_safe(self) -> int:
        return self.size * self.size - self.num_mines

    @property
    def is_won(self) -> bool:
        return self.num_revealed == self.num_safe

    def true_symbol(self, index: int) -> str:
        if self.mines[index]:
            return MINE_SHOWN
        return str(self.counts[index]) if self.counts[index] else EMPTY

    def render(self) -> str:
        """``"Row 1: ? ? 1 ..."``, one line per row, rows 1-indexed."""
        size = self.size
        return "\n".join(
            f"Row {row + 1}: " + " ".join(self.shown[row * size : (row + 1) * size])
            for row in range(size)
        )

    def open_game(self, clicks: Sequence[int]) -> None:
        """The reference's reset reveal for a sequence of opening clicks (flat indices).

        Each click hides the board and reveals from that cell; the next click is only
        used while the reveal already wins. A mine click ends the game on a hidden board
        (the reference's lost-at-reset quirk; our env never draws such a click).
        """
        for index in clicks:
            self.shown = [HIDDEN] * (self.size * self.size)
            self.num_revealed = 0
            if self.mines[index]:
                self.game_over = True
                return
            self._reveal(index)
            self.prev = list(self.shown)
            if not self.is_won:
                return

    def click(self, row: int, col: int) -> ClickOutcome:
        """Left-click the 1-indexed cell ``(row, col)``; any ints are accepted."""
        size = self.size
        if not (1 <= row <= size and 1 <= col <= size):
            status = ClickStatus.UNEXIST_CELL
        elif self.game_over:
            status = ClickStatus.GAME_OVER
        else:
            index = (row - 1) * size + (col - 1)
            symbol = self.shown[index]
            if symbol == EMPTY:
                status = ClickStatus.LEFT_CLICK_EMPTY_CELL
            elif symbol != HIDDEN:
                status = ClickStatus.LEFT_CLICK_NUMBER_CELL
            elif self.mines[index]:
                self.shown[index] = MINE_SHOWN
                self.game_over = True
                status = ClickStatus.GAME_OVER
            else:
                self.prev = list(self.shown)
                self._reveal(index)
                status = ClickStatus.GAME_WIN if self.is_won else ClickStatus.SUCCESS

        if self.shown == self.prev:
            return ClickOutcome(status, REWARD_USELESS, False, False, False)
        if status is ClickStatus.SUCCESS:
            changed = sum(a != b for a, b in zip(self.shown, self.prev, strict=True))
            reward = REWARD_SINGLE_REVEAL if changed == 1 else REWARD_CASCADE
            return ClickOutcome(status, reward, False, False, True)
        if status is ClickStatus.GAME_WIN:
            return ClickOutcome(status, REWARD_WIN, True, True, True)
        if status is ClickStatus.GAME_OVER:
            return ClickOutcome(status, REWARD_MINE, True, False, True)
        return ClickOutcome(status, REWARD_USELESS, False, False, True)

    def _reveal(self, start: int) -> None:
        """Flood fill: a zero cell opens all its neighbours, a number only itself."""
        stack = [start]
        shown, counts, neighbours = self.shown, self.counts, self.neighbours
        while stack:
            index = stack.pop()
            if shown[index] != HIDDEN:
                continue
            count = counts[index]
            shown[index] = str(count) if count else EMPTY
            self.num_revealed += 1
            if count == 0:
                stack.extend(j for j in neighbours[index] if shown[j] == HIDDEN)
