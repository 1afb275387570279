"""MineSweeper as in the LaMer paper: game core, projection, logical solver and the env.

``lamer_envs.minesweeper.env.MineSweeperEnv`` is registered as ``lamer/MineSweeper-v0``.
"""

from lamer_envs.minesweeper.board import ClickOutcome, ClickStatus, MineSweeperBoard
from lamer_envs.minesweeper.parsing import project_response
from lamer_envs.minesweeper.solver import Analysis, analyse, choose_click

__all__ = [
    "Analysis",
    "ClickOutcome",
    "ClickStatus",
    "MineSweeperBoard",
    "analyse",
    "choose_click",
    "project_response",
]
