"""The real-ALFWorld adapter: game discovery and its error reports; play where installed.

The equality of the real and built-in engines is tested in ``test_real_vs_builtin.py``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from lamer_envs.alfworld.env import ADMISSIBLE_ACTIONS, ALFWorldEnv
from lamer_envs.alfworld.real_backend import (
    RealGame,
    default_data_path,
    find_game_files,
    scan_game_files,
)
from lamer_envs.alfworld.scene import RecordError
from lamer_envs.alfworld.tasks import TaskType
from lamer_envs.protocol import ANCHOR, INFO_KEYS

HAVE_ALFWORLD = all(importlib.util.find_spec(name) for name in ("alfworld", "textworld"))
needs_alfworld = pytest.mark.skipif(not HAVE_ALFWORLD, reason="needs lamer-envs[alfworld]")
COOL = (TaskType.PICK_COOL_THEN_PLACE,)
PLAYABLE = {"pddl_domain": "(define)", "grammar": "", "pddl_problem": "(define)"}


def _write_game(
    root: Path,
    task_dir: str,
    solvable: bool = True,
    with_traj: bool = True,
    game_text: str | None = None,
    traj_text: str | None = None,
) -> Path:
    folder = root / task_dir / "trial_T0001"
    folder.mkdir(parents=True)
    if with_traj:
        task_type = task_dir.split("-", 1)[0]
        traj_text = traj_text if traj_text is not None else json.dumps({"task_type": task_type})
        (folder / "traj_data.json").write_text(traj_text)
    game_file = folder / "game.tw-pddl"
    game_file.write_text(game_text or json.dumps({**PLAYABLE, "solvable": solvable}))
    return game_file


def test_find_game_files_filters_like_alfworld(tmp_path: Path) -> None:
    keep = _write_game(tmp_path, "pick_cool_then_place_in_recep-Apple-None-Fridge-10")
    bare = _write_game(tmp_path, "pick_cool_then_place_in_recep-Egg-None-Fridge-3", with_traj=False)
    _write_game(tmp_path, "pick_and_place_simple-Mug-None-Desk-301")  # other type
    _write_game(tmp_path, "pick_cool_then_place_in_recep-Mug-None-Desk-5", solvable=False)
    _write_game(tmp_path, "pick_cool_then_place_in_recep-AppleSliced-None-Fridge-1")
    found = find_game_files(tmp_path, COOL)
    assert found == sorted([keep, bare])


def test_scan_names_each_skipped_file_with_its_reason(tmp_path: Path) -> None:
    good = _write_game(tmp_path, "pick_cool_then_place_in_recep-Apple-None-Fridge-10")
    cases = {
        "pick_cool_then_place_in_recep-A-None-Fridge-1": dict(game_text="{not json"),
        "pick_cool_then_place_in_recep-B-None-Fridge-1": dict(game_text='["a list"]'),
        "pick_cool_then_place_in_recep-C-None-Fridge-1": dict(
            game_text=json.dumps({**PLAYABLE, "pddl_problem": None, "solvable": True})
        ),
        "pick_cool_then_place_in_recep-D-None-Fridge-1": dict(game_text=json.dumps(PLAYABLE)),
        "pick_cool_then_place_in_recep-E-None-Fridge-1": dict(solvable=False),
        "pick_cool_then_place_in_recep-F-None-Fridge-1": dict(traj_text="{}"),
        "pick_cool_then_place_in_recep-G-None-Fridge-1": dict(traj_text="oops"),
        "cook_dinner-H-None-Fridge-1": dict(with_traj=False),
    }
    for name, kwargs in cases.items():
        _write_game(tmp_path, name, **kwargs)
    _write_game(tmp_path, "pick_and_place_simple-Mug-None-Desk-301")  # another type: not an error
    scan = scan_game_files(tmp_path, COOL)
    assert scan.games == [good] and scan.other_types == 1
    reasons = {path.parts[-3].split("-")[1]: why for path, why in scan.skipped}
    assert "not valid JSON" in reasons["A"]
    assert "holds a list, not a JSON object" in reasons["B"]
    assert "lacks ['pddl_problem']" in reasons["C"]
    assert "no 'solvable' key" in reasons["D"]
    assert reasons["E"] == "ALFWorld: marked unsolvable"
    assert "traj_data.json has no 'task_type'" in reasons["F"]
    assert "traj_data.json is not valid JSON" in reasons["G"]
    assert "unknown task type 'cook_dinner' in the task folder name" in reasons["H"]
    # Unsolvable games follow ALFWorld's convention; the other seven are broken files.
    assert len(scan.malformed) == 7
    assert all(str(path) in scan.summary() for path, _ in scan.skipped)


@pytest.mark.skipif(HAVE_ALFWORLD, reason="alfworld is installed")
def test_real_backend_without_alfworld_says_how_to_install() -> None:
    with pytest.raises(ImportError, match=r"lamer-envs\[alfworld\]"):
        ALFWorldEnv(backend="real")


@needs_alfworld
def test_folder_without_playable_games_lists_the_skipped_files(tmp_path: Path) -> None:
    train = tmp_path / "json_2.1.1" / "train"
    broken = _write_game(train, "pick_cool_then_place_in_recep-A-None-Fridge-1", game_text="{")
    with pytest.raises(FileNotFoundError) as caught:
        ALFWorldEnv(backend="real", data_path=str(tmp_path), split="eval_out_of_distribution")
    assert "valid_unseen does not exist" in str(caught.value)
    with pytest.raises(FileNotFoundError) as caught:
        ALFWorldEnv(backend="real", data_path=str(tmp_path), split="train_all_types")
    message = str(caught.value)
    assert "no playable ALFWorld games" in message and "1 skipped" in message
    assert f"{broken}: game.tw-pddl is not valid JSON" in message


@needs_alfworld
def test_malformed_files_next_to_playable_games_raise_a_warning(tmp_path: Path) -> None:
    train = tmp_path / "json_2.1.1" / "train"
    _write_game(train, "pick_cool_then_place_in_recep-A-None-Fridge-1")
    broken = _write_game(train, "pick_cool_then_place_in_recep-B-None-Fridge-1", game_text="[]")
    _write_game(train, "pick_cool_then_place_in_recep-C-None-Fridge-1", solvable=False)
    with pytest.warns(UserWarning, match="1 malformed ALFWorld game") as caught:
        env = ALFWorldEnv(backend="real", data_path=str(tmp_path), split="train_all_types")
    assert str(broken) in str(caught[0].message)
    assert len(env._real_games.game_files) == 1 and len(env._real_games.scan.skipped) == 2


@needs_alfworld
def test_a_game_the_engine_cannot_load_names_the_file(tmp_path: Path) -> None:
    game_file = _write_game(tmp_path, "pick_cool_then_place_in_recep-A-None-Fridge-1")
    game = RealGame(game_file, max_steps=5)
    with pytest.raises(RuntimeError, match="cannot load this game") as caught:
        game.reset()
    assert str(game_file) in str(caught.value)


def test_a_bad_games_record_names_its_position_game_id_and_field() -> None:
    golden = Path(__file__).parent / "golden" / "transcripts.jsonl"
    record = json.loads(golden.read_text().splitlines()[0])
    del record["scene"]["objects"][1]["type"]
    with pytest.raises(
        RecordError,
        match=r"games\[1\]: game record 'shared-3-.*': "
        r"scene.objects\[1\] lacks 'type'",
    ):
        ALFWorldEnv(games=[json.loads(golden.read_text().splitlines()[1]), record])
    with pytest.raises(RecordError, match=r"games\[0\]: game record 'x': missing field 'scene'"):
        ALFWorldEnv(games=[{"game_id": "x"}])
    with pytest.raises(RecordError, match="must be a mapping, got list"):
        ALFWorldEnv(games=[["not", "a", "record"]])


def _real_data_present() -> bool:
    return HAVE_ALFWORLD and (default_data_path() / "json_2.1.1" / "train").is_dir()


@pytest.mark.skipif(not _real_data_present(), reason="ALFWorld's own game data is not installed")
def test_alfworld_data_games_play_with_the_same_info_fields() -> None:
    env = ALFWorldEnv(backend="real", split="train_all_types")
    obs, info = env.reset(seed=0)
    assert obs.startswith("-= Welcome to TextWorld, ALFRED! =-")
    assert set(INFO_KEYS) <= set(info) and info[ADMISSIBLE_ACTIONS]
    command = next(a for a in info[ADMISSIBLE_ACTIONS] if a.startswith("go to "))
    obs, reward, terminated, truncated, step_info = env.step(f"<action>{command}</action>")
    assert obs.startswith("You arrive at ")
    assert step_info["action_is_admissible"] and step_info[ANCHOR] != info[ANCHOR]
    assert (reward, terminated, truncated) == (0.0, False, False)
