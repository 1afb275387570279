"""The built-in engine against transcripts recorded from ALFWorld 0.4.2 / TextWorld 1.7.0."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from lamer_envs.alfworld.names import display_names, mangle_id
from lamer_envs.alfworld.scene import Game, game_from_record, game_to_record
from lamer_envs.alfworld.simulator import Simulator

GOLDEN = Path(__file__).parent / "golden" / "transcripts.jsonl"
RECORDS = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]


def test_golden_file_covers_every_task_type_and_room() -> None:
    assert len(RECORDS) == 60
    assert sum(len(record["steps"]) for record in RECORDS) == 1621
    assert {record["task_type_id"] for record in RECORDS} == {1, 2, 3, 4, 5, 6}
    assert {record["room"] for record in RECORDS} == {
        "Kitchen",
        "LivingRoom",
        "Bedroom",
        "Bathroom",
    }


@pytest.mark.parametrize("record", RECORDS, ids=[r["game_id"] for r in RECORDS])
def test_transcript_reproduces_exactly(record: dict) -> None:
    game = game_from_record(record)
    assert game.task.text == record["task_text"]
    simulator = Simulator(game)
    assert simulator.intro == record["intro_observation"]
    assert simulator.admissible_commands() == record["initial_admissible_commands"]
    for step in record["steps"]:
        outcome = simulator.step(step["command"])
        where = f"step {step['t']} ({step['kind']}) {step['command']!r}"
        assert outcome.observation == step["observation"], where
        assert simulator.admissible_commands() == step["admissible_commands"], where
        assert (outcome.score, outcome.won, outcome.done) == (
            step["score"],
            step["won"],
            step["done"],
        ), where
    assert simulator.won == record["final_won"]


@pytest.mark.parametrize("record", RECORDS[::7], ids=[r["game_id"] for r in RECORDS[::7]])
def test_display_names_follow_the_numbering_rule(record: dict) -> None:
    entities = record["scene"]["receptacles"] + record["scene"]["objects"]
    names = display_names(entity["id"] for entity in entities)
    for entity in entities:
        assert names[entity["id"]] == entity["name"]
        assert mangle_id(entity["id"]) == entity["pddl_id"]


def test_record_round_trip_keeps_the_game() -> None:
    game = game_from_record(RECORDS[0])
    again = game_from_record(game_to_record(game))
    assert again.scene == game.scene
    assert again.task == game.task


def _first_game() -> Game:
    return game_from_record(RECORDS[0])


def test_invalid_command_changes_nothing_but_counts_a_step() -> None:
    simulator = Simulator(_first_game())
    key = simulator.state_key()
    outcome = simulator.step("put cup 1 in microwave 1")
    assert outcome.observation == "Nothing happens."
    assert not outcome.valid
    assert simulator.state_key() == key
    assert simulator.steps == 1


def test_step_limit_ends_the_game_lost() -> None:
    simulator = Simulator(_first_game(), max_steps=3)
    outcomes = [simulator.step("look") for _ in range(3)]
    assert [o.done for o in outcomes] == [False, False, True]
    assert not outcomes[-1].won
    assert simulator.step("look").done


def test_state_key_tracks_state_not_history() -> None:
    simulator = Simulator(_first_game())
    start = simulator.state_key()
    simulator.step("go to fridge 1")
    moved = simulator.state_key()
    assert moved != start
    simulator.step("look")
    simulator.step("inventory")
    assert simulator.state_key() == moved
    simulator.reset()
    assert simulator.state_key() == start


def test_simulator_pickles_mid_game() -> None:
    simulator = Simulator(_first_game())
    for command in ("go to fridge 1", "open fridge 1", "take cup 1 from fridge 1"):
        simulator.step(command)
    clone = pickle.loads(pickle.dumps(simulator))
    assert clone.state_key() == simulator.state_key()
    assert clone.step("go to microwave 1") == simulator.step("go to microwave 1")
    assert clone.admissible_commands() == simulator.admissible_commands()
