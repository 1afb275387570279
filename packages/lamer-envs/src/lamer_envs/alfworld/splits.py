"""Which games a split plays: task types x floor plans, plus its own seed stream.

Two held-out axes, combinable:

- **task types** (the paper's generalisation test: train on some types, evaluate on
  unseen ones, e.g. Pick -> Cool). Default in-distribution: pick, look, clean, heat;
  out-of-distribution: cool, pick_two. Configurable.
- **scenes** (ALFRED's split): train on floor plans 7-30 of each room kind (and
  207-230, 307-330, 407-430), evaluate on 1-6 (201-206, ...). ALFWorld's own
  ``eval_out_of_distribution`` is this scene split with all six task types.

Each split names its own seed stream, so seed ``s`` of ``train`` and seed ``s`` of an
eval split are different games: evaluation seeds are held out by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lamer_envs.alfworld.catalog import FLOORPLAN_BASE
from lamer_envs.alfworld.tasks import TaskType

DEFAULT_IN_DISTRIBUTION: tuple[TaskType, ...] = (
    TaskType.PICK_AND_PLACE,
    TaskType.LOOK_AT_OBJ_IN_LIGHT,
    TaskType.PICK_CLEAN_THEN_PLACE,
    TaskType.PICK_HEAT_THEN_PLACE,
)
DEFAULT_OUT_OF_DISTRIBUTION: tuple[TaskType, ...] = (
    TaskType.PICK_COOL_THEN_PLACE,
    TaskType.PICK_TWO_OBJ_AND_PLACE,
)

TRAIN_FLOORPLANS: tuple[int, ...] = tuple(
    base + n for base in FLOORPLAN_BASE.values() for n in range(7, 31)
)
EVAL_FLOORPLANS: tuple[int, ...] = tuple(
    base + n for base in FLOORPLAN_BASE.values() for n in range(1, 7)
)

SPLIT_NAMES = (
    "train",
    "eval_in_distribution",
    "eval_out_of_distribution",
    "train_all_types",
    "eval_all_types",
)


@dataclass(frozen=True, slots=True)
class Split:
    """A family of games: allowed task types and floor plans, and a seed stream name."""

    name: str
    task_types: tuple[TaskType, ...]
    floorplans: tuple[int, ...]


def make_split(
    name: str = "train",
    in_distribution: Sequence[TaskType | int | str] = DEFAULT_IN_DISTRIBUTION,
    out_of_distribution: Sequence[TaskType | int | str] = DEFAULT_OUT_OF_DISTRIBUTION,
) -> Split:
    """The split ``name``:

    ====================== ======================== ==================
    name                   task types               floor plans
    ====================== ======================== ==================
    train                  in-distribution          7-30 (train)
    eval_in_distribution   in-distribution          1-6 (unseen)
    eval_out_of_distribution out-of-distribution    1-6 (unseen)
    train_all_types        all six                  7-30
    eval_all_types         all six                  1-6
    ====================== ======================== ==================
    """
    in_types = tuple(dict.fromkeys(TaskType.parse(t) for t in in_distribution))
    out_types = tuple(dict.fromkeys(TaskType.parse(t) for t in out_of_distribution))
    if set(in_types) & set(out_types):
        raise ValueError(
            f"a task type cannot be both in and out of distribution: "
            f"{sorted(t.short_name for t in set(in_types) & set(out_types))}"
        )
    table = {
        "train": (in_types, TRAIN_FLOORPLANS),
        "eval_in_distribution": (in_types, EVAL_FLOORPLANS),
        "eval_out_of_distribution": (out_types, EVAL_FLOORPLANS),
        "train_all_types": (tuple(TaskType), TRAIN_FLOORPLANS),
        "eval_all_types": (tuple(TaskType), EVAL_FLOORPLANS),
    }
    if name not in table:
        raise ValueError(f"unknown ALFWorld split {name!r}; choose one of {SPLIT_NAMES}")
    task_types, floorplans = table[name]
    if not task_types:
        raise ValueError(f"split {name!r} has no task types")
    return Split(name=name, task_types=task_types, floorplans=floorplans)
