"""The action projection and the engine texts not covered by the golden transcripts."""

from __future__ import annotations

import pytest

from lamer_envs.alfworld import feedback
from lamer_envs.alfworld.parsing import normalize_command, project_response
from lamer_envs.alfworld.scene import Game, Item, Receptacle, Scene
from lamer_envs.alfworld.simulator import Simulator
from lamer_envs.alfworld.tasks import Task, TaskType


@pytest.mark.parametrize(
    ("response", "command"),
    [
        ("<think>x</think><action>go to fridge 1</action>", "go to fridge 1"),
        ("<ACTION> Go  To Fridge 1. </ACTION>", "go to fridge 1"),
        ("<action>put apple 1 in/on countertop 1</action>", "move apple 1 to countertop 1"),
        ("<action>put mug 2 on desk 1</action>", "move mug 2 to desk 1"),
        ("<action>look</action><action>inventory</action>", "look"),
        ("<action></action>", None),
        ("</action> <action>look", None),
        ("go to fridge 1", None),
        ("<action>" + "x" * 300 + "</action>", None),
    ],
)
def test_project_response(response: str, command: str | None) -> None:
    assert project_response(response) == command


def test_normalize_keeps_plain_commands() -> None:
    assert normalize_command("take apple 1 from countertop 1") == "take apple 1 from countertop 1"


@pytest.mark.parametrize(
    ("flags", "text"),
    [
        ({}, "There's nothing special about apple 1."),
        ({"cool": True}, "This is a cold apple 1."),
        ({"hot": True, "clean": True}, "This is a hot and clean apple 1."),
        ({"cool": True, "clean": True, "sliced": True}, "This is a cool and clean sliced apple 1."),
        ({"sliced": True}, "This is a sliced apple 1."),
        ({"hot": True, "sliced": True}, "This is a hot sliced apple 1."),
    ],
)
def test_examine_texts(flags: dict, text: str) -> None:
    base = {
        "receptacle_object": False,
        "hot": False,
        "cool": False,
        "clean": False,
        "sliced": False,
    }
    assert feedback.describe_item("apple 1", **(base | flags)) == text


def _kitchen() -> Game:
    receptacles = [
        Receptacle("CounterTop|+01.00|+00.90|-01.00", "countertop 1", "CounterTop", "loc_a", False),
        Receptacle("Fridge|-02.00|+00.00|+01.00", "fridge 1", "Fridge", "loc_b", True),
    ]
    items = [
        Item(
            "Apple|+00.10|+00.90|-01.00",
            "apple 1",
            "Apple",
            "countertop 1",
            cleanable=True,
            heatable=True,
            coolable=True,
            sliceable=True,
        ),
        Item("Knife|+00.20|+00.90|-01.00", "knife 1", "Knife", "countertop 1", cleanable=True),
    ]
    scene = Scene.build(
        receptacles,
        items,
        {"CounterTop": {"Apple", "Knife"}, "Fridge": {"Apple"}},
        agent_start_location="loc_start",
    )
    task = Task(
        TaskType.PICK_COOL_THEN_PLACE, "Apple", "CounterTop", None, "put a cool {obj} in {recep}"
    )
    return Game(scene, task)


def test_slice_and_cool_then_place_wins() -> None:
    simulator = Simulator(_kitchen())
    assert simulator.step("go to countertop 1").observation == (
        "You arrive at countertop 1. On the countertop 1, you see a apple 1, and a knife 1."
    )
    simulator.step("take knife 1 from countertop 1")
    assert "slice apple 1 with knife 1" in simulator.admissible_commands()
    assert (
        simulator.step("slice apple 1 with knife 1").observation
        == "You sliced the apple 1 with the knife 1."
    )
    simulator.step("move knife 1 to countertop 1")
    simulator.step("take apple 1 from countertop 1")
    assert simulator.step("examine apple 1").observation == "This is a sliced apple 1."
    simulator.step("go to fridge 1")
    assert (
        simulator.step("cool apple 1 with fridge 1").observation
        == "You cool the apple 1 using the fridge 1."
    )
    simulator.step("go to countertop 1")
    outcome = simulator.step("move apple 1 to countertop 1")
    assert outcome.won and outcome.done and outcome.score == 1


def test_scene_rejects_inconsistent_data() -> None:
    with pytest.raises(ValueError, match="unknown receptacle"):
        Scene.build([], [Item("Apple|1", "apple 1", "Apple", "table 1")], {})
    with pytest.raises(ValueError, match="no receptacle"):
        Scene.build(
            [Receptacle("Desk|1", "desk 1", "Desk", "here", False)],
            [],
            {},
            agent_start_location="here",
        )
    with pytest.raises(ValueError, match="look tasks"):
        Task(
            TaskType.LOOK_AT_OBJ_IN_LIGHT, "Book", "Desk", None, "look at {obj} under the {toggle}"
        )
