"""The logical solver: certain cells are right, and it plays well."""

from __future__ import annotations

from lamer_envs.minesweeper import analyse
from lamer_envs.minesweeper.env import MineSweeperEnv


def test_certain_cells_are_always_right_along_solver_games() -> None:
    env = MineSweeperEnv()
    checked = 0
    for seed in range(60):
        env.reset(seed=seed)
        terminated = False
        while not terminated:
            result = analyse(env.board.shown, env.n_mines)
            assert all(not env.board.mines[i] for i in result.safe)
            assert all(env.board.mines[i] for i in result.mines)
            assert all(0.0 <= p <= 1.0 for p in result.probability.values())
            checked += len(result.safe) + len(result.mines)
            _, _, terminated, _, _ = env.step(env.solver_action())
    assert checked > 100


def test_solver_wins_most_paper_boards() -> None:
    env = MineSweeperEnv()
    wins = 0
    games = 150
    for seed in range(games):
        env.reset(seed=1000 + seed)
        terminated, info = False, {}
        while not terminated:
            _, _, terminated, _, info = env.step(env.solver_action())
        wins += info["won"]
    # Some boards need a guess; a sound solver still wins the large majority.
    assert wins / games > 0.75


def test_obvious_board_is_solved_by_rules() -> None:
    # 3x3 with one mine: only (3, 1) is hidden, so the "1"s prove it is the mine.
    shown = [".", ".", ".", "1", "1", ".", "?", "1", "."]
    result = analyse(shown, num_mines=1)
    assert result.mines == {6}
