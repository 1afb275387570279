"""Write games in ALFWorld's own file format, to play them on the real ALFWorld engine.

ALFWorld's data holds one folder per game::

    json_2.1.1/<split folder>/<task dir>/<trial>/
        initial_state.pddl   the PDDL problem (scene + goal), ALFRED's format
        traj_data.json       task type and targets (ALFWorld filters games by them)
        game.tw-pddl         JSON: PDDL domain + problem + text grammar, "solvable", walkthrough

The task dir is ALFRED's ``<task type>-<object>-<movable receptacle>-<destination>-<floor
plan>`` (``pick_cool_then_place_in_recep-Apple-None-CounterTop-17``); the split folder is
``train`` for our train splits and ``valid_unseen`` for the eval splits, as the real
backend reads them. The PDDL domain and the text grammar are ALFWorld's own, read from
the installed ``alfworld`` package (``lamer-envs[alfworld]``), the grammar with the task
sentence filled in, as ALFWorld's ``alfworld-generate`` does. Writing the problem needs
nothing but this package.

``traj_data.json`` also carries our own record of the game (key ``lamer_game``,
:func:`~.scene.game_to_record`), so the same folder loads into the built-in engine.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from lamer_envs.alfworld.names import mangle_id
from lamer_envs.alfworld.scene import Game, game_to_record
from lamer_envs.alfworld.tasks import TaskType

DATA_FOLDER = "json_2.1.1"
GAME_FILE = "game.tw-pddl"
TRAJECTORY_FILE = "traj_data.json"
PROBLEM_FILE = "initial_state.pddl"
RECORD_KEY = "lamer_game"
"""Key of our game record inside ``traj_data.json``."""

# Types the ALFRED domain names as constants (appliances of clean/heat/cool, knives of
# slice): the problem must declare them even when the scene has none.
_DOMAIN_RECEPTACLE_TYPES = ("Fridge", "Microwave", "SinkBasin")
_DOMAIN_OBJECT_TYPES = ("ButterKnife", "Knife")

# The goal of each task type, as the ALFRED goal library states it: an object of the
# target type (with the treatment's flag) inside a receptacle of the destination type;
# two distinct ones for pick-two; for look: holding the object where a toggled lamp of
# the lamp type stands.
_PLACE_GOAL = """(:goal
    (exists (?r - receptacle ?o - object)
        (and
            (receptacleType ?r {recep}Type)
            (objectType ?o {obj}Type)
            (inReceptacle ?o ?r){flag}
        )
    )
)"""
_TWO_GOAL = """(:goal
    (exists (?r - receptacle ?o1 - object ?o2 - object)
        (and
            (receptacleType ?r {recep}Type)
            (objectType ?o1 {obj}Type)
            (objectType ?o2 {obj}Type)
            (not (= ?o1 ?o2))
            (inReceptacle ?o1 ?r)
            (inReceptacle ?o2 ?r)
        )
    )
)"""
_LOOK_GOAL = """(:goal
    (and
        (exists (?t - object ?r - receptacle ?a - agent ?l - location)
            (and
                (objectType ?t {toggle}Type)
                (toggleable ?t)
                (isToggled ?t)
                (inReceptacle ?t ?r)
                (receptacleAtLocation ?r ?l)
                (atLocation ?a ?l)
            )
        )
        (exists (?o - object ?a - agent)
            (and
                (objectType ?o {obj}Type)
                (holds ?a ?o)
            )
        )
    )
)"""
_FLAG_OF = {
    TaskType.PICK_CLEAN_THEN_PLACE: ("cleanable", "isClean"),
    TaskType.PICK_HEAT_THEN_PLACE: ("heatable", "isHot"),
    TaskType.PICK_COOL_THEN_PLACE: ("coolable", "isCool"),
}


def goal_pddl(game: Game) -> str:
    """The ``(:goal ...)`` section of the game's task."""
    task = game.task
    if task.task_type is TaskType.LOOK_AT_OBJ_IN_LIGHT:
        return _LOOK_GOAL.format(obj=task.object_target, toggle=task.toggle_target)
    if task.task_type is TaskType.PICK_TWO_OBJ_AND_PLACE:
        return _TWO_GOAL.format(obj=task.object_target, recep=task.parent_target)
    flag = ""
    if task.task_type in _FLAG_OF:
        able, state = _FLAG_OF[task.task_type]
        flag = f"\n            ({able} ?o)\n            ({state} ?o)"
    return _PLACE_GOAL.format(obj=task.object_target, recep=task.parent_target, flag=flag)


def problem_pddl(game: Game, name: str = "lamer") -> str:
    """The game's PDDL problem (objects, initial facts, goal) for ALFRED's domain."""
    scene, task = game.scene, game.task
    receptacles = {r.name: r for r in scene.receptacles}
    receptacle_types = sorted(
        {r.type for r in scene.receptacles}
        | set(scene.can_contain)
        | set(_DOMAIN_RECEPTACLE_TYPES)
        | ({task.parent_target} if task.parent_target else set())
    )
    object_types = sorted(
        {i.type for i in scene.items}
        | {t for types in scene.can_contain.values() for t in types}
        | set(_DOMAIN_OBJECT_TYPES)
        | {task.object_target}
        | ({task.toggle_target} if task.toggle_target else set())
    )
    locations = sorted({r.location for r in scene.receptacles} | {scene.agent_start_location})
    objects = ["agent1 - agent"]
    objects += [f"{mangle_id(r.id)} - receptacle" for r in scene.receptacles]
    objects += [f"{mangle_id(i.id)} - object" for i in scene.items]
    objects += [f"{location} - location" for location in locations]
    objects += [f"{t}Type - rtype" for t in receptacle_types]
    objects += [f"{t}Type - otype" for t in object_types]

    facts = [f"(atLocation agent1 {scene.agent_start_location})"]
    for receptacle in scene.receptacles:
        rid = mangle_id(receptacle.id)
        facts.append(f"(receptacleType {rid} {receptacle.type}Type)")
        facts.append(f"(receptacleAtLocation {rid} {receptacle.location})")
        if receptacle.openable:
            facts.append(f"(openable {rid})")
    for receptacle_type, contained in sorted(scene.can_contain.items()):
        facts += [f"(canContain {receptacle_type}Type {t}Type)" for t in sorted(contained)]
    for item in scene.items:
        oid = mangle_id(item.id)
        host = receptacles[item.receptacle]
        facts.append(f"(objectType {oid} {item.type}Type)")
        facts.append(f"(inReceptacle {oid} {mangle_id(host.id)})")
        facts.append(f"(objectAtLocation {oid} {host.location})")
        flags = {
            "pickupable": item.pickupable,
            "isReceptacleObject": item.receptacle_object,
            "cleanable": item.cleanable,
            "heatable": item.heatable,
            "coolable": item.coolable,
            "sliceable": item.sliceable,
            "toggleable": item.toggleable,
            "isHot": item.hot,
            "isCool": item.cool,
            "isClean": item.clean,
            "isSliced": item.sliced,
            "isToggled": item.toggled,
        }
        facts += [f"({predicate} {oid})" for predicate, on in flags.items() if on]

    def block(lines: list[str]) -> str:
        return "\n".join(f"        {line}" for line in lines)

    return (
        f"(define (problem {name})\n"
        "    (:domain alfred)\n"
        f"    (:objects\n{block(objects)}\n    )\n"
        f"    (:init\n{block(facts)}\n    )\n"
        + "\n".join(f"    {line}" for line in goal_pddl(game).splitlines())
        + "\n)\n"
    )


def task_dir_name(game: Game) -> str:
    """ALFRED's task folder name, e.g. ``pick_heat_then_place_in_recep-Cup-None-Fridge-2``."""
    task = game.task
    destination = task.toggle_target or task.parent_target
    floorplan = game.scene.floorplan.removeprefix("FloorPlan") or "0"
    return f"{task.task_type.alfworld_name}-{task.object_target}-None-{destination}-{floorplan}"


def trajectory_data(game: Game) -> dict[str, Any]:
    """``traj_data.json``: the fields ALFWorld's loaders read, and our game record."""
    task = game.task
    floorplan = game.scene.floorplan
    return {
        "task_type": task.task_type.alfworld_name,
        "pddl_params": {
            "object_target": task.object_target,
            "parent_target": task.parent_target or "",
            "toggle_target": task.toggle_target or "",
            "mrecep_target": "",
            "object_sliced": False,
        },
        "scene": {
            "floor_plan": floorplan,
            "scene_num": int(floorplan.removeprefix("FloorPlan") or 0),
        },
        "turk_annotations": {"anns": [{"task_desc": task.text}]},
        RECORD_KEY: game_to_record(game),
    }


def alfworld_logic() -> tuple[str, str]:
    """ALFWorld's PDDL domain and text grammar, from the installed ``alfworld`` package."""
    try:
        data = resources.files("alfworld") / "data"
        return (data / "alfred.pddl").read_text(), (data / "alfred.twl2").read_text()
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise ImportError(
            "exporting games needs ALFWorld's domain and grammar from the alfworld package: "
            f"pip install 'lamer-envs[alfworld]' ({error})"
        ) from error


def game_file_data(
    game: Game, logic: tuple[str, str] | None = None, name: str = "lamer"
) -> dict[str, Any]:
    """The content of ``game.tw-pddl``. ``solvable`` is true and ``walkthrough`` is the
    built-in expert's plan when the game carries one (generated games do)."""
    domain, grammar = logic if logic is not None else alfworld_logic()
    walkthrough = game.metadata.get("expert_plan")
    return {
        "pddl_domain": domain,
        # ALFWorld's grammar says "Your task is to: UNKNOWN GOAL."; generation fills it in.
        "grammar": grammar.replace("UNKNOWN GOAL", game.task.text),
        "pddl_problem": problem_pddl(game, name=name),
        "solvable": True,
        "walkthrough": list(walkthrough) if walkthrough is not None else None,
    }


def split_folder(split_name: str) -> str:
    """The data folder a split reads: ``train`` for train splits, else ``valid_unseen``."""
    return "train" if split_name.startswith("train") else "valid_unseen"


def write_game(
    game: Game,
    data_path: str | os.PathLike[str],
    folder: str = "train",
    trial: str | None = None,
    logic: tuple[str, str] | None = None,
) -> Path:
    """Write one game under ``data_path/json_2.1.1/folder/<task dir>/<trial>/``; returns
    the path of its ``game.tw-pddl``. ``trial`` defaults to a name made from the game id."""
    trial = trial or "trial_" + "".join(c if c.isalnum() else "_" for c in game.game_id)
    target = Path(data_path) / DATA_FOLDER / folder / task_dir_name(game) / trial
    target.mkdir(parents=True, exist_ok=True)
    problem_name = "".join(c if c.isalnum() or c == "_" else "_" for c in trial)
    data = game_file_data(game, logic, name=problem_name)
    (target / PROBLEM_FILE).write_text(data["pddl_problem"])
    (target / TRAJECTORY_FILE).write_text(json.dumps(trajectory_data(game), indent=1))
    game_file = target / GAME_FILE
    game_file.write_text(json.dumps(data))
    return game_file


__all__ = [
    "DATA_FOLDER",
    "GAME_FILE",
    "RECORD_KEY",
    "alfworld_logic",
    "game_file_data",
    "goal_pddl",
    "problem_pddl",
    "split_folder",
    "task_dir_name",
    "trajectory_data",
    "write_game",
]
