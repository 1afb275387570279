"""Task-type and floor-plan splits."""

from __future__ import annotations

import pytest

from lamer_envs.alfworld.splits import (
    EVAL_FLOORPLANS,
    SPLIT_NAMES,
    TRAIN_FLOORPLANS,
    make_split,
)
from lamer_envs.alfworld.tasks import TaskType


def test_default_split_trains_on_pick_look_clean_heat_and_holds_out_cool_and_pick_two() -> None:
    train = make_split("train")
    assert {t.short_name for t in train.task_types} == {"pick", "look", "clean", "heat"}
    ood = make_split("eval_out_of_distribution")
    assert {t.short_name for t in ood.task_types} == {"cool", "pick_two"}
    assert ood.floorplans == EVAL_FLOORPLANS


def test_scene_split_is_alfreds() -> None:
    assert len(TRAIN_FLOORPLANS) == 4 * 24 and len(EVAL_FLOORPLANS) == 4 * 6
    assert {1, 6, 201, 306, 406} <= set(EVAL_FLOORPLANS)
    assert {7, 30, 207, 330, 430} <= set(TRAIN_FLOORPLANS)
    assert make_split("eval_all_types").task_types == tuple(TaskType)


def test_split_is_configurable_and_validated() -> None:
    split = make_split("train", in_distribution=["pick"], out_of_distribution=[5])
    assert split.task_types == (TaskType.PICK_AND_PLACE,)
    assert make_split("eval_out_of_distribution", ["pick"], ["cool"]).task_types == (
        TaskType.PICK_COOL_THEN_PLACE,
    )
    with pytest.raises(ValueError, match="both"):
        make_split("train", in_distribution=["cool"], out_of_distribution=["cool"])
    with pytest.raises(ValueError, match="unknown ALFWorld split"):
        make_split("valid_seen")
    assert "train" in SPLIT_NAMES
