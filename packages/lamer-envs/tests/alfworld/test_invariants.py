"""Engine invariants on random walks through generated games."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lamer_envs.alfworld.generator import generate_game
from lamer_envs.alfworld.simulator import Simulator
from lamer_envs.alfworld.tasks import GOAL_TEMPLATES, TaskType

GOLDEN = Path(__file__).parent / "golden" / "transcripts.jsonl"


def _check_invariants(simulator: Simulator) -> None:
    seen = []
    for receptacle, contents in enumerate(simulator.contents):
        assert contents == sorted(contents)  # listing order
        for item in contents:
            assert simulator.places[item] == receptacle
        seen.extend(contents)
    held = [item for item, place in enumerate(simulator.places) if place == -1]
    assert held == ([simulator.holding] if simulator.holding >= 0 else [])
    assert sorted(seen + held) == list(range(len(simulator.places)))
    for item, (hot, cool) in enumerate(zip(simulator.hot, simulator.cool, strict=True)):
        assert not (hot and cool), f"item {item} is both hot and cool"


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), walk_seed=st.integers(0, 2**32 - 1))
def test_random_walks_keep_every_object_in_exactly_one_place(seed: int, walk_seed: int) -> None:
    simulator = Simulator(generate_game(seed))
    rng = np.random.default_rng(walk_seed)
    for _ in range(60):
        commands = simulator.admissible_commands()
        assert commands == sorted(set(commands))
        before = simulator.state_key()
        command = commands[int(rng.integers(len(commands)))]
        outcome = simulator.step(command)
        assert outcome.valid
        if command.split(" ")[0] in ("look", "inventory", "help", "examine"):
            assert simulator.state_key() == before
        _check_invariants(simulator)
        if outcome.done:
            break


def test_golden_task_phrasings_are_alfworlds() -> None:
    for line in GOLDEN.read_text().splitlines():
        record = json.loads(line)
        assert record["task_template"] in GOAL_TEMPLATES[TaskType(record["task_type_id"])]
        assert TaskType(record["task_type_id"]).alfworld_name == record["task_type"]
