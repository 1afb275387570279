"""MineSweeper game core against the reference's recordings (every recorded click)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lamer_envs.minesweeper import ClickStatus, MineSweeperBoard
from lamer_envs.minesweeper.board import HIDDEN

GOLDEN = Path(__file__).parents[1] / "golden" / "envs"
CASES = [
    json.loads(line) for line in (GOLDEN / "minesweeper_dynamics.jsonl").open(encoding="utf-8")
]


def opened_board(case: dict) -> MineSweeperBoard:
    board = MineSweeperBoard.from_layout(case["mine_layout"])
    size = case["board_size"]
    board.open_game([row * size + col for row, col in case["first_clicks_0idx"]])
    return board


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_board_numbers_and_opening_match_the_reference(case: dict) -> None:
    board = opened_board(case)
    size = case["board_size"]
    truth = ["".join(board.true_symbol(r * size + c) for c in range(size)) for r in range(size)]
    assert truth == case["board_true"]
    assert board.render() == case["initial_obs"]
    assert board.game_over == case["game_over_after_reset"]


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_every_recorded_click_matches_the_reference(case: dict) -> None:
    """All clicks, including the reference's clicking-after-done (``stop_at_done: false``)."""
    board = opened_board(case)
    for index, expected in enumerate(case["steps"]):
        outcome = board.click(*expected["click"])
        where = f"{case['case_id']} click {index} {expected['click']}"
        assert board.render() == expected["obs"], where
        assert outcome.reward == pytest.approx(expected["reward"], abs=1e-9), where
        assert outcome.done == expected["done"], where
        assert outcome.won == expected["won"], where
        assert outcome.action_is_effective == expected["action_is_effective"], where
        assert outcome.status == ClickStatus(expected["diag"]["status"]), where
        assert board.game_over == expected["diag"]["game_over"], where
        assert sum(s != HIDDEN for s in board.shown) == expected["diag"]["n_revealed"], where


def test_mine_outside_the_board_is_rejected() -> None:
    with pytest.raises(ValueError, match="outside"):
        MineSweeperBoard(3, [9])
