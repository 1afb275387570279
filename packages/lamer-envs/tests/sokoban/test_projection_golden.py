"""The paper's response -> actions projection (play phase) against the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lamer_envs.protocol import INVALID_ACTION
from lamer_envs.sokoban.env import SokobanEnv
from lamer_envs.sokoban.parsing import parse_bare_actions, project_response

GOLDEN = Path(__file__).parents[1] / "golden" / "envs"
PLAY = [
    case
    for case in map(json.loads, (GOLDEN / "sokoban_projection.jsonl").open(encoding="utf-8"))
    if case["phase"] == "play"
]


@pytest.mark.parametrize("case", PLAY, ids=[c["case_id"] for c in PLAY])
def test_projection_matches_the_reference(case: dict) -> None:
    actions, valid = project_response(case["response"], case["num_actions_per_turn"])
    assert actions == case["actions"]
    assert valid == bool(case["valid"])


@pytest.mark.parametrize("case", PLAY, ids=[c["case_id"] for c in PLAY])
def test_env_parse_action_reports_canonical_text(case: dict) -> None:
    env = SokobanEnv(num_actions_per_turn=case["num_actions_per_turn"])
    parsed = env.parse_action(case["response"])
    assert parsed.is_valid == bool(case["valid"])
    names = ("still", "up", "down", "left", "right")
    expected = ", ".join(names[a] for a in case["actions"]) if case["valid"] else None
    assert parsed.action == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("up, left", [1, 3]),
        (" Up ,LEFT , down ", [1, 3, 2]),
        ("still", [0]),
        ("up, left, down, right", [1, 3, 2]),
        ("up left", None),
        ("upward", None),
        ("", None),
        ("up,", None),
    ],
)
def test_bare_actions_are_read_strictly(text: str, expected: list[int] | None) -> None:
    assert parse_bare_actions(text, 3) == expected


def test_step_accepts_bare_actions_but_not_untagged_prose() -> None:
    env = SokobanEnv()
    env.reset(seed=1)
    _, _, _, _, info = env.step("up, left")
    assert info["action_is_valid"]
    assert info["action"] in {"up, left", "up"}
    env.reset(seed=1)
    _, reward, _, _, info = env.step("I think I should go up")
    assert not info["action_is_valid"]
    assert info["action"] == INVALID_ACTION
    assert reward == pytest.approx(-0.1)
