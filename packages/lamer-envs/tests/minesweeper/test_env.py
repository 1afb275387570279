"""MineSweeperEnv: seeded opening, never lost at reset, gymnasium end-of-episode rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gymnasium.error import ResetNeeded

from lamer_envs.minesweeper.board import HIDDEN, MINE_SHOWN
from lamer_envs.minesweeper.env import MineSweeperEnv


def test_opening_click_and_mines_come_from_the_seed() -> None:
    first, second = MineSweeperEnv(), MineSweeperEnv()
    first.reset(seed=11)
    second.reset(seed=99)
    second.reset(seed=11)
    assert first.opening_click == second.opening_click
    assert first.board.mines == second.board.mines
    layouts = {MineSweeperEnv().reset(seed=s)[0] for s in range(20)}
    assert len(layouts) > 15


@pytest.mark.parametrize(("size", "mines"), [(6, 3), (5, 5), (4, 2), (8, 10)])
def test_reset_never_starts_lost_or_won(size: int, mines: int) -> None:
    env = MineSweeperEnv(board_size=size, n_mines=mines)
    for seed in range(300):
        obs, info = env.reset(seed=seed)
        board = env.board
        assert not board.game_over and not board.is_won
        assert MINE_SHOWN not in obs and info["won"] is False
        row, col = env.opening_click
        assert board.shown[(row - 1) * size + col - 1] != HIDDEN
        assert sum(board.mines) == mines


def test_win_terminates_and_further_steps_are_refused() -> None:
    env = MineSweeperEnv()
    env.reset(seed=5)
    size = env.board_size
    safe = [i for i in range(size * size) if not env.board.mines[i]]
    rewards = []
    for cell in safe:
        if env.board.shown[cell] != HIDDEN:
            continue
        _, reward, terminated, truncated, info = env.step(
            f"({cell // size + 1}, {cell % size + 1})"
        )
        rewards.append(reward)
        assert not truncated
        if terminated:
            break
    assert terminated and info["won"] and rewards[-1] == 10.0
    assert all(r in (0.5, 2.0) for r in rewards[:-1])
    with pytest.raises(ResetNeeded):
        env.step("(1, 1)")


def test_mine_terminates_with_the_small_penalty() -> None:
    env = MineSweeperEnv()
    env.reset(seed=8)
    mine = env.board.mines.index(True)
    obs, reward, terminated, truncated, info = env.step(
        f"<action>({mine // 6 + 1}, {mine % 6 + 1})</action>"
    )
    assert (reward, terminated, truncated, info["won"]) == (-0.1, True, False, False)
    assert MINE_SHOWN in obs


def test_revealed_cell_costs_minus_one_and_changes_nothing() -> None:
    env = MineSweeperEnv()
    obs, _ = env.reset(seed=3)
    row, col = env.opening_click
    new_obs, reward, terminated, _, info = env.step(f"({row}, {col})")
    assert (new_obs, reward, terminated) == (obs, -1.0, False)
    assert info["action_is_valid"] and not info["action_is_effective"]


def test_bad_configurations_fail_clearly() -> None:
    with pytest.raises(ValueError, match="n_mines"):
        MineSweeperEnv(board_size=3, n_mines=8)
    with pytest.raises(ValueError, match="board_size"):
        MineSweeperEnv(board_size=1)


GOLDEN = Path(__file__).parents[1] / "golden" / "envs"
CASES = [
    json.loads(line) for line in (GOLDEN / "minesweeper_dynamics.jsonl").open(encoding="utf-8")
]


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_env_replays_the_reference_up_to_the_first_done(case: dict) -> None:
    env = MineSweeperEnv(board_size=case["board_size"], n_mines=case["n_mines"])
    obs, info = env.reset(
        options={"mine_layout": case["mine_layout"], "opening_clicks": case["first_clicks_0idx"]}
    )
    assert obs == case["initial_obs"] and info["won"] is False
    for expected in case["steps"]:
        row, col = expected["click"]
        if row < 0 or col < 0:
            break  # a negative cell cannot be written as an action (it reads as invalid)
        obs, reward, terminated, truncated, info = env.step(f"<action>({row}, {col})</action>")
        assert obs == expected["obs"]
        assert reward == pytest.approx(expected["reward"], abs=1e-9)
        assert (terminated, truncated, info["won"]) == (expected["done"], False, expected["won"])
        assert info["action_is_effective"] == expected["action_is_effective"]
        if terminated:
            with pytest.raises(ResetNeeded):
                env.step("(1, 1)")
            break


def test_replay_options_are_checked() -> None:
    env = MineSweeperEnv()
    with pytest.raises(ValueError, match="mine_layout"):
        env.reset(options={"mine_layout": [[1, 0], [0, 0]], "opening_clicks": [[0, 1]]})
    layout = [[0] * 6 for _ in range(6)]
    layout[0][0] = layout[5][5] = layout[3][3] = 1
    with pytest.raises(ValueError, match="opening_clicks"):
        env.reset(options={"mine_layout": layout, "opening_clicks": [[9, 9]]})
