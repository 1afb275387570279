"""Primitive Sokoban dynamics, rendering and solver against the reference's recordings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lamer_envs.sokoban import SokobanRoom, bfs_solution, state_from_arrays
from lamer_envs.sokoban.solver import SolutionDistances, shortest_solution_length

GOLDEN = Path(__file__).parents[1] / "golden" / "envs"
CASES = [json.loads(line) for line in (GOLDEN / "sokoban_dynamics.jsonl").open(encoding="utf-8")]


def room_of(case: dict, **overrides) -> SokobanRoom:
    config = case["config"]
    grid, player, boxes = state_from_arrays(case["room_fixed"], case["room_state"])
    return SokobanRoom(
        grid,
        player,
        boxes,
        max_steps=config["max_steps"],
        search_depth=config["search_depth"],
        **overrides,
    )


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_initial_room_renders_and_solves_like_the_reference(case: dict) -> None:
    room = room_of(case)
    assert room.render() == case["initial_obs"]
    assert room.grid.room_fixed().tolist() == case["room_fixed"]
    assert room.grid.room_state(room.player, room.boxes).tolist() == case["room_state"]
    assert room.player_on_target == case["player_on_target"]
    depth = case["config"]["search_depth"]
    assert bfs_solution(room.grid, room.player, room.boxes, depth) == case["bfs_solution"]
    assert shortest_solution_length(room.grid, room.player, room.boxes, depth) == len(
        case["bfs_solution"]
    )


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_every_recorded_step_matches_the_reference(case: dict) -> None:
    """All steps, including the reference's stepping-after-done (``stop_at_done: false``)."""
    room = room_of(case)
    for index, expected in enumerate(case["steps"]):
        outcome = room.step(expected["action"])
        where = f"{case['case_id']} step {index}"
        assert room.render() == expected["obs"], where
        assert outcome.reward == pytest.approx(expected["reward"], abs=1e-9), where
        assert outcome.done == expected["done"], where
        assert outcome.won == expected["info"]["won"], where
        assert outcome.action_is_effective == expected["info"]["action_is_effective"], where
        diag = expected["diag"]
        assert outcome.dead_state == diag["dead_state"], where
        assert outcome.all_boxes_on_target == diag["all_boxes_on_target"], where
        assert room.num_env_steps == diag["num_env_steps"], where
        assert room.boxes_on_target == diag["boxes_on_target"], where
        assert room.grid.room_state(room.player, room.boxes).tolist() == diag["room_state"]


DEAD_CASES = [c for c in CASES if any(s["diag"]["dead_state"] for s in c["steps"])]


@pytest.mark.parametrize("case", DEAD_CASES, ids=[c["case_id"] for c in DEAD_CASES])
def test_bfs_dead_check_gives_the_same_decisions_as_the_table(case: dict) -> None:
    """The per-step BFS fallback (big rooms) and the distance table agree."""
    with_table, with_bfs = room_of(case), room_of(case)
    with_bfs.__class__ = _NoTableRoom
    for expected in case["steps"]:
        assert with_table.step(expected["action"]) == with_bfs.step(expected["action"])


class _NoTableRoom(SokobanRoom):
    __slots__ = ()

    @property
    def distances(self):  # the fallback path of rooms too big for a table
        return None


def test_distance_table_agrees_with_bfs_on_every_reachable_state() -> None:
    case = CASES[0]
    room = room_of(case)
    table = SolutionDistances(room.grid, room.num_boxes)
    rng = np.random.default_rng(0)
    for _ in range(200):
        room.step(int(rng.integers(1, 5)))
        expected = shortest_solution_length(room.grid, room.player, room.boxes, 1000)
        got = table.distance(room.player, room.boxes)
        assert (got or 0) == expected


def test_small_search_depth_counts_long_solutions_as_dead() -> None:
    case = next(c for c in CASES if len(c["bfs_solution"]) >= 10)
    length = len(case["bfs_solution"])
    short = room_of(case, distances=None)
    short.search_depth = length - 1
    assert short.is_dead()
    short.search_depth = length
    assert not short.is_dead()


def test_unknown_primitive_action_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"0\.\.4"):
        room_of(CASES[0]).step(7)
