"""Generated games: realistic, deterministic, and always solved by the planner."""

from __future__ import annotations

import pytest

from lamer_envs.alfworld.catalog import CAN_CONTAIN, OPENABLE_RECEPTACLES
from lamer_envs.alfworld.generator import (
    MAX_EXPERT_STEPS,
    ROOMS_FOR_TASK,
    floorplan_layout,
    generate_game,
    room_of_floorplan,
)
from lamer_envs.alfworld.planner import plan, solve
from lamer_envs.alfworld.scene import game_from_record, game_to_record
from lamer_envs.alfworld.simulator import Simulator
from lamer_envs.alfworld.splits import EVAL_FLOORPLANS, TRAIN_FLOORPLANS
from lamer_envs.alfworld.tasks import GOAL_TEMPLATES, TaskType


def _check_solvable(task_type: TaskType, count: int) -> None:
    for seed in range(count):
        game = generate_game(seed, [task_type])
        assert game.task.task_type is task_type
        commands = solve(game)
        assert commands is not None, f"seed {seed}: planner failed on {game.task.text!r}"
        assert len(commands) <= MAX_EXPERT_STEPS
        assert tuple(commands) == game.metadata["expert_plan"]


@pytest.mark.parametrize("task_type", list(TaskType), ids=lambda t: t.short_name)
def test_planner_solves_every_generated_task_fast(task_type: TaskType) -> None:
    _check_solvable(task_type, 100)


@pytest.mark.slow
@pytest.mark.parametrize("task_type", list(TaskType), ids=lambda t: t.short_name)
def test_planner_solves_a_thousand_generated_tasks_per_type(task_type: TaskType) -> None:
    _check_solvable(task_type, 1000)


def test_same_seed_same_game_and_seeds_differ() -> None:
    assert generate_game(5) == generate_game(5)
    texts = {Simulator(generate_game(seed)).intro for seed in range(20)}
    assert len(texts) == 20
    assert generate_game(5, stream="a") != generate_game(5, stream="b")


@pytest.mark.parametrize("seed", range(0, 60, 3))
def test_generated_scenes_follow_alfred_rules(seed: int) -> None:
    game = generate_game(seed)
    scene, task = game.scene, game.task
    assert scene.room in ROOMS_FOR_TASK[task.task_type]
    assert task.text in {
        t.format(
            obj=task.object_target.lower(),
            recep=(task.parent_target or "").lower(),
            toggle=(task.toggle_target or "").lower(),
        )
        for t in GOAL_TEMPLATES[task.task_type]
    }
    by_name = {r.name: r for r in scene.receptacles}
    for receptacle in scene.receptacles:
        assert receptacle.openable == (receptacle.type in OPENABLE_RECEPTACLES)
    for item in scene.items:
        host = by_name[item.receptacle]
        if item.type.endswith("Lamp"):
            assert not item.pickupable
            assert item.toggleable == (item.type == task.toggle_target)
            continue
        assert item.type in CAN_CONTAIN[host.type]
        if item.type == task.object_target:
            assert host.type != task.parent_target  # never solved at the start
            assert item.cool == (host.type == "Fridge")  # ALFRED chills fridge targets
    assert game_from_record(game_to_record(game)).scene == scene


def test_floorplan_fixes_the_layout() -> None:
    for plan_number in (1, 7, 215, 330, 404):
        layout, start = floorplan_layout(plan_number)
        types = {receptacle_type for _, receptacle_type, _, _ in layout}
        room = room_of_floorplan(plan_number)
        if room == "Kitchen":
            assert {"Fridge", "Microwave", "SinkBasin", "StoveBurner"} <= types
        if room == "Bathroom":
            assert {"Toilet", "SinkBasin"} <= types
        assert start not in {location for _, _, location, _ in layout}
    with pytest.raises(ValueError):
        room_of_floorplan(31)


def test_games_stay_on_their_floor_plans() -> None:
    for seed in range(30):
        game = generate_game(seed, floorplans=EVAL_FLOORPLANS)
        assert int(game.scene.floorplan.removeprefix("FloorPlan")) in EVAL_FLOORPLANS
    assert not set(TRAIN_FLOORPLANS) & set(EVAL_FLOORPLANS)


def test_generator_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        generate_game(-1)
    with pytest.raises(ValueError):
        generate_game(0, task_types=[])
    with pytest.raises(ValueError):
        generate_game(0, task_types=["heat"], floorplans=[301])  # no kitchen allowed
    with pytest.raises(ValueError):
        generate_game(0, task_types=["teleport"])


def test_planner_replans_from_a_mid_game_state() -> None:
    game = generate_game(8, [TaskType.PICK_TWO_OBJ_AND_PLACE])
    simulator = Simulator(game)
    # Wander and pick up a useless object first, then ask the expert.
    for command in simulator.admissible_commands():
        if command.startswith("go to "):
            simulator.step(command)
            break
    takes = [c for c in simulator.admissible_commands() if c.startswith("take ")]
    if takes:
        simulator.step(takes[0])
    for command in plan(simulator):
        outcome = simulator.step(command)
        assert outcome.valid, command
    assert simulator.won
