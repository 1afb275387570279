"""Snapshots of the play and reflect prompts built from the real envs.

For each env: a scripted trial of three failed attempts (scripted model responses
stepped in the env, each attempt restarting with the same seed), then the play prompts
of every memory mode at attempts 1 and 3, turn 1 and turn 6 (with the env's list of
available actions where it has one), and the reflect prompts after attempts 1 and 3,
under the paper's prompt budget of each env. Files: ``snapshots/<env>_play_<mode>.txt`` and
``snapshots/<env>_reflect.txt``.

To update after an intended change (in the prompts or in an env's rules or rendering):
``LAMER_UPDATE_SNAPSHOTS=1 uv run pytest tests/memory_envs -q``, then review the diff.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lamer_memory import MEMORY_MODES, PromptConfig, TurnRecord, parse_reflection
from lamer_memory.testing import check_snapshot, play_snapshot, reflect_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
LATER_TURN = 5  # turns played before the "later turn" prompt (it is turn 6)


Respond = Callable[[Any, int, int], str]
"""Scripted model: ``(env, attempt, turn) -> response`` (may read the env's state)."""


@dataclass(frozen=True)
class Scenario:
    """A scripted trial in one env."""

    module: str
    cls: str
    seed: int
    respond: Respond
    """The scripted model; each attempt stops early when the env ends it."""
    reflections: list[str]
    """Scripted reflect-turn responses (parsed with ``parse_reflection``)."""
    available: Callable[[Any], list[str]] | None = None
    """The env's list of actions valid now, for envs whose prompts show it."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    reset_options: dict[str, Any] | None = None
    """Passed to every ``reset`` (a fixed task, independent of the env's generator)."""
    max_prompt_tokens: int = 2048
    """The paper's prompt budget for this env."""


def _scripted(attempts: list[list[str]]) -> Respond:
    return lambda env, attempt, turn: attempts[attempt][turn]


def _webshop_respond(env: Any, attempt: int, turn: int) -> str:
    """Search with a fixed query, then click through pages without buying."""
    queries = ["men's jeans stretch denim indigo", "button closure jeans 32w", "indigo jeans"]
    clicks = [
        a for a in env.available_actions() if a.startswith("click[") and a != "click[buy now]"
    ]
    if turn == 0 or not clicks:
        return f"I should search first. <action>search[{queries[attempt]}]</action>"
    return f"<action>{clicks[(turn + attempt) % len(clicks)]}</action>"


def _alfworld_respond(env: Any, attempt: int, turn: int) -> str:
    """Wander through admissible commands (never solving the task)."""
    commands = env.admissible_actions()
    if turn == 2:
        return "I am lost. <action>fly to the moon</action>"
    return f"<action>{commands[(7 * turn + 3 * attempt) % len(commands)]}</action>"


SCENARIOS = {
    "sokoban": Scenario(
        module="lamer_envs.sokoban.env",
        cls="SokobanEnv",
        seed=3,
        # A fixed room (reference 0..5 grids), so the snapshot does not follow generator changes:
        # 0: # # # # # #
        # 1: # _ O X _ #
        # 2: # _ X _ _ #
        # 3: # _ _ S _ #
        # 4: # # # _ _ #
        # 5: # # # # # #
        reset_options={
            "room_fixed": [
                [0, 0, 0, 0, 0, 0],
                [0, 1, 2, 1, 1, 0],
                [0, 1, 1, 1, 1, 0],
                [0, 1, 1, 2, 1, 0],
                [0, 0, 0, 1, 1, 0],
                [0, 0, 0, 0, 0, 0],
            ],
            "room_state": [
                [0, 0, 0, 0, 0, 0],
                [0, 1, 2, 4, 1, 0],
                [0, 1, 4, 1, 1, 0],
                [0, 1, 1, 5, 1, 0],
                [0, 0, 0, 1, 1, 0],
                [0, 0, 0, 0, 0, 0],
            ],
        },
        respond=_scripted(
            [
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
            ]
        ),
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
        respond=_scripted(
            [
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
            ]
        ),
        reflections=[
            "<remark>I clicked cells at random. Use the numbers: a 1 next to a single hidden "
            "cell means that cell is a mine, so reveal the other neighbours.</remark>",
            "<remark>I ignored the 2 at the edge of the open area. Mark its two hidden "
            "neighbours as mines and only click cells the numbers prove safe.</remark>",
            "<remark>Too slow.</remark>",
        ],
    ),
    "webshop": Scenario(
        module="lamer_envs.webshop.env",
        cls="WebShopEnv",
        seed=0,
        respond=_webshop_respond,
        available=lambda env: env.available_actions(),
        max_prompt_tokens=8192,
        reflections=[
            "<remark>I browsed result pages without opening matching items. Search for "
            "'stretch denim button closure jeans', open the first indigo pair under 80 "
            "dollars, pick size 32w x 32l and colour indigo, then buy.</remark>",
            "<remark>I opened a product but never chose the size and colour. Click the "
            "options first, then buy now.</remark>",
            "<remark>Lost again.</remark>",
        ],
    ),
    "alfworld": Scenario(
        module="lamer_envs.alfworld.env",
        cls="ALFWorldEnv",
        seed=0,
        respond=_alfworld_respond,
        available=lambda env: env.admissible_actions(),
        max_prompt_tokens=4096,
        reflections=[
            "<remark>I wandered between cabinets. The dishsponge is usually near the sink: "
            "go to sinkbasin 1 or countertop 1, take it, clean it with sinkbasin 1, then "
            "move it to drawer 1.</remark>",
            "<remark>I found no sponge on the countertops. Check the sinkbasin and the "
            "cabinets next to it first.</remark>",
            "<remark>No progress.</remark>",
        ],
    ),
}


def _record(scenario: Scenario) -> tuple[Any, str, list[list[TurnRecord]], list[list[list[str]]]]:
    """Play the script in the real env; every attempt restarts with the same seed.

    Returns the env, the initial observation, the turns of each attempt and the actions
    available before each turn (one more entry than turns per attempt).
    """
    module = pytest.importorskip(scenario.module)
    env = getattr(module, scenario.cls)(**scenario.kwargs)
    attempts: list[list[TurnRecord]] = []
    available: list[list[list[str]]] = []
    initial = None
    for attempt in range(3):
        observation, _ = env.reset(seed=scenario.seed, options=scenario.reset_options)
        assert initial in (None, observation), "reset(seed) must restart the same task"
        initial = observation
        turns: list[TurnRecord] = []
        options = [scenario.available(env) if scenario.available else []]
        for turn in range(LATER_TURN + 2):
            response = scenario.respond(env, attempt, turn)
            observation, reward, terminated, truncated, info = env.step(response)
            action = info["action"] if info["action_is_valid"] else None
            turns.append(TurnRecord(action, observation, reward))
            options.append(scenario.available(env) if scenario.available else [])
            if terminated or truncated:
                break
        attempts.append(turns)
        available.append(options)
    return env, initial, attempts, available


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def recorded(request):
    scenario = SCENARIOS[request.param]
    importlib.invalidate_caches()
    env, initial, attempts, available = _record(scenario)
    reflections = [parse_reflection(r).text for r in scenario.reflections]
    config = PromptConfig(max_prompt_tokens=scenario.max_prompt_tokens)
    yield request.param, env, initial, attempts, reflections, available, config, scenario
    env.close()


@pytest.mark.parametrize("mode", MEMORY_MODES)
def test_play_prompts_match_snapshot(recorded, mode):
    name, env, initial, attempts, reflections, available, config, scenario = recorded
    text = play_snapshot(
        initial,
        attempts,
        reflections,
        rules=env.rules,
        action_format=env.action_format,
        mode=mode,
        later_turn=LATER_TURN,
        config=config,
        available_actions=available if scenario.available else None,
    )
    assert env.rules.strip() in text and initial in text
    check_snapshot(SNAPSHOTS / f"{name}_play_{mode}.txt", text)


def test_reflect_prompts_match_snapshot(recorded):
    name, env, initial, attempts, reflections, _, config, _ = recorded
    text = reflect_snapshot(
        initial,
        attempts,
        reflections,
        rules=env.rules,
        action_format=env.action_format,
        config=config,
    )
    assert "<remark></remark>" in text
    check_snapshot(SNAPSHOTS / f"{name}_reflect.txt", text)
