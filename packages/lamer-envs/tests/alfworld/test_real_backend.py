"""The real-ALFWorld adapter: game discovery always; play only when ALFWorld and its data exist."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from lamer_envs.alfworld.env import ADMISSIBLE_ACTIONS, ALFWorldEnv
from lamer_envs.alfworld.real_backend import default_data_path, find_game_files
from lamer_envs.alfworld.tasks import TaskType
from lamer_envs.protocol import ANCHOR, INFO_KEYS

HAVE_ALFWORLD = all(importlib.util.find_spec(name) for name in ("alfworld", "textworld"))


def _write_game(root: Path, task_dir: str, solvable: bool = True, with_traj: bool = True) -> Path:
    folder = root / task_dir / "trial_T0001"
    folder.mkdir(parents=True)
    if with_traj:
        task_type = task_dir.split("-", 1)[0]
        (folder / "traj_data.json").write_text(json.dumps({"task_type": task_type}))
    game_file = folder / "game.tw-pddl"
    game_file.write_text(json.dumps({"solvable": solvable}))
    return game_file


def test_find_game_files_filters_like_alfworld(tmp_path: Path) -> None:
    keep = _write_game(tmp_path, "pick_cool_then_place_in_recep-Apple-None-Fridge-10")
    bare = _write_game(tmp_path, "pick_cool_then_place_in_recep-Egg-None-Fridge-3", with_traj=False)
    _write_game(tmp_path, "pick_and_place_simple-Mug-None-Desk-301")  # other type
    _write_game(tmp_path, "pick_cool_then_place_in_recep-Mug-None-Desk-5", solvable=False)
    _write_game(tmp_path, "pick_cool_then_place_in_recep-AppleSliced-None-Fridge-1")
    found = find_game_files(tmp_path, (TaskType.PICK_COOL_THEN_PLACE,))
    assert found == sorted([keep, bare])


@pytest.mark.skipif(HAVE_ALFWORLD, reason="alfworld is installed")
def test_real_backend_without_alfworld_says_how_to_install() -> None:
    with pytest.raises(ImportError, match=r"lamer-envs\[alfworld\]"):
        ALFWorldEnv(backend="real")


def _real_data_present() -> bool:
    return HAVE_ALFWORLD and (default_data_path() / "json_2.1.1" / "train").is_dir()


@pytest.mark.skipif(not _real_data_present(), reason="alfworld or its game data is not installed")
def test_real_games_play_with_the_same_info_fields() -> None:
    env = ALFWorldEnv(backend="real", split="train_all_types")
    obs, info = env.reset(seed=0)
    assert obs.startswith("-= Welcome to TextWorld, ALFRED! =-")
    assert set(INFO_KEYS) <= set(info) and info[ADMISSIBLE_ACTIONS]
    command = next(a for a in info[ADMISSIBLE_ACTIONS] if a.startswith("go to "))
    obs, reward, terminated, truncated, step_info = env.step(f"<action>{command}</action>")
    assert obs.startswith("You arrive at ")
    assert step_info["action_is_admissible"] and step_info[ANCHOR] != info[ANCHOR]
    assert (reward, terminated, truncated) == (0.0, False, False)
