"""Snapshots of the play and reflect prompts for every memory mode, on a toy task.

The files under ``snapshots/`` are the prompts as a model would read them. To update
them after an intended change: ``LAMER_UPDATE_SNAPSHOTS=1 uv run pytest <this file>``,
then review the diff. Snapshots built from the real envs live in the repo-root
``tests/memory_envs/snapshots/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lamer_memory.config import MEMORY_MODES, PromptConfig
from lamer_memory.testing import check_snapshot, play_snapshot, reflect_snapshot
from lamer_memory.trial_memory import TurnRecord

SNAPSHOTS = Path(__file__).parent / "snapshots"

RULES = (
    "You walk on a grid. P is you, F is the flag, # is a wall and _ is floor.\n"
    "Reach the flag to win. Bumping into a wall costs a turn."
)
ACTION_FORMAT = "Write one move: up, down, left or right. Example: <action>left</action>"
START = "# # # # #\n# P _ _ #\n# # # _ #\n# F _ _ #\n# # # # #"


def _grid(row: int, col: int) -> str:
    rows = [list(line.split()) for line in START.replace("P", "_").splitlines()]
    rows[row][col] = "P"
    return "\n".join(" ".join(r) for r in rows)


# Three failed attempts: walking into walls, then partial progress.
ATTEMPTS = [
    [
        TurnRecord("up", _grid(1, 1), -0.1),
        TurnRecord("left", _grid(1, 1), -0.1),
        TurnRecord("down", _grid(1, 1), -0.1),
        TurnRecord("right", _grid(1, 2), -0.1),
        TurnRecord("up", _grid(1, 2), -0.1),
        TurnRecord("up", _grid(1, 2), -0.1),
        TurnRecord("up", _grid(1, 2), -0.1),
    ],
    [
        TurnRecord("right", _grid(1, 2), -0.1),
        TurnRecord("right", _grid(1, 3), -0.1),
        TurnRecord("up", _grid(1, 3), -0.1),
        TurnRecord("up", _grid(1, 3), -0.1),
        TurnRecord("left", _grid(1, 2), -0.1),
        TurnRecord("left", _grid(1, 1), -0.1),
        TurnRecord("left", _grid(1, 1), -0.1),
    ],
    [
        TurnRecord("right", _grid(1, 2), -0.1),
        TurnRecord("right", _grid(1, 3), -0.1),
        TurnRecord("down", _grid(2, 3), -0.1),
        TurnRecord("down", _grid(3, 3), -0.1),
        TurnRecord(None, _grid(3, 3), -0.1),
        TurnRecord("left", _grid(3, 2), -0.1),
        TurnRecord("up", _grid(3, 2), -0.1),
    ],
]
REFLECTIONS = [
    "I bumped into walls. The only opening is to the right: go right twice, then down.",
    "Going right twice was correct, but I then went up into the wall. Next time go "
    "right, right, down, down, then left twice to reach the flag.",
    "",
]

TOY_TRIAL = (START, ATTEMPTS, REFLECTIONS)
TOY_TEXTS = {"rules": RULES, "action_format": ACTION_FORMAT}


@pytest.mark.parametrize("mode", MEMORY_MODES)
def test_play_prompts_match_snapshot(mode):
    text = play_snapshot(*TOY_TRIAL, **TOY_TEXTS, mode=mode, later_turn=5)
    check_snapshot(SNAPSHOTS / f"toy_play_{mode}.txt", text)


def test_prompts_over_a_tight_budget_match_snapshot():
    """What a prompt looks like after older material was dropped to fit 450 tokens."""
    text = play_snapshot(
        *TOY_TRIAL,
        **TOY_TEXTS,
        mode="history_and_reflection",
        later_turn=5,
        config=PromptConfig(max_prompt_tokens=450),
    )
    assert "dropped" in text and ", 0 dropped" not in text.split("attempt 3 | turn 6")[1]
    check_snapshot(SNAPSHOTS / "toy_play_history_and_reflection_450_tokens.txt", text)


def test_reflect_prompts_match_snapshot():
    text = reflect_snapshot(*TOY_TRIAL, **TOY_TEXTS)
    check_snapshot(SNAPSHOTS / "toy_reflect.txt", text)


def test_a_changed_prompt_fails_the_snapshot_check(tmp_path, monkeypatch):
    monkeypatch.delenv("LAMER_UPDATE_SNAPSHOTS", raising=False)
    stored = tmp_path / "s.txt"
    stored.write_text("old prompt", encoding="utf-8")
    with pytest.raises(AssertionError, match="differs from snapshot"):
        check_snapshot(stored, "new prompt")
    with pytest.raises(AssertionError, match="LAMER_UPDATE_SNAPSHOTS=1"):
        check_snapshot(tmp_path / "missing.txt", "x")
