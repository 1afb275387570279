"""Generated ALFWorld games: a floor-plan layout, objects placed the ALFRED way, a task.

A game is a pure function of ``(seed, task types allowed, floor plans allowed)``:

1. the seed picks a task type and, among the allowed floor plans of a room kind that
   suits it (heat/cool: kitchens; clean: kitchens and bathrooms; look: living rooms and
   bedrooms; pick and pick-two: any room), one floor plan;
2. the floor plan number alone fixes the *layout* (receptacles, their ids and
   locations), so held-out floor plans are layouts training never saw;
3. the seed then picks the task's targets, the other objects and where everything lies
   (each object in a receptacle that accepts its type; target objects never start in a
   receptacle of the destination type), and one of the two goal phrasings;
4. the built-in planner must solve the game within :data:`MAX_EXPERT_STEPS`, else the
   seed's stream draws again.

Quirks kept from ALFRED: target objects that start in a fridge are already cool; only
the task's lamp type is toggleable; lamps are never pickupable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np

from lamer_core.seeding import make_rng
from lamer_envs.alfworld.catalog import (
    CAN_CONTAIN,
    FLOORPLAN_BASE,
    LAMP_STANDS,
    OBJECT_KINDS,
    OPENABLE_RECEPTACLES,
    ROOMS,
)
from lamer_envs.alfworld.planner import solve
from lamer_envs.alfworld.scene import Game, Scene, named_receptacles_and_items
from lamer_envs.alfworld.tasks import GOAL_TEMPLATES, Task, TaskType

#: A generated game's expert plan is at most this long (the paper's env allows 30 steps).
MAX_EXPERT_STEPS = 25

ROOMS_FOR_TASK: dict[TaskType, tuple[str, ...]] = {
    TaskType.PICK_AND_PLACE: ("Kitchen", "LivingRoom", "Bedroom", "Bathroom"),
    TaskType.LOOK_AT_OBJ_IN_LIGHT: ("LivingRoom", "Bedroom"),
    TaskType.PICK_CLEAN_THEN_PLACE: ("Kitchen", "Bathroom"),
    TaskType.PICK_HEAT_THEN_PLACE: ("Kitchen",),
    TaskType.PICK_COOL_THEN_PLACE: ("Kitchen",),
    TaskType.PICK_TWO_OBJ_AND_PLACE: ("Kitchen", "LivingRoom", "Bedroom", "Bathroom"),
}

_APPLIANCE_FOR_TASK = {
    TaskType.PICK_CLEAN_THEN_PLACE: ("SinkBasin", "cleanable"),
    TaskType.PICK_HEAT_THEN_PLACE: ("Microwave", "heatable"),
    TaskType.PICK_COOL_THEN_PLACE: ("Fridge", "coolable"),
}

_LAYOUT_RUN_SEED = 20_240_613  # fixed: a floor plan's layout is the same in every run
_MAX_DRAWS = 64


def room_of_floorplan(floorplan: int) -> str:
    """Room kind of an ALFRED floor-plan number (1-30 kitchens, 201-230 living rooms,
    301-330 bedrooms, 401-430 bathrooms)."""
    for room, base in FLOORPLAN_BASE.items():
        if base + 1 <= floorplan <= base + 30:
            return room
    raise ValueError(
        f"floor plan {floorplan} is not an ALFRED floor plan (1-30, 201-230, 301-330, 401-430)"
    )


def _coordinate(rng: np.random.Generator) -> str:
    return f"{rng.uniform(-3.5, 3.5):+06.2f}"


def _location_name(rng: np.random.Generator) -> str:
    def part(value: int) -> str:
        return f"_minus_{-value}" if value < 0 else str(value)

    x, z = int(rng.integers(-12, 13)), int(rng.integers(-12, 13))
    rotation, horizon = int(rng.integers(4)), int(rng.choice([0, 30, 45, 60]))
    return f"loc_bar_{part(x)}_bar_{part(z)}_bar_{rotation}_bar_{horizon}"


def _receptacle_id(receptacle_type: str, rng: np.random.Generator) -> str:
    coordinates = "|".join(_coordinate(rng) for _ in range(3))
    if receptacle_type == "SinkBasin":
        return f"Sink|{coordinates}|SinkBasin"
    if receptacle_type == "BathtubBasin":
        return f"Bathtub|{coordinates}|BathtubBasin"
    return f"{receptacle_type}|{coordinates}"


@lru_cache(maxsize=256)
def floorplan_layout(floorplan: int) -> tuple[tuple[tuple[str, str, str, bool], ...], str]:
    """The receptacles ``(alfred_id, type, location, openable)`` of a floor plan, and
    the agent's start location. Fixed per floor plan (not per seed)."""
    room = ROOMS[room_of_floorplan(floorplan)]
    rng = make_rng(_LAYOUT_RUN_SEED, "alfworld-floorplan", floorplan)
    counts: dict[str, int] = {}
    for receptacle_type, (low, high) in room.required.items():
        counts[receptacle_type] = int(rng.integers(low, high + 1))
    for receptacle_type, (probability, high) in room.optional.items():
        if rng.random() < probability:
            counts[receptacle_type] = int(rng.integers(1, high + 1))
    used_ids: set[str] = set()
    used_locations: set[str] = set()

    def fresh(make) -> str:
        while True:
            value = make(rng)
            if value not in used_ids and value not in used_locations:
                return value

    receptacles: list[tuple[str, str, str, bool]] = []
    for receptacle_type, count in counts.items():
        previous_location: str | None = None
        for index in range(count):
            # Stacked drawers/cabinets and paired stove burners share a navigation point.
            shares = previous_location is not None and (
                (receptacle_type == "StoveBurner" and index % 2 == 1)
                or (receptacle_type in ("Drawer", "Cabinet") and rng.random() < 0.25)
            )
            location = previous_location if shares else fresh(_location_name)
            used_locations.add(location)
            receptacle_id = fresh(lambda r, t=receptacle_type: _receptacle_id(t, r))
            used_ids.add(receptacle_id)
            receptacles.append(
                (receptacle_id, receptacle_type, location, receptacle_type in OPENABLE_RECEPTACLES)
            )
            previous_location = location
    start = fresh(_location_name)
    return tuple(receptacles), start


def _feasible_tasks(
    task_type: TaskType, room_name: str, receptacle_types: set[str]
) -> list[tuple[str, str | None, str | None]]:
    """(object_target, parent_target, toggle_target) choices that make sense here."""
    room = ROOMS[room_name]
    choices: list[tuple[str, str | None, str | None]] = []
    if task_type is TaskType.LOOK_AT_OBJ_IN_LIGHT:
        for lamp in room.lamps:
            if not receptacle_types & set(LAMP_STANDS[lamp]):
                continue
            for object_type in room.objects:
                if any(object_type in CAN_CONTAIN[r] for r in receptacle_types):
                    choices.append((object_type, None, lamp))
        return choices
    appliance = _APPLIANCE_FOR_TASK.get(task_type)
    if appliance and appliance[0] not in receptacle_types:
        return []
    for object_type, limit in room.objects.items():
        if appliance and not getattr(OBJECT_KINDS[object_type], appliance[1]):
            continue
        if task_type is TaskType.PICK_TWO_OBJ_AND_PLACE and limit < 2:
            continue
        for parent in sorted(receptacle_types):
            if parent == (appliance[0] if appliance else None):
                continue
            if object_type not in CAN_CONTAIN[parent]:
                continue
            # The object must be able to start somewhere other than the destination type.
            if any(object_type in CAN_CONTAIN[r] for r in receptacle_types - {parent}):
                choices.append((object_type, parent, None))
    return choices


def generate_game(
    seed: int,
    task_types: Sequence[TaskType | int | str] = tuple(TaskType),
    floorplans: Sequence[int] | None = None,
    *,
    stream: str = "",
) -> Game:
    """The game of ``seed`` among the allowed task types and floor plans.

    ``stream`` names an independent family of games (splits pass their name, so seed 7
    of the train split and seed 7 of an eval split are different games).
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    types = [TaskType.parse(t) for t in task_types]
    if not types:
        raise ValueError("task_types must not be empty")
    plans = list(floorplans) if floorplans is not None else default_floorplans()
    for plan in plans:
        room_of_floorplan(plan)
    rng = make_rng(int(seed), "alfworld-game", stream)
    for _ in range(_MAX_DRAWS):
        task_type = types[int(rng.integers(len(types)))]
        rooms = ROOMS_FOR_TASK[task_type]
        suitable = [plan for plan in plans if room_of_floorplan(plan) in rooms]
        if not suitable:
            raise ValueError(
                f"no allowed floor plan suits {task_type.alfworld_name} (needs a {' or '.join(rooms)})"
            )
        floorplan = suitable[int(rng.integers(len(suitable)))]
        game = _draw_game(rng, task_type, floorplan)
        if game is not None:
            return replace(
                game,
                game_id=f"gen-{stream or 'any'}-{seed}-{task_type.short_name}-FloorPlan{floorplan}",
            )
    raise RuntimeError(f"seed {seed}: no solvable game in {_MAX_DRAWS} draws (a generator bug)")


def default_floorplans() -> list[int]:
    """All 120 ALFRED floor plans."""
    return [base + n for base in FLOORPLAN_BASE.values() for n in range(1, 31)]


def _draw_game(rng: np.random.Generator, task_type: TaskType, floorplan: int) -> Game | None:
    room_name = room_of_floorplan(floorplan)
    room = ROOMS[room_name]
    layout, start = floorplan_layout(floorplan)
    receptacle_types = {rtype for _, rtype, _, _ in layout}
    choices = _feasible_tasks(task_type, room_name, receptacle_types)
    if not choices:
        return None
    object_target, parent_target, toggle_target = choices[int(rng.integers(len(choices)))]

    # Object types in the scene: the target plus a random selection of the room's others.
    others = [t for t in room.objects if t != object_target]
    low, high = room.object_types_per_scene
    extra = min(len(others), int(rng.integers(low, high + 1)) - 1)
    chosen = [
        object_target,
        *(others[i] for i in sorted(rng.choice(len(others), size=extra, replace=False))),
    ]
    counts = {}
    for object_type in chosen:
        most = room.objects[object_type]
        least = (
            2
            if (object_type == object_target and task_type is TaskType.PICK_TWO_OBJ_AND_PLACE)
            else 1
        )
        counts[object_type] = int(rng.integers(least, max(least, most) + 1))

    raw_items: list[dict] = []
    used_ids = {rid for rid, _, _, _ in layout}
    for object_type, count in counts.items():
        hosts = [
            (rid, rtype)
            for rid, rtype, _, _ in layout
            if object_type in CAN_CONTAIN[rtype]
            and not (object_type == object_target and rtype == parent_target)
        ]
        if not hosts:
            if object_type == object_target:
                return None
            continue
        kind = OBJECT_KINDS[object_type]
        for _ in range(count):
            host_id, host_type = hosts[int(rng.integers(len(hosts)))]
            item_id = _fresh_item_id(object_type, rng, used_ids)
            raw_items.append(
                {
                    "id": item_id,
                    "type": object_type,
                    "receptacle_id": host_id,
                    "receptacle_object": kind.receptacle_object,
                    "cleanable": kind.cleanable,
                    "heatable": kind.heatable,
                    "coolable": kind.coolable,
                    "sliceable": kind.sliceable,
                    # ALFRED chills target objects that start in a fridge.
                    "cool": object_type == object_target and host_type == "Fridge",
                }
            )
    for lamp in room.lamps:
        stands = [rid for rid, rtype, _, _ in layout if rtype in LAMP_STANDS[lamp]]
        is_goal_lamp = lamp == toggle_target
        if not stands or not (is_goal_lamp or rng.random() < 0.5):
            continue
        raw_items.append(
            {
                "id": _fresh_item_id(lamp, rng, used_ids),
                "type": lamp,
                "receptacle_id": stands[int(rng.integers(len(stands)))],
                "pickupable": False,
                "toggleable": is_goal_lamp,
            }
        )

    receptacles, items = named_receptacles_and_items(list(layout), raw_items)
    present_types = {i.type for i in items}
    can_contain = {
        rtype: frozenset(CAN_CONTAIN[rtype] & present_types) for rtype in sorted(receptacle_types)
    }
    scene = Scene.build(
        receptacles,
        items,
        can_contain,
        agent_start_location=start,
        room=room_name,
        floorplan=f"FloorPlan{floorplan}",
    )
    template = GOAL_TEMPLATES[task_type][int(rng.integers(2))]
    task = Task(task_type, object_target, parent_target, toggle_target, template)
    game = Game(scene=scene, task=task)
    expert = solve(game, max_steps=MAX_EXPERT_STEPS)
    if expert is None or len(expert) < 2:
        return None  # unsolvable, too long, or (almost) solved at the start
    return replace(game, metadata={"expert_plan": tuple(expert)})


def _fresh_item_id(object_type: str, rng: np.random.Generator, used: set[str]) -> str:
    while True:
        item_id = f"{object_type}|{_coordinate(rng)}|{_coordinate(rng)}|{_coordinate(rng)}"
        if item_id not in used:
            used.add(item_id)
            return item_id
