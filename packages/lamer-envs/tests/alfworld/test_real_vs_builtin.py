"""The real ALFWorld engine (ALFWorld 0.4 + TextWorld, PDDL) and the built-in one agree.

Generated games are written in ALFWorld's own format (:mod:`lamer_envs.alfworld.export`)
and played through ``backend="real"``; the same commands go to the built-in engine. Every
step must give the same observation, admissible commands, score, won and done flags, and
the anchors must group steps the same way. Scripts: a seeded random prefix (admissible
commands mixed with commands the engine must refuse), then the built-in planner's plan
from the state reached, which must win in both engines. Four games per task type.

ALFWorld's data is not downloadable here, so the golden transcripts (recorded from
ALFWorld's own games) close the loop: their scenes, exported, replay on the real engine
exactly as recorded.

Needs ``lamer-envs[alfworld]`` (the dev group installs it); skipped without it.
"""

from __future__ import annotations

import importlib.util
import json
import pickle
from pathlib import Path

import pytest

from lamer_core.seeding import make_rng
from lamer_envs.alfworld.env import ADMISSIBLE_ACTIONS, ALFWorldEnv
from lamer_envs.alfworld.export import RECORD_KEY, TRAJECTORY_FILE, alfworld_logic, write_game
from lamer_envs.alfworld.generator import generate_game
from lamer_envs.alfworld.planner import plan
from lamer_envs.alfworld.real_backend import RealGame
from lamer_envs.alfworld.scene import Game, game_from_record
from lamer_envs.alfworld.simulator import Simulator
from lamer_envs.alfworld.tasks import TaskType
from lamer_envs.protocol import ANCHOR

pytestmark = pytest.mark.skipif(
    not all(importlib.util.find_spec(name) for name in ("alfworld", "textworld")),
    reason="needs lamer-envs[alfworld] (the dev dependency group installs it)",
)

GAMES_PER_TYPE = 4
RANDOM_PREFIX = 8
GOLDEN = Path(__file__).parent / "golden" / "transcripts.jsonl"
# Commands the engines must both refuse ("Nothing happens.", state unchanged).
REFUSED = ("go to the moon", "take apple 9 from fridge 1", "", "LOOK", "put it down", "open")

CASES = [(task_type, seed) for task_type in TaskType for seed in range(GAMES_PER_TYPE)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[TaskType, int], tuple]:
    root = tmp_path_factory.mktemp("alfworld-data")
    logic = alfworld_logic()
    out = {}
    for task_type, seed in CASES:
        game = generate_game(seed, (task_type,), stream="real-vs-builtin")
        out[task_type, seed] = (game, write_game(game, root, logic=logic))
    return out


def script(game: Game, seed: int) -> list[str]:
    """A seeded random prefix, then the planner's commands from there to the win."""
    simulator = Simulator(game)
    rng = make_rng(seed, "real-vs-builtin", game.game_id)
    commands: list[str] = []
    for _ in range(RANDOM_PREFIX):
        if rng.random() < 0.3:
            command = REFUSED[int(rng.integers(len(REFUSED)))]
        else:
            admissible = simulator.admissible_commands()
            command = admissible[int(rng.integers(len(admissible)))]
        commands.append(command)
        if simulator.step(command).done:
            return commands
    return commands + plan(simulator)


def trace(engine: Simulator | RealGame, commands: list[str]) -> tuple[list[tuple], list[int]]:
    """Per step: (observation, admissible, score, won, done, valid); and the anchor
    grouping (each step's index of the first step with the same state key)."""
    rows = [(engine.reset(), engine.admissible_commands(), 0, False, False, True)]
    keys = [engine.state_key()]
    for command in commands:
        outcome = engine.step(command)
        rows.append(
            (
                outcome.observation,
                engine.admissible_commands(),
                outcome.score,
                outcome.won,
                outcome.done,
                outcome.valid,
            )
        )
        keys.append(engine.state_key())
    return rows, [keys.index(key) for key in keys]


def assert_same_traces(expected: list[tuple], actual: list[tuple], commands: list[str]) -> None:
    for step, (want, got) in enumerate(zip(expected, actual, strict=True)):
        command = "(reset)" if step == 0 else repr(commands[step - 1])
        assert got == want, f"step {step} {command}: built-in {want!r} != real {got!r}"


@pytest.mark.slow  # ~5 s each on a busy 2-core machine; CI runs it
@pytest.mark.parametrize(
    ("task_type", "seed"), CASES, ids=[f"{t.short_name}-{s}" for t, s in CASES]
)
def test_real_engine_matches_builtin_on_exported_game(
    exported: dict, task_type: TaskType, seed: int
) -> None:
    game, game_file = exported[task_type, seed]
    assert game.task.task_type is task_type
    commands = script(game, seed)
    expected, expected_groups = trace(Simulator(game, max_steps=100), commands)
    actual, actual_groups = trace(RealGame(game_file, max_steps=100), commands)
    assert_same_traces(expected, actual, commands)
    assert actual[-1][3], "the planner's solution must win on the real engine"
    assert actual_groups == expected_groups


def test_every_task_type_is_covered_by_at_least_20_games() -> None:
    assert len(CASES) >= 20 and {t for t, _ in CASES} == set(TaskType)


def _golden_records_one_per_type() -> list[dict]:
    chosen: dict[int, dict] = {}
    for line in GOLDEN.read_text().splitlines():
        record = json.loads(line)
        chosen.setdefault(record["task_type_id"], record)
    return [chosen[t] for t in sorted(chosen)]


@pytest.mark.slow
@pytest.mark.parametrize(
    "record", _golden_records_one_per_type(), ids=lambda record: record["task_type"]
)
def test_exported_golden_scene_replays_its_recorded_transcript_on_the_real_engine(
    tmp_path: Path, record: dict
) -> None:
    game_file = write_game(game_from_record(record), tmp_path)
    real = RealGame(game_file, max_steps=200)
    assert real.reset() == record["intro_observation"]
    assert real.admissible_commands() == record["initial_admissible_commands"]
    for step in record["steps"]:
        outcome = real.step(step["command"])
        got = (outcome.observation, real.admissible_commands(), outcome.score, outcome.done)
        want = (step["observation"], step["admissible_commands"], step["score"], step["done"])
        assert got == want, f"step {step['t']} {step['command']!r}"


def test_real_env_matches_builtin_env_with_rewards_truncation_and_pickling(exported: dict) -> None:
    """The gymnasium env on top: rewards, terminated/truncated, info fields, attempts."""
    data_path = next(iter(exported.values()))[1].parents[4]
    real_env = ALFWorldEnv(backend="real", data_path=str(data_path), split="train_all_types")
    for seed in (0, 1):
        real_obs, real_info = real_env.reset(seed=seed)
        # The folder also carries our record of the game: the built-in engine loads it.
        record = json.loads(real_env._session.game_file.with_name(TRAJECTORY_FILE).read_text())[
            RECORD_KEY
        ]
        builtin_env = ALFWorldEnv(games=[record])
        builtin_obs, builtin_info = builtin_env.reset(seed=0)
        assert real_obs == builtin_obs
        responses = ["<action>go to the moon</action>", "no tags at all"]
        responses += [f"<think>go</think><action>{c}</action>" for c in builtin_env.expert_plan()]
        real_anchors, builtin_anchors = [real_info[ANCHOR]], [builtin_info[ANCHOR]]
        for response in responses:
            real_step = real_env.step(response)
            builtin_step = builtin_env.step(response)
            assert real_step[:4] == builtin_step[:4]
            real_info, builtin_info = real_step[4], builtin_step[4]
            real_anchors.append(real_info.pop(ANCHOR))
            builtin_anchors.append(builtin_info.pop(ANCHOR))
            # The real backend names a game by its folder, as ALFWorld does.
            game_file = real_env._session.game_file
            assert real_info.pop("game_id") == f"{game_file.parts[-3]}/{game_file.parts[-2]}"
            assert builtin_info.pop("game_id") == record["game_id"]
            assert real_info == builtin_info
        assert real_step[1] == 10.0 and real_step[2] and not real_step[3]
        assert [real_anchors.index(a) for a in real_anchors] == [
            builtin_anchors.index(a) for a in builtin_anchors
        ]
        # A second attempt at the same seed restarts the same game.
        assert real_env.reset(seed=seed)[0] == real_obs

    short_env = ALFWorldEnv(
        backend="real", data_path=str(data_path), split="train_all_types", max_steps=2
    )
    short_env.reset(seed=3)
    command = short_env.admissible_actions()[0]
    _, _, _, truncated, info = short_env.step(f"<action>{command}</action>")
    assert not truncated and info["action_is_admissible"]
    # Pickling mid-episode replays the commands into a fresh engine.
    clone = pickle.loads(pickle.dumps(short_env))
    assert clone.admissible_actions() == short_env.admissible_actions()
    _, reward, terminated, truncated, info = short_env.step("<action>look</action>")
    assert (reward, terminated, truncated) == (0.0, False, True)
    assert info[ADMISSIBLE_ACTIONS] == clone.step("<action>look</action>")[4][ADMISSIBLE_ACTIONS]
