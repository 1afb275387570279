"""ALFWorld's six task types: ids, names, goal phrasings and goal tests.

The ids and names are ALFWorld's (its ``task_types`` setting filters games by id). The
goal phrasings are ALFWorld's goal library: each type has two templates, filled with
lowercased ALFRED type names (``soapbottle``, ``diningtable``, ``desklamp``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class TaskType(IntEnum):
    """ALFWorld task-type ids (1-6)."""

    PICK_AND_PLACE = 1
    LOOK_AT_OBJ_IN_LIGHT = 2
    PICK_CLEAN_THEN_PLACE = 3
    PICK_HEAT_THEN_PLACE = 4
    PICK_COOL_THEN_PLACE = 5
    PICK_TWO_OBJ_AND_PLACE = 6

    @property
    def alfworld_name(self) -> str:
        """ALFWorld's directory-style name, e.g. ``pick_cool_then_place_in_recep``."""
        return _ALFWORLD_NAMES[self]

    @property
    def short_name(self) -> str:
        """Short name used in configs: pick, look, clean, heat, cool, pick_two."""
        return _SHORT_NAMES[self]

    @classmethod
    def parse(cls, value: int | str | TaskType) -> TaskType:
        """Accept an id (``5``), a short name (``"cool"``) or an ALFWorld name."""
        if isinstance(value, TaskType):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        if isinstance(value, str):
            for task_type in cls:
                if value in (task_type.short_name, task_type.alfworld_name, task_type.name.lower()):
                    return task_type
        raise ValueError(
            f"unknown ALFWorld task type {value!r}; use an id 1-6 or one of "
            f"{[t.short_name for t in cls]}"
        )


_ALFWORLD_NAMES = {
    TaskType.PICK_AND_PLACE: "pick_and_place_simple",
    TaskType.LOOK_AT_OBJ_IN_LIGHT: "look_at_obj_in_light",
    TaskType.PICK_CLEAN_THEN_PLACE: "pick_clean_then_place_in_recep",
    TaskType.PICK_HEAT_THEN_PLACE: "pick_heat_then_place_in_recep",
    TaskType.PICK_COOL_THEN_PLACE: "pick_cool_then_place_in_recep",
    TaskType.PICK_TWO_OBJ_AND_PLACE: "pick_two_obj_and_place",
}
_SHORT_NAMES = {
    TaskType.PICK_AND_PLACE: "pick",
    TaskType.LOOK_AT_OBJ_IN_LIGHT: "look",
    TaskType.PICK_CLEAN_THEN_PLACE: "clean",
    TaskType.PICK_HEAT_THEN_PLACE: "heat",
    TaskType.PICK_COOL_THEN_PLACE: "cool",
    TaskType.PICK_TWO_OBJ_AND_PLACE: "pick_two",
}

#: Two goal phrasings per type; ``{obj}``, ``{recep}``, ``{toggle}`` are lowercased types.
GOAL_TEMPLATES: dict[TaskType, tuple[str, str]] = {
    TaskType.PICK_AND_PLACE: ("put a {obj} in {recep}", "put some {obj} on {recep}"),
    TaskType.LOOK_AT_OBJ_IN_LIGHT: (
        "look at {obj} under the {toggle}",
        "examine the {obj} with the {toggle}",
    ),
    TaskType.PICK_CLEAN_THEN_PLACE: (
        "put a clean {obj} in {recep}",
        "clean some {obj} and put it in {recep}",
    ),
    TaskType.PICK_HEAT_THEN_PLACE: (
        "put a hot {obj} in {recep}",
        "heat some {obj} and put it in {recep}",
    ),
    TaskType.PICK_COOL_THEN_PLACE: (
        "put a cool {obj} in {recep}",
        "cool some {obj} and put it in {recep}",
    ),
    TaskType.PICK_TWO_OBJ_AND_PLACE: (
        "put two {obj} in {recep}",
        "find two {obj} and put them in {recep}",
    ),
}


@dataclass(frozen=True, slots=True)
class Task:
    """What the agent must achieve in a scene.

    Targets are ALFRED type names (``"Mug"``, ``"CoffeeMachine"``, ``"DeskLamp"``);
    ``parent_target`` is ``None`` for look tasks, ``toggle_target`` is ``None`` otherwise.
    """

    task_type: TaskType
    object_target: str
    parent_target: str | None
    toggle_target: str | None
    template: str
    """The goal phrasing used (one of :data:`GOAL_TEMPLATES`)."""

    def __post_init__(self) -> None:
        needs_toggle = self.task_type is TaskType.LOOK_AT_OBJ_IN_LIGHT
        if needs_toggle != (self.toggle_target is not None) or needs_toggle == (
            self.parent_target is not None
        ):
            raise ValueError(
                f"{self.task_type.alfworld_name}: look tasks need toggle_target and no "
                "parent_target; the other types need parent_target and no toggle_target"
            )

    @property
    def text(self) -> str:
        """The goal sentence shown after ``Your task is to: `` (no final period)."""
        return self.template.format(
            obj=self.object_target.lower(),
            recep=(self.parent_target or "").lower(),
            toggle=(self.toggle_target or "").lower(),
        )
