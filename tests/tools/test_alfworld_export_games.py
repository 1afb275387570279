"""tools/alfworld_export_games.py writes games ALFWorld's loaders and engine accept."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lamer_envs.alfworld.generator import generate_game
from lamer_envs.alfworld.scene import game_to_record
from lamer_envs.alfworld.splits import make_split

TOOL = Path(__file__).resolve().parents[2] / "tools" / "alfworld_export_games.py"


@pytest.mark.skipif(
    not all(importlib.util.find_spec(name) for name in ("alfworld", "textworld")),
    reason="needs lamer-envs[alfworld] (the dev dependency group installs it)",
)
def test_export_tool_writes_two_games_that_win_on_the_real_engine(tmp_path: Path) -> None:
    split_name = "eval_out_of_distribution"
    result = subprocess.run(
        [
            sys.executable,
            str(TOOL),
            "--out",
            str(tmp_path),
            "--games",
            "2",
            "--split",
            split_name,
            "--first-seed",
            "5",
            "--verify",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wrote 2 games" in result.stdout and "2/2 walkthroughs win" in result.stdout

    # Eval splits go where ALFWorld keeps unseen rooms; one folder per game, as ALFWorld's.
    game_files = sorted((tmp_path / "json_2.1.1" / "valid_unseen").glob("*/*/game.tw-pddl"))
    assert len(game_files) == 2
    split = make_split(split_name)
    expected = {
        game.game_id: game
        for game in (
            generate_game(seed, split.task_types, split.floorplans, stream=split.name)
            for seed in (5, 6)
        )
    }
    for game_file in game_files:
        folder = game_file.parent
        assert (folder / "initial_state.pddl").is_file()
        data = json.loads(game_file.read_text())
        assert data["solvable"] is True and data["walkthrough"]
        assert "UNKNOWN GOAL" not in data["grammar"]
        trajectory = json.loads((folder / "traj_data.json").read_text())
        record = trajectory["lamer_game"]
        game = expected.pop(record["game_id"])
        assert record == json.loads(json.dumps(game_to_record(game)))
        assert trajectory["task_type"] == game.task.task_type.alfworld_name
        assert folder.parent.name.startswith(f"{game.task.task_type.alfworld_name}-")
        assert data["walkthrough"] == list(game.metadata["expert_plan"])
    assert not expected

    # ALFWorld's own loader (AlfredTWEnv, task types 1-6) accepts the folder as its data.
    from alfworld.agents.environment.alfred_tw_env import AlfredTWEnv

    config = {
        "env": {"task_types": [1, 2, 3, 4, 5, 6], "goal_desc_human_anns_prob": 0},
        "dataset": {
            "eval_ood_data_path": str(tmp_path / "json_2.1.1" / "valid_unseen"),
            "num_eval_games": -1,
        },
    }
    loader = AlfredTWEnv(config, train_eval="eval_out_of_distribution")
    assert sorted(map(Path, loader.game_files)) == game_files


def test_export_tool_rejects_a_bad_game_count(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(TOOL), "--out", str(tmp_path), "--games", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "--games must be >= 1" in result.stderr
