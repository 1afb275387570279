"""Multi-action turns: the reference worker (golden) and our deliberate differences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gymnasium.error import ResetNeeded

from lamer_envs.sokoban import SokobanRoom, project_response, state_from_arrays
from lamer_envs.sokoban.env import SokobanEnv

GOLDEN = Path(__file__).parents[1] / "golden" / "envs"
CASES = [json.loads(line) for line in (GOLDEN / "sokoban_turns.jsonl").open(encoding="utf-8")]
IDS = [c["case_id"] for c in CASES]


def env_of(config: dict, **more) -> SokobanEnv:
    """A Sokoban env with a golden case's ``config`` (``more``: further kwargs)."""
    return SokobanEnv(
        dim_room=tuple(config["dim_room"]),
        num_boxes=config["num_boxes"],
        max_steps=config["max_steps"],
        search_depth=config["search_depth"],
        **more,
    )


def env_at(case: dict) -> SokobanEnv:
    env = env_of(case["config"], num_actions_per_turn=case["num_actions_per_turn"])
    obs, _ = env.reset(options={"room_fixed": case["room_fixed"], "room_state": case["room_state"]})
    assert obs == case["initial_obs"]
    return env


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reference_worker_semantics_are_reproduced_by_the_primitive_room(case: dict) -> None:
    """The reference steps every action and reports the last one (kept for comparison)."""
    config = case["config"]
    grid, player, boxes = state_from_arrays(case["room_fixed"], case["room_state"])
    room = SokobanRoom(
        grid, player, boxes, max_steps=config["max_steps"], search_depth=config["search_depth"]
    )
    for turn in case["turns"]:
        actions, valid = project_response(turn["response"], case["num_actions_per_turn"])
        assert (actions, valid) == (turn["parsed_actions"], bool(turn["valid"]))
        outcomes = [room.step(a) for a in actions]
        for outcome, sub in zip(outcomes, turn["sub_steps"], strict=True):
            assert outcome.reward == pytest.approx(sub["reward"], abs=1e-9)
            assert (outcome.done, outcome.won) == (sub["done"], sub["won"])
        assert room.render() == turn["obs"]
        assert outcomes[-1].reward == pytest.approx(turn["reward"], abs=1e-9)
        assert outcomes[-1].done == turn["done"]
        assert any(o.won for o in outcomes) == turn["info"]["won"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_env_turn_stops_at_first_done_and_sums_rewards(case: dict) -> None:
    env = env_at(case)
    for turn in case["turns"]:
        subs = turn["sub_steps"]
        first_done = next((i for i, s in enumerate(subs) if s["done"]), len(subs) - 1)
        executed = subs[: first_done + 1]
        obs, reward, terminated, truncated, info = env.step(turn["response"])
        assert reward == pytest.approx(sum(s["reward"] for s in executed), abs=1e-9)
        assert (terminated or truncated) == executed[-1]["done"]
        assert info["won"] == executed[-1]["won"]
        assert info["action_is_valid"] == bool(turn["valid"])
        if terminated or truncated:
            break
        assert obs == turn["obs"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_restart_with_same_room_gives_the_initial_observation(case: dict) -> None:
    env = env_at(case)
    env.step(case["turns"][0]["response"])
    obs, info = env.reset(
        options={"room_fixed": case["room_fixed"], "room_state": case["room_state"]}
    )
    assert obs == case["restart_obs"]
    assert info["won"] is False


def test_winning_mid_turn_keeps_the_box_reward_and_stops() -> None:
    env = SokobanEnv()
    env.reset(seed=3)
    moves = env.solution()
    rewards = []
    while moves:
        turn, moves = moves[:3], moves[3:]
        _, reward, terminated, truncated, info = env.step(", ".join([*turn, "up"][:3]))
        rewards.append(reward)
    assert terminated and not truncated and info["won"]
    # The winning turn's reward includes +10 and the +1 of the last box.
    assert rewards[-1] >= 10.9 - 0.3 - 1e-9
    assert sum(rewards) == pytest.approx(2 * 1.0 + 10.0 - 0.1 * env.room.num_env_steps)
    with pytest.raises(ResetNeeded, match="reset"):
        env.step("up")


CORRIDOR = {
    # Row 2 is a corridor: player, floor, box, target. "up" bumps into a wall.
    "room_fixed": [[0] * 6, [0] * 6, [0, 1, 1, 1, 2, 0], [0] * 6, [0] * 6, [0] * 6],
    "room_state": [[0] * 6, [0] * 6, [0, 5, 1, 4, 2, 0], [0] * 6, [0] * 6, [0] * 6],
}


def test_max_steps_is_reported_as_truncation_not_termination() -> None:
    env = SokobanEnv(max_steps=4)
    env.reset(options=CORRIDOR)
    assert env.step("up, up, up")[2:4] == (False, False)
    _, reward, terminated, truncated, info = env.step("up, up, up")
    assert (terminated, truncated) == (False, True)
    assert reward == pytest.approx(-0.1)  # only the 4th move ran
    assert info["action"] == "up"
    assert not info["won"]


def test_dead_state_terminates_the_episode() -> None:
    env = SokobanEnv()
    # Box at (2, 2), player at (2, 3), target at (3, 1).
    fixed = [[0] * 6, [0, 1, 1, 1, 0, 0], [0, 1, 1, 1, 0, 0], [0, 2, 1, 1, 0, 0], [0] * 6, [0] * 6]
    state = [[0] * 6, [0, 1, 1, 1, 0, 0], [0, 1, 4, 5, 0, 0], [0, 2, 1, 1, 0, 0], [0] * 6, [0] * 6]
    env.reset(options={"room_fixed": fixed, "room_state": state})
    # down, left, then up pushes the box against the top wall: it can never reach row 3.
    _, reward, terminated, truncated, info = env.step("down, left, up")
    assert terminated and not truncated
    assert info["dead_state"] and not info["won"]
    assert reward == pytest.approx(-0.3)


def test_corridor_solution_wins() -> None:
    env = SokobanEnv()
    _, info = env.reset(options=CORRIDOR)
    assert info["solution_length"] == 2
    _, reward, terminated, truncated, info = env.step("right, right, right")
    assert terminated and not truncated and info["won"] and info["action"] == "right, right"
    assert reward == pytest.approx(-0.1 + 10.9)


def test_still_is_valid_and_costs_a_no_op() -> None:
    env = SokobanEnv()
    obs, _ = env.reset(seed=2)
    new_obs, reward, terminated, truncated, info = env.step("<action>still</action>")
    assert new_obs == obs
    assert not terminated and not truncated
    assert info["action_is_valid"] and info["action"] == "still"
    assert reward == pytest.approx(-0.1)
    assert env.room.num_env_steps == 0


DYNAMICS = [json.loads(line) for line in (GOLDEN / "sokoban_dynamics.jsonl").open(encoding="utf-8")]
NAMES = ("still", "up", "down", "left", "right")


@pytest.mark.parametrize("case", DYNAMICS, ids=[c["case_id"] for c in DYNAMICS])
def test_env_replays_single_moves_up_to_the_first_done(case: dict) -> None:
    env = env_of(case["config"])
    obs, _ = env.reset(options={"room_fixed": case["room_fixed"], "room_state": case["room_state"]})
    assert obs == case["initial_obs"]
    for expected in case["steps"]:
        obs, reward, terminated, truncated, info = env.step(NAMES[expected["action"]])
        diag = expected["diag"]
        assert obs == expected["obs"]
        assert reward == pytest.approx(expected["reward"], abs=1e-9)
        assert terminated == (diag["all_boxes_on_target"] or diag["dead_state"])
        assert truncated == (expected["done"] and not terminated)
        assert info["won"] == expected["info"]["won"]
        assert info["dead_state"] == diag["dead_state"]
        if expected["done"]:
            break
