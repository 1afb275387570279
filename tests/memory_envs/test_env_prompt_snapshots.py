"""Snapshots of the play and reflect prompts built from the real envs.

For each env: a scripted trial of three failed attempts (scripted model responses
stepped in the env, each attempt restarting with the same seed), then the play prompts
of every memory mode at attempts 1 and 3, turn 1 and turn 6 (with the env's list of
available actions where it has one), and the reflect prompts after attempts 1 and 3,
under the paper's prompt budget of each env. Files: ``snapshots/<env>_play_<mode>.txt`` and
``snapshots/<env>_reflect.txt``.

The scripted trial is stored as ``snapshots/<env>_transcript.json`` (the env's rules,
action format, observations, rewards and available actions); the prompt snapshots are
built from it, so they check lamer-memory alone. A separate test replays the script
against the live env and checks that every prompt still builds from what it returns.

To update after an intended change (in the prompts, or to pick up an env's new rules or
rendering): ``LAMER_UPDATE_SNAPSHOTS=1 uv run pytest tests/memory_envs -q``, which
re-records the transcripts from the live envs and rewrites the snapshots; then review
the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from lamer_memory import (
    MEMORY_MODES,
    PromptConfig,
    TrialMemory,
    TurnRecord,
    parse_reflection,
    play_messages,
    render_messages,
)
from lamer_memory.testing import (
    UPDATE_SNAPSHOTS_ENV,
    check_snapshot,
    play_snapshot,
    reflect_snapshot,
)

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


@dataclass(frozen=True)
class Transcript:
    """What a scripted trial in a real env produced: everything the prompts are built
    from. Stored as ``snapshots/<env>_transcript.json`` so that the prompt snapshots
    test lamer-memory alone and do not follow every later change of an env."""

    rules: str
    action_format: str
    initial_observation: str
    attempts: list[list[TurnRecord]]
    available: list[list[list[str]]] | None
    """Actions available before each turn (one more entry than turns per attempt)."""
    reflections: list[str]
    max_prompt_tokens: int

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        data = json.loads(text)
        data["attempts"] = [[TurnRecord(**t) for t in turns] for turns in data["attempts"]]
        return cls(**data)


def _record(scenario: Scenario) -> Transcript:
    """Play the script in the real env; every attempt restarts with the same seed."""
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
            turns.append(TurnRecord(action, observation, float(reward)))
            options.append(scenario.available(env) if scenario.available else [])
            if terminated or truncated:
                break
        attempts.append(turns)
        available.append(options)
    env.close()
    return Transcript(
        rules=env.rules,
        action_format=env.action_format,
        initial_observation=initial,
        attempts=attempts,
        available=available if scenario.available else None,
        reflections=[parse_reflection(r).text for r in scenario.reflections],
        max_prompt_tokens=scenario.max_prompt_tokens,
    )


def _play_text(transcript: Transcript, mode: str) -> str:
    return play_snapshot(
        transcript.initial_observation,
        transcript.attempts,
        transcript.reflections,
        rules=transcript.rules,
        action_format=transcript.action_format,
        mode=mode,
        later_turn=LATER_TURN,
        config=PromptConfig(max_prompt_tokens=transcript.max_prompt_tokens),
        available_actions=transcript.available,
    )


def _reflect_text(transcript: Transcript) -> str:
    return reflect_snapshot(
        transcript.initial_observation,
        transcript.attempts,
        transcript.reflections,
        rules=transcript.rules,
        action_format=transcript.action_format,
        config=PromptConfig(max_prompt_tokens=transcript.max_prompt_tokens),
    )


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def transcript(request) -> tuple[str, Transcript]:
    """The stored transcript of an env (re-recorded from the live env when updating)."""
    name = request.param
    path = SNAPSHOTS / f"{name}_transcript.json"
    if os.environ.get(UPDATE_SNAPSHOTS_ENV) == "1":
        recorded = _record(SCENARIOS[name])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(recorded.to_json(), encoding="utf-8")
    if not path.exists():
        pytest.fail(f"{path.name} is missing; run with {UPDATE_SNAPSHOTS_ENV}=1 to record it")
    return name, Transcript.from_json(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("mode", MEMORY_MODES)
def test_play_prompts_match_snapshot(transcript, mode):
    name, recorded = transcript
    text = _play_text(recorded, mode)
    assert recorded.rules.strip() in text and recorded.initial_observation in text
    check_snapshot(SNAPSHOTS / f"{name}_play_{mode}.txt", text)


def test_reflect_prompts_match_snapshot(transcript):
    name, recorded = transcript
    text = _reflect_text(recorded)
    assert "<remark></remark>" in text
    check_snapshot(SNAPSHOTS / f"{name}_reflect.txt", text)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_live_env_trial_builds_every_prompt(name):
    """The same script against the env as it is now: every prompt builds and shows the
    env's own rules, action format and current state."""
    recorded = _record(SCENARIOS[name])
    assert len(recorded.attempts) == 3 and all(recorded.attempts)
    for mode in MEMORY_MODES:
        text = _play_text(recorded, mode)
        assert recorded.rules.strip() in text and recorded.action_format.strip() in text
        assert (
            recorded.attempts[2][min(LATER_TURN, len(recorded.attempts[2])) - 1].observation in text
        )
    assert recorded.attempts[0][-1].observation in _reflect_text(recorded)


@pytest.mark.parametrize("turns_played", [0, LATER_TURN])
def test_first_attempt_prompt_is_the_same_for_every_method(transcript, turns_played):
    """Attempt 1 reads the same for LaMer (any memory mode, 3 attempts) and for the
    single-attempt baselines (mode none, 1 attempt): no retry hint, attempt counter or
    anything else that only LaMer would see. From attempt 2 on, memory adds its part."""
    _, recorded = transcript
    turns = recorded.attempts[0][:turns_played]
    available = None if recorded.available is None else recorded.available[0][len(turns)]
    base = PromptConfig(max_prompt_tokens=recorded.max_prompt_tokens)
    prompts = {}
    for mode in MEMORY_MODES:
        for attempts in (1, 3):
            memory = TrialMemory(recorded.initial_observation)
            for turn in turns:
                memory.record_turn(turn.action, turn.observation, turn.reward)
            prompts[(mode, attempts)] = play_messages(
                memory,
                rules=recorded.rules,
                action_format=recorded.action_format,
                config=replace(base, mode=mode, num_attempts=attempts),
                available_actions=available,
            )
    baseline = prompts[("none", 1)]
    for key, messages in prompts.items():
        assert messages == baseline, f"attempt-1 prompt of {key} differs from the baseline's"
    text = render_messages(baseline)
    assert "Attempt 1 of" not in text and "several attempts" not in text
