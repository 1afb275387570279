"""Golden projection cases (recorded from the reference) through lamer-memory + the envs.

Play cases: response -> ``parse_play(response, env.parse_action)`` -> action / validity.
Reflect cases: response -> ``parse_reflection`` with the reference's style for that env
(Sokoban: first tags, MineSweeper: last tags; see the lamer-memory README).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lamer_memory import TrialMemory, parse_play, parse_reflection

# One copy of the projection cases, kept with the envs' golden files (their README).
GOLDEN = Path(__file__).parents[2] / "packages" / "lamer-envs" / "tests" / "golden" / "envs"


def _cases(name: str, phase: str) -> list[dict]:
    with (GOLDEN / name).open(encoding="utf-8") as f:
        cases = [json.loads(line) for line in f if line.strip()]
    return [c for c in cases if c["phase"] == phase]


SOKOBAN_PLAY = _cases("sokoban_projection.jsonl", "play")
SOKOBAN_REFLECT = _cases("sokoban_projection.jsonl", "reflect")
MINESWEEPER_PLAY = _cases("minesweeper_projection.jsonl", "play")
MINESWEEPER_REFLECT = _cases("minesweeper_projection.jsonl", "reflect")


def test_golden_files_hold_the_documented_case_counts():
    assert (len(SOKOBAN_PLAY), len(SOKOBAN_REFLECT)) == (84, 12)
    assert (len(MINESWEEPER_PLAY), len(MINESWEEPER_REFLECT)) == (48, 13)


@pytest.fixture(scope="module")
def sokoban_envs():
    module = pytest.importorskip("lamer_envs.sokoban.env")
    return {n: module.SokobanEnv(num_actions_per_turn=n) for n in (3, 5)}


@pytest.fixture(scope="module")
def minesweeper_env():
    module = pytest.importorskip("lamer_envs.minesweeper.env")
    return module.MineSweeperEnv()


@pytest.mark.parametrize("case", SOKOBAN_PLAY, ids=lambda c: c["case_id"])
def test_sokoban_play_case_through_env_parser(case, sokoban_envs):
    parsing = pytest.importorskip("lamer_envs.sokoban.parsing")
    env = sokoban_envs[case["num_actions_per_turn"]]
    parsed = parse_play(case["response"], env.parse_action)
    assert parsed.is_valid == bool(case["valid"])
    expected = parsing.action_text(case["actions"]) if case["valid"] else None
    assert parsed.action == expected


@pytest.mark.parametrize("case", MINESWEEPER_PLAY, ids=lambda c: c["case_id"])
def test_minesweeper_play_case_through_env_parser(case, minesweeper_env):
    parsed = parse_play(case["response"], minesweeper_env.parse_action)
    assert parsed.is_valid == bool(case["valid"])
    if case["valid"]:
        # The env's canonical text names the cell; its exact punctuation is the env's.
        assert [int(n) for n in re.findall(r"\d+", parsed.action)] == case["parsed_int"]
    else:
        assert parsed.action is None


@pytest.mark.parametrize("case", SOKOBAN_REFLECT, ids=lambda c: c["case_id"])
def test_sokoban_reflect_case(case):
    parsed = parse_reflection(case["response"], style="first_tags")
    assert (parsed.text, parsed.is_valid) == (case["reflection"], bool(case["valid"]))


@pytest.mark.parametrize("case", MINESWEEPER_REFLECT, ids=lambda c: c["case_id"])
def test_minesweeper_reflect_case(case):
    parsed = parse_reflection(case["response"], style="last_tags")
    assert (parsed.text, parsed.is_valid) == (case["reflection"], bool(case["valid"]))


def test_sokoban_play_responses_flow_through_env_step_into_memory(sokoban_envs):
    """Every play response is stepped in a real env and recorded; the memory's turns
    carry the env's canonical action (``None`` when invalid) and its observation."""
    env = sokoban_envs[3]
    observation, _ = env.reset(seed=7)
    memory = TrialMemory(observation)
    for case in SOKOBAN_PLAY[:20]:
        observation, reward, terminated, truncated, info = env.step(case["response"])
        parsed = parse_play(case["response"], env.parse_action)
        assert info["action_is_valid"] == parsed.is_valid
        if parsed.is_valid:
            # A turn may stop early when the episode ends: a prefix of the parsed moves.
            assert parsed.action.startswith(info["action"])
        memory.record_turn(info["action"], observation, reward, valid=info["action_is_valid"])
        assert (memory.current_turns[-1].action is None) == (not parsed.is_valid)
        if terminated or truncated:
            break
    assert memory.current_observation == observation
    assert memory.turn >= 1
