"""The paper's response -> click projection (play phase) against the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lamer_envs.minesweeper.env import MineSweeperEnv
from lamer_envs.minesweeper.parsing import (
    OFF_BOARD,
    parse_bare_click,
    project_response,
    project_response_raw,
)
from lamer_envs.protocol import INVALID_ACTION

GOLDEN = Path(__file__).parents[1] / "golden" / "envs"
PLAY = [
    case
    for case in map(json.loads, (GOLDEN / "minesweeper_projection.jsonl").open(encoding="utf-8"))
    if case["phase"] == "play"
]


@pytest.mark.parametrize("case", PLAY, ids=[c["case_id"] for c in PLAY])
def test_projection_matches_the_reference(case: dict) -> None:
    raw, plan = project_response_raw(case["response"])
    click, valid = project_response(case["response"])
    assert valid == bool(case["valid"])
    assert list(click) == case["parsed_int"]
    assert plan == case["plan"]
    if case["valid"]:
        assert list(raw) == case["parsed_raw"]
    else:
        assert raw is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("(2, 3)", (2, 3)), (" ( 2,3 ) ", (2, 3)), ("2, 3", None), ("(2, 3) and more", None)],
)
def test_bare_clicks_are_read_strictly(text: str, expected: tuple | None) -> None:
    assert parse_bare_click(text) == expected


def test_overlong_numbers_become_an_off_board_click_instead_of_raising() -> None:
    click, valid = project_response("<action>(" + "9" * 6000 + ", 2)</action>")
    assert valid and click == (OFF_BOARD, 2)


def test_env_reads_bare_clicks_and_rejects_prose() -> None:
    env = MineSweeperEnv()
    obs, _ = env.reset(seed=0)
    _, reward, terminated, _, info = env.step("reveal the corner please")
    assert (reward, terminated, info["action_is_valid"]) == (-1.0, False, False)
    assert info["action"] == INVALID_ACTION and info["anchor"] == obs
    _, _, _, _, info = env.step("(7, 7)")
    assert info["action_is_valid"] and info["action"] == "(7, 7)"
    assert info["status"] == "UNEXIST_CELL"
