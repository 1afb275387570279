"""``lamer/MineSweeper-v0``: the paper's MineSweeper as a text env.

Paper config (the defaults): 6x6 board, 3 mines, one reveal per turn (the 7-turn limit
belongs to the trial loop). The env makes the opening click itself.

Observation: ``"Row 1: ? ? 1 . ..."``, one line per row (see :mod:`.board`).
Action: a model response (``<action>(row, col)</action>``, 1-indexed, read with the
reference's projection) or a bare ``"(row, col)"``.

Rewards follow the reference's table (see :mod:`.board`). ``terminated`` on a win or a
mine; there is no truncation. A response without a usable click costs ``-1.0`` and
changes nothing (the reference treats it as a click outside the board).

Deliberate differences from the reference (see the package README):

- the opening click and the mines both come from the reset seed (the reference's
  opening click comes from an unseeded global generator);
- when the opening reveal already wins, the reference re-clicks at random on the same
  mines, sometimes on a mine, which starts the game lost (~0.7% of resets); we
  re-click only on safe cells, and draw a new board if no click leaves work to do;
- stepping after the end raises :class:`gymnasium.error.ResetNeeded`.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium.error import ResetNeeded

from lamer_envs.minesweeper.board import REWARD_USELESS, MineSweeperBoard
from lamer_envs.minesweeper.parsing import (
    ACTION_END,
    ACTION_START,
    click_text,
    parse_bare_click,
    project_response,
)
from lamer_envs.minesweeper.solver import choose_click
from lamer_envs.protocol import (
    ACTION,
    ACTION_IS_VALID,
    ANCHOR,
    INVALID_ACTION,
    WON,
    ParsedAction,
    text_space,
)

MAX_ACTION_CHARS = 8192
#: Re-clicks tried when the opening reveal wins at once (the reference's bound).
MAX_OPENING_CLICKS = 1000

RULES = (
    "You are playing MineSweeper on a {size}x{size} grid hiding {mines} mines.\n"
    "Goal: reveal every cell that does not hold a mine. Revealing a mine loses the game.\n"
    "Board symbols: '?' hidden cell, '.' revealed cell with no mine around it, "
    "'1'-'8' revealed cell showing how many of its 8 neighbours (including diagonals) "
    "hold a mine, '*' a revealed mine.\n"
    "Rows and columns are numbered from 1; row 1 is at the top, column 1 at the left.\n"
    "The first cell has already been revealed for you. Revealing a cell with no mine "
    "around it also opens its neighbours automatically.\n"
    "Each turn you reveal exactly one cell.\n"
    "Rewards: +0.5 for revealing one new cell, +2 when a reveal opens several cells, "
    "+10 for clearing the board, -0.1 for hitting a mine, -1 for a move that reveals "
    "nothing new (a revealed cell, a cell off the board, or an unreadable action)."
)
ACTION_FORMAT = (
    "Write the cell to reveal as (row, column) inside <action></action>, for example: "
    "<action>(2, 3)</action>"
)


class MineSweeperEnv(gymnasium.Env[str, str]):
    """MineSweeper with string observations/actions; see the module docstring."""

    metadata = {"render_modes": ["ansi"]}  # noqa: RUF012 (gymnasium's convention)

    def __init__(
        self, board_size: int = 6, n_mines: int = 3, render_mode: str | None = None
    ) -> None:
        if board_size < 2:
            raise ValueError(f"board_size must be >= 2, got {board_size}")
        if not 1 <= n_mines <= board_size * board_size - 2:
            raise ValueError(
                f"n_mines must be in 1..{board_size * board_size - 2} for a "
                f"{board_size}x{board_size} board, got {n_mines}"
            )
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.board_size = board_size
        self.n_mines = n_mines
        self.render_mode = render_mode
        obs_chars = board_size * (len(f"Row {board_size}: ") + 2 * board_size) + board_size
        self.observation_space = text_space(max_length=obs_chars)
        self.action_space = text_space(max_length=MAX_ACTION_CHARS)
        self._board: MineSweeperBoard | None = None
        self._episode_over = False
        self._initial_observation = ""
        self.opening_click: tuple[int, int] | None = None
        """The 1-indexed cell the env revealed at reset."""

    # -- prompt surface -------------------------------------------------------------------

    @property
    def rules(self) -> str:
        return RULES.format(size=self.board_size, mines=self.n_mines)

    @property
    def action_format(self) -> str:
        return ACTION_FORMAT

    @property
    def initial_observation(self) -> str:
        return self._initial_observation

    def parse_action(self, response: str) -> ParsedAction:
        """The paper's projection (bare clicks are accepted by :meth:`step` only)."""
        if not isinstance(response, str):
            return ParsedAction(None, False)
        (row, col), valid = project_response(response)
        start = response.find(ACTION_START)
        thought = response[:start].strip() if start > 0 else ""
        return ParsedAction(click_text(row, col) if valid else None, valid, thought)

    def sample_action(self, rng: np.random.Generator) -> str:
        """A random click on the board (for tests and baselines)."""
        row, col = (int(v) for v in rng.integers(1, self.board_size + 1, size=2))
        text = click_text(row, col)
        return f"<action>{text}</action>" if rng.random() < 0.5 else text

    # -- state access for tests, solvers and data generation ------------------------------

    @property
    def board(self) -> MineSweeperBoard:
        if self._board is None:
            raise ResetNeeded("call reset() first")
        return self._board

    def solver_action(self) -> str:
        """The logical solver's next click from the current display, e.g. ``"(2, 3)"``."""
        row, col, _ = choose_click(self.board.shown, self.n_mines)
        return click_text(row, col)

    # -- gymnasium API ----------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Deal the board of ``seed`` and make the opening click (both from the seed).

        ``options={"mine_layout": 0/1 grid, "opening_clicks": [[row, col], ...]}``
        (0-indexed) replays a given game instead, with the reference's opening rule
        (each click is used while the previous one's reveal already wins).
        """
        super().reset(seed=seed)
        if options and "mine_layout" in options:
            return self._replay_opening(options)
        rng = self.np_random
        size = self.board_size
        while True:
            first = int(rng.integers(size)) * size + int(rng.integers(size))
            # The mines: the n smallest of uniform draws, the opening cell excluded.
            order = np.argsort(rng.random(size * size), kind="stable").tolist()
            mines = [cell for cell in order if cell != first][: self.n_mines]
            board = MineSweeperBoard(size, mines)
            board.open_game([first])
            safe_cells = [i for i in range(size * size) if not board.mines[i]]
            opening = first
            for _ in range(MAX_OPENING_CLICKS):
                if not board.is_won:
                    break
                opening = safe_cells[int(rng.integers(len(safe_cells)))]
                board.open_game([opening])
            if not board.is_won:
                break
        return self._start(board, opening)

    def _replay_opening(self, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        board = MineSweeperBoard.from_layout(options["mine_layout"])
        if board.size != self.board_size or board.num_mines != self.n_mines:
            raise ValueError(
                f"mine_layout must be {self.board_size}x{self.board_size} with "
                f"{self.n_mines} mines (this env's configuration)"
            )
        clicks = [int(r) * board.size + int(c) for r, c in options.get("opening_clicks", [])]
        if not clicks or not all(0 <= c < board.size * board.size for c in clicks):
            raise ValueError("opening_clicks must list at least one on-board [row, col]")
        board.open_game(clicks)
        return self._start(board, clicks[-1])

    def _start(self, board: MineSweeperBoard, opening: int) -> tuple[str, dict[str, Any]]:
        size = board.size
        self._board = board
        # A replayed opening may have hit a mine (the reference's quirk): nothing to play.
        self._episode_over = False
        self.opening_click = opening // size + 1, opening % size + 1
        obs = board.render()
        self._initial_observation = obs
        return obs, {WON: False, ACTION_IS_VALID: True, ANCHOR: obs, ACTION: ""}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Reveal one cell (see the module docstring)."""
        board = self._board
        if board is None:
            raise ResetNeeded("call reset() before step()")
        if self._episode_over:
            raise ResetNeeded(
                "the game is over (won or mine hit); call reset(seed=...) to start again "
                "(the same seed deals the same board)"
            )
        click = self._read_click(action)
        if click is None:
            obs = board.render()
            info = {WON: False, ACTION_IS_VALID: False, ANCHOR: obs, ACTION: INVALID_ACTION}
            info["action_is_effective"] = False
            return obs, REWARD_USELESS, False, False, info
        outcome = board.click(*click)
        self._episode_over = outcome.done
        obs = board.render()
        info = {
            WON: outcome.won,
            ACTION_IS_VALID: True,
            ANCHOR: obs,
            ACTION: click_text(*click),
            "action_is_effective": outcome.action_is_effective,
            "status": outcome.status.value,
        }
        return obs, outcome.reward, outcome.done, False, info

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self._board is not None:
            return self._board.render()
        return None

    def _read_click(self, response: Any) -> tuple[int, int] | None:
        if not isinstance(response, str):
            return None
        click, valid = project_response(response)
        if valid:
            return click
        if ACTION_START in response or ACTION_END in response:
            return None
        return parse_bare_click(response)
