"""A household scene as plain data: receptacles at locations, objects in receptacles.

This is the same information an ALFWorld game file carries (its PDDL problem), in a
form that is easy to generate, store as JSON and read back. A :class:`Game` is a scene
plus the :class:`~lamer_envs.alfworld.tasks.Task` to solve in it.

Receptacles and objects are kept in the engine's listing order (ascending lowercased
PDDL id, see :mod:`lamer_envs.alfworld.names`), so feedback texts can list them in
tuple order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lamer_envs.alfworld.names import display_names, mangle_id, sort_key
from lamer_envs.alfworld.tasks import Task, TaskType


@dataclass(frozen=True, slots=True)
class Receptacle:
    """A fixed piece of furniture or appliance (``fridge 1``, ``countertop 2``)."""

    id: str
    """ALFRED id, e.g. ``Fridge|+01.01|+00.23|+01.92``."""
    name: str
    """Display name, e.g. ``fridge 1``."""
    type: str
    """ALFRED type, e.g. ``Fridge``."""
    location: str
    """Navigation point; receptacles sharing one are reached together."""
    openable: bool


@dataclass(frozen=True, slots=True)
class Item:
    """A small object lying in a receptacle at the start (``apple 1``, ``desklamp 1``)."""

    id: str
    name: str
    type: str
    receptacle: str
    """Display name of the receptacle holding it at the start."""
    pickupable: bool = True
    receptacle_object: bool = False
    """Bowl, cup, mug, pan, plate, pot, box: examining it reads 'This is a normal X...'."""
    cleanable: bool = False
    heatable: bool = False
    coolable: bool = False
    sliceable: bool = False
    toggleable: bool = False
    hot: bool = False
    cool: bool = False
    clean: bool = False
    sliced: bool = False
    toggled: bool = False


@dataclass(frozen=True, slots=True)
class Scene:
    """Receptacles, objects, what fits where, and where the agent starts."""

    receptacles: tuple[Receptacle, ...]
    items: tuple[Item, ...]
    can_contain: Mapping[str, frozenset[str]]
    """Receptacle type -> object types it accepts (``move`` checks this)."""
    agent_start_location: str = "start"
    room: str = ""
    """Room kind: Kitchen, LivingRoom, Bedroom or Bathroom."""
    floorplan: str = ""
    """ALFRED floor plan, e.g. ``FloorPlan17`` (the scene split uses its number)."""

    def __post_init__(self) -> None:
        names = [r.name for r in self.receptacles] + [i.name for i in self.items]
        if len(set(names)) != len(names):
            raise ValueError("Scene: display names must be unique")
        receptacle_names = {r.name for r in self.receptacles}
        for item in self.items:
            if item.receptacle not in receptacle_names:
                raise ValueError(
                    f"Scene: {item.name} lies in unknown receptacle {item.receptacle!r}"
                )
        if any(r.location == self.agent_start_location for r in self.receptacles):
            raise ValueError("Scene: the agent must start at a location with no receptacle")
        for sequence in (self.receptacles, self.items):
            keys = [sort_key(entity.id) for entity in sequence]
            if keys != sorted(keys):
                raise ValueError(
                    "Scene: receptacles and items must be in listing order (use Scene.build)"
                )

    @classmethod
    def build(
        cls,
        receptacles: list[Receptacle],
        items: list[Item],
        can_contain: Mapping[str, frozenset[str] | set[str] | list[str]],
        **fields: Any,
    ) -> Scene:
        """A scene with entities sorted into listing order."""
        return cls(
            receptacles=tuple(sorted(receptacles, key=lambda r: sort_key(r.id))),
            items=tuple(sorted(items, key=lambda i: sort_key(i.id))),
            can_contain={k: frozenset(v) for k, v in can_contain.items()},
            **fields,
        )


@dataclass(frozen=True, slots=True)
class Game:
    """One playable ALFWorld game: a scene and its task."""

    scene: Scene
    task: Task
    game_id: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


def named_receptacles_and_items(
    receptacles: list[tuple[str, str, str, bool]], items: list[dict[str, Any]]
) -> tuple[list[Receptacle], list[Item]]:
    """Give display names to raw entities (the generator's helper).

    ``receptacles`` are ``(alfred_id, type, location, openable)``; each item dict holds
    ``id``, ``type``, ``receptacle_id`` and any :class:`Item` flags.
    """
    names = display_names([r[0] for r in receptacles] + [i["id"] for i in items])
    built_receptacles = [
        Receptacle(id=rid, name=names[rid], type=rtype, location=loc, openable=openable)
        for rid, rtype, loc, openable in receptacles
    ]
    built_items = []
    for raw in items:
        flags = {k: v for k, v in raw.items() if k not in ("id", "type", "receptacle_id")}
        built_items.append(
            Item(
                id=raw["id"],
                name=names[raw["id"]],
                type=raw["type"],
                receptacle=names[raw["receptacle_id"]],
                **flags,
            )
        )
    return built_receptacles, built_items


# -- JSON records (the golden transcripts' ``scene`` schema) --------------------------------


class RecordError(ValueError):
    """A game record (``games=``, a JSON line) is malformed; the message names the field."""


def game_from_record(record: Mapping[str, Any]) -> Game:
    """Read a game from a golden-transcript-style record (``scene``, ``task_params``...).

    Raises :class:`RecordError` naming the record (its ``game_id``) and the bad field.
    """
    if not isinstance(record, Mapping):
        raise RecordError(f"a game record must be a mapping, got {type(record).__name__}")
    name = f"game record {record.get('game_id', '(no game_id)')!r}"
    try:
        return _game_from_record(record)
    except RecordError as error:
        raise RecordError(f"{name}: {error}") from None
    except KeyError as error:
        raise RecordError(f"{name}: missing field {error.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise RecordError(f"{name}: {error}") from None


def _entries(raw: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    entries = raw[kind]
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise RecordError(f"scene.{kind} must be a list of mappings")
    return entries


def _entry(kind: str, index: int, build: Any) -> Any:
    try:
        return build()
    except KeyError as error:
        raise RecordError(f"scene.{kind}[{index}] lacks {error.args[0]!r}") from None


def _game_from_record(record: Mapping[str, Any]) -> Game:
    raw = record["scene"]
    if not isinstance(raw, Mapping):
        raise RecordError("'scene' must be a mapping")
    receptacles = [
        _entry(
            "receptacles",
            index,
            lambda r=r: Receptacle(
                id=r["id"],
                name=r["name"],
                type=r["type"],
                location=r["location"],
                openable=bool(r["openable"]),
            ),
        )
        for index, r in enumerate(_entries(raw, "receptacles"))
    ]
    items = [
        _entry("objects", index, lambda o=o: _item_from_record(o))
        for index, o in enumerate(_entries(raw, "objects"))
    ]
    scene = Scene.build(
        receptacles,
        items,
        raw["can_contain"],
        agent_start_location=raw["agent_start_location"],
        room=record.get("room", ""),
        floorplan=record.get("floorplan", ""),
    )
    params = record["task_params"]
    task_type = TaskType(int(record["task_type_id"]))
    is_look = task_type is TaskType.LOOK_AT_OBJ_IN_LIGHT
    task = Task(
        task_type=task_type,
        object_target=params["object_target"],
        # Each type uses one of the two targets; a stray value in the other is ignored.
        parent_target=None if is_look else params.get("parent_target"),
        toggle_target=params.get("toggle_target") if is_look else None,
        template=record["task_template"],
    )
    return Game(scene=scene, task=task, game_id=str(record.get("game_id", "")))


def _item_from_record(o: Mapping[str, Any]) -> Item:
    initial = o.get("initial", {})
    return Item(
        id=o["id"],
        name=o["name"],
        type=o["type"],
        receptacle=o["receptacle"],
        pickupable=bool(o["pickupable"]),
        receptacle_object=bool(o["isReceptacleObject"]),
        cleanable=bool(o["cleanable"]),
        heatable=bool(o["heatable"]),
        coolable=bool(o["coolable"]),
        sliceable=bool(o["sliceable"]),
        toggleable=bool(o["toggleable"]),
        hot=bool(initial.get("isHot", False)),
        cool=bool(initial.get("isCool", False)),
        clean=bool(initial.get("isClean", False)),
        sliced=bool(initial.get("isSliced", False)),
        toggled=bool(initial.get("isToggled", False)),
    )


def game_to_record(game: Game) -> dict[str, Any]:
    """The inverse of :func:`game_from_record` (JSON-able)."""
    scene, task = game.scene, game.task
    return {
        "game_id": game.game_id,
        "floorplan": scene.floorplan,
        "room": scene.room,
        "task_type": task.task_type.alfworld_name,
        "task_type_id": int(task.task_type),
        "task_params": {
            "object_target": task.object_target,
            "parent_target": task.parent_target,
            "toggle_target": task.toggle_target,
        },
        "task_text": task.text,
        "task_template": task.template,
        "scene": {
            "agent_start_location": scene.agent_start_location,
            "receptacles": [
                {
                    "id": r.id,
                    "pddl_id": mangle_id(r.id),
                    "name": r.name,
                    "type": r.type,
                    "location": r.location,
                    "openable": r.openable,
                    "opened": False,
                }
                for r in scene.receptacles
            ],
            "objects": [
                {
                    "id": i.id,
                    "pddl_id": mangle_id(i.id),
                    "name": i.name,
                    "type": i.type,
                    "receptacle": i.receptacle,
                    "pickupable": i.pickupable,
                    "isReceptacleObject": i.receptacle_object,
                    "cleanable": i.cleanable,
                    "heatable": i.heatable,
                    "coolable": i.coolable,
                    "sliceable": i.sliceable,
                    "toggleable": i.toggleable,
                    "initial": {
                        "isCool": i.cool,
                        "isHot": i.hot,
                        "isClean": i.clean,
                        "isSliced": i.sliced,
                        "isToggled": i.toggled,
                    },
                }
                for i in scene.items
            ],
            "can_contain": {k: sorted(v) for k, v in scene.can_contain.items()},
        },
    }
