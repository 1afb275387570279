"""Games in ALFWorld's file format: the PDDL problem, the folder layout, the records.

That the real engine plays these files exactly like the built-in engine is tested in
``test_real_vs_builtin.py`` (needs ALFWorld); these checks need nothing extra.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lamer_envs.alfworld.export import (
    problem_pddl,
    split_folder,
    task_dir_name,
    trajectory_data,
    write_game,
)
from lamer_envs.alfworld.generator import generate_game
from lamer_envs.alfworld.names import mangle_id
from lamer_envs.alfworld.scene import game_from_record
from lamer_envs.alfworld.tasks import TaskType

FAKE_LOGIC = ("(define (domain alfred))", "Your task is to: UNKNOWN GOAL.")


@pytest.mark.parametrize("task_type", list(TaskType), ids=lambda t: t.short_name)
def test_problem_declares_every_entity_and_states_the_scene(task_type: TaskType) -> None:
    game = generate_game(0, (task_type,))
    problem = problem_pddl(game, name="p")
    assert problem.count("(") == problem.count(")")
    scene = game.scene
    assert f"(atLocation agent1 {scene.agent_start_location})" in problem
    for receptacle in scene.receptacles:
        rid = mangle_id(receptacle.id)
        assert f"{rid} - receptacle" in problem
        assert f"(receptacleAtLocation {rid} {receptacle.location})" in problem
        assert (f"(openable {rid})" in problem) == receptacle.openable
    hosts = {r.name: mangle_id(r.id) for r in scene.receptacles}
    for item in scene.items:
        oid = mangle_id(item.id)
        assert f"(inReceptacle {oid} {hosts[item.receptacle]})" in problem
        assert f"(objectType {oid} {item.type}Type)" in problem
        assert (f"(pickupable {oid})" in problem) == item.pickupable
        assert (f"(isCool {oid})" in problem) == item.cool
    for receptacle_type, contained in scene.can_contain.items():
        for object_type in contained:
            assert f"(canContain {receptacle_type}Type {object_type}Type)" in problem
    goal = problem[problem.index("(:goal") :]
    assert f"{game.task.object_target}Type" in goal
    assert f"{game.task.toggle_target or game.task.parent_target}Type" in goal


def test_written_folder_has_alfworlds_layout_and_our_record(tmp_path: Path) -> None:
    game = generate_game(3, (TaskType.PICK_HEAT_THEN_PLACE,), stream="export")
    game_file = write_game(
        game, tmp_path, folder=split_folder("eval_in_distribution"), logic=FAKE_LOGIC
    )
    task_dir = game_file.parent.parent
    assert game_file.parents[2] == tmp_path / "json_2.1.1" / "valid_unseen"
    assert task_dir.name == task_dir_name(game)
    obj, parent = game.task.object_target, game.task.parent_target
    assert task_dir.name == f"pick_heat_then_place_in_recep-{obj}-None-{parent}-" + (
        game.scene.floorplan.removeprefix("FloorPlan")
    )
    data = json.loads(game_file.read_text())
    assert data["grammar"] == f"Your task is to: {game.task.text}."
    assert data["pddl_domain"] == FAKE_LOGIC[0]
    assert data["pddl_problem"] == (game_file.parent / "initial_state.pddl").read_text()
    assert data["solvable"] is True and data["walkthrough"] == list(game.metadata["expert_plan"])
    trajectory = json.loads((game_file.parent / "traj_data.json").read_text())
    assert trajectory == json.loads(json.dumps(trajectory_data(game)))
    assert trajectory["pddl_params"]["parent_target"] == parent
    reread = game_from_record(trajectory["lamer_game"])
    assert (reread.scene, reread.task, reread.game_id) == (game.scene, game.task, game.game_id)


def test_train_splits_write_to_train_and_eval_splits_to_valid_unseen() -> None:
    assert split_folder("train") == split_folder("train_all_types") == "train"
    assert split_folder("eval_out_of_distribution") == "valid_unseen"
