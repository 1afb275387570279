"""Snapshots of the play and reflect prompts built from the real envs.

For each env: a scripted trial of three failed attempts (scripted model responses
stepped in the env, each attempt restarting with the same seed), then the play prompts
of every memory mode at attempts 1 and 3, turn 1 and turn 6, and the reflect prompts
after attempts 1 and 3. Files: ``snapshots/<env>_play_<mode>.txt`` and
``snapshots/<env>_reflect.txt``.

To update after an intended change (in the prompts or in an env's rules or rendering):
``LAMER_UPDATE_SNAPSHOTS=1 uv run pytest tests/memory_envs -q``, then review the diff.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lamer_memory import MEMORY_MODES, TurnRecord, parse_reflection
from lamer_memory.testing import check_snapshot, play_snapshot, reflect_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
LATER_TURN = 5  # turns played before the "later turn" prompt (it is turn 6)


@dataclass(frozen=True)
class Scenario:
    """A scripted trial in one env."""

    module: str
    cls: str
    seed: int
    attempts: list[list[str]]
    """Scripted model responses of each attempt (the attempt stops early when it ends)."""
    reflections: list[str]
    """Scripted reflect-turn responses (parsed with ``parse_reflection``)."""
    kwargs: dict[str, Any] = field(default_factory=dict)


SCENARIOS = {
    "sokoban": Scenario(
        module="lamer_envs.sokoban.env",
        cls="SokobanEnv",
        seed=3,
        attempts=[
            [
                "<action>down, right</action>",
                "The box is above. <action>up</action>",
                "<action>up, left</action>",
                "I am not sure what to do.",
                "<action>down</action>",
                "<action>down, right, up</action>",
                "<action>left</action>",
            ],
            [
                "<action>right</action>",
                "<action>up, up</action>",
                "<action>down, down, down</action>",
                "<action>left, up</action>",
                "<action>left</action>",
                "<action>left</action>",
                "<action>up</action>",
            ],
            [
                "<action>left, left</action>",
                "<action>up</action>",
                "<action>down, down</action>",
                "<action>right, right</action>",
                "<action>up, right</action>",
                "<action>right, down</action>",
                "<action>left</action>",
            ],
        ],
        reflections=[
            "I walked around without pushing anything and wasted a turn with no action. "
            "<remark>I never pushed a box. The box at row 2, column 2 must go up onto the "
            "target at row 1, column 2: walk to row 3, column 2 and push up.</remark>",
            "<remark>I explored the right side again instead of following my plan. Next time "
            "go left once, then up, to push the box at row 2, column 2 onto its target."
            "</remark>",
            "<remark>Still stuck.</remark>",
        ],
    ),
    "minesweeper": Scenario(
        module="lamer_envs.minesweeper.env",
        cls="MineSweeperEnv",
        seed=0,
        attempts=[
            [
                "<action>(1, 1)</action>",
                "<action>(6, 6)</action>",
                "Corners are often safe. <action>(1, 6)</action>",
                "<action>reveal row 3</action>",
                "<action>(6, 1)</action>",
                "<action>(3, 3)</action>",
                "<action>(4, 4)</action>",
            ],
            [
                "<action>(2, 2)</action>",
                "<action>(5, 5)</action>",
                "<action>(2, 5)</action>",
                "<action>(5, 2)</action>",
                "<action>(3, 4)</action>",
                "<action>(4, 3)</action>",
                "<action>(1, 3)</action>",
            ],
            [
                "<action>(1, 2)</action>",
                "<action>(2, 1)</action>",
                "<action>(6, 5)</action>",
                "<action>(5, 6)</action>",
                "<action>(3, 1)</action>",
                "<action>(1, 4)</action>",
                "<action>(4, 6)</action>",
            ],
        ],
        reflections=[
            "<remark>I clicked cells at random. Use the numbers: a 1 next to a single hidden "
            "cell means that cell is a mine, so reveal the other neighbours.</remark>",
            "<remark>I ignored the 2 at the edge of the open area. Mark its two hidden "
            "neighbours as mines and only click cells the numbers prove safe.</remark>",
            "<remark>Too slow.</remark>",
        ],
    ),
}


def _record(scenario: Scenario) -> tuple[Any, str, list[list[TurnRecord]]]:
    """Play the script in the real env; every attempt restarts with the same seed."""
    module = pytest.importorskip(scenario.module)
    env = getattr(module, scenario.cls)(**scenario.kwargs)
    attempts: list[list[TurnRecord]] = []
    initial = None
    for script in scenario.attempts:
        observation, _ = env.reset(seed=scenario.seed)
        assert initial in (None, observation), "reset(seed) must restart the same task"
        initial = observation
        turns = []
        for response in script:
            observation, reward, terminated, truncated, info = env.step(response)
            action = info["action"] if info["action_is_valid"] else None
            turns.append(TurnRecord(action, observation, reward))
            if terminated or truncated or info["won"]:
                break
        attempts.append(turns)
    env.close()
    return env, initial, attempts


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def recorded(request):
    scenario = SCENARIOS[request.param]
    importlib.invalidate_caches()
    env, initial, attempts = _record(scenario)
    reflections = [parse_reflection(r).text for r in scenario.reflections]
    return request.param, env, initial, attempts, reflections


@pytest.mark.parametrize("mode", MEMORY_MODES)
def test_play_prompts_match_snapshot(recorded, mode):
    name, env, initial, attempts, reflections = recorded
    text = play_snapshot(
        initial,
        attempts,
        reflections,
        rules=env.rules,
        action_format=env.action_format,
        mode=mode,
        later_turn=LATER_TURN,
    )
    assert env.rules.strip() in text and initial in text
    check_snapshot(SNAPSHOTS / f"{name}_play_{mode}.txt", text)


def test_reflect_prompts_match_snapshot(recorded):
    name, env, initial, attempts, reflections = recorded
    text = reflect_snapshot(
        initial, attempts, reflections, rules=env.rules, action_format=env.action_format
    )
    assert "<remark></remark>" in text
    check_snapshot(SNAPSHOTS / f"{name}_reflect.txt", text)
