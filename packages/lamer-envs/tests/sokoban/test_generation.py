"""Generated rooms follow the reference's task distribution."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lamer_envs.sokoban import bfs_solution, generate_task, state_from_arrays
from lamer_envs.sokoban.env import SokobanEnv
from lamer_envs.sokoban.generator import GenerationError, generate_room

GOLDEN = Path(__file__).parents[1] / "golden" / "envs"
STATS = json.loads((GOLDEN / "sokoban_generation_stats.json").read_text(encoding="utf-8"))
ROOMS = [
    json.loads(line) for line in (GOLDEN / "sokoban_generation_rooms.jsonl").open(encoding="utf-8")
]
NUM_SEEDS = 1000


@pytest.fixture(scope="module")
def generated() -> list:
    env = SokobanEnv()
    rooms = []
    for seed in range(NUM_SEEDS):
        env.reset(seed=seed)
        rooms.append(env._task)
    return rooms


def test_solution_length_histogram_is_close_to_the_reference(generated: list) -> None:
    reference = {
        int(k): v / STATS["n_rooms"] for k, v in STATS["shortest_solution_len_histogram"].items()
    }
    ours = Counter(room.solution_length for room in generated)
    lengths = set(reference) | set(ours)
    total_variation = 0.5 * sum(abs(ours[k] / NUM_SEEDS - reference.get(k, 0.0)) for k in lengths)
    assert total_variation < 0.1, sorted(ours.items())
    assert min(ours) >= 5 and max(ours) <= 21
    mean = sum(k * v for k, v in ours.items()) / NUM_SEEDS
    assert abs(mean - STATS["shortest_solution_len_mean"]) < 0.6


def test_room_shape_statistics_are_close_to_the_reference(generated: list) -> None:
    walls = np.mean([room.grid.walls.bit_count() for room in generated])
    assert abs(walls - STATS["mean_wall_count"]) < 0.6
    on_target = np.mean([bool(room.grid.targets >> room.player & 1) for room in generated])
    assert abs(on_target - STATS["fraction_player_on_target_at_start"]) < 0.05
    attempts = Counter(room.attempts for room in generated)
    assert abs(attempts[1] / NUM_SEEDS - STATS["gen_attempts_histogram"]["1"] / 500) < 0.08


def test_generated_rooms_start_without_boxes_on_targets(generated: list) -> None:
    for room in generated[:200]:
        assert room.boxes.bit_count() == 2 == room.grid.num_targets
        assert not room.boxes & room.grid.targets


@pytest.mark.parametrize("room", ROOMS[:120], ids=[f"seed{r['seed']}" for r in ROOMS[:120]])
def test_solver_reproduces_the_reference_solution_of_its_rooms(room: dict) -> None:
    grid, player, boxes = state_from_arrays(room["room_fixed"], room["room_state"])
    assert grid.render_text(player, boxes) == room["initial_obs"]
    assert bfs_solution(grid, player, boxes, 100) == room["bfs_solution"]


def test_same_rng_seed_gives_the_same_room_and_other_seeds_differ() -> None:
    first = generate_task(np.random.default_rng(42))
    second = generate_task(np.random.default_rng(42))
    third = generate_task(np.random.default_rng(43))
    assert (first.grid.walls, first.grid.targets, first.player, first.boxes) == (
        second.grid.walls,
        second.grid.targets,
        second.player,
        second.boxes,
    )
    assert (first.grid.walls, first.player, first.boxes) != (
        third.grid.walls,
        third.player,
        third.boxes,
    )


@pytest.mark.parametrize(("dim_room", "num_boxes"), [((7, 7), 2), ((6, 6), 3), ((8, 8), 3)])
def test_harder_variants_generate_solvable_rooms(dim_room: tuple, num_boxes: int) -> None:
    env = SokobanEnv(dim_room=dim_room, num_boxes=num_boxes, max_steps=60)
    for seed in range(3):
        obs, info = env.reset(seed=seed)
        assert len(obs.splitlines()) == dim_room[0]
        assert env.room.num_boxes == num_boxes
        assert 5 <= info["solution_length"] <= 21 or env._task.attempts == 10


def test_impossible_room_request_fails_clearly() -> None:
    with pytest.raises(GenerationError):
        generate_room(np.random.default_rng(0), (4, 4), num_boxes=3)
    with pytest.raises(ValueError, match="num_boxes"):
        SokobanEnv(dim_room=(4, 4), num_boxes=5)
