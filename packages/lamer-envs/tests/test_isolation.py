"""lamer-envs installed alone (with lamer-core) creates and steps both envs, without torch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import importlib.util
    import gymnasium
    import lamer_envs
    assert importlib.util.find_spec("torch") is None, "torch must not be installed"
    sokoban = gymnasium.make("lamer/Sokoban-v0", dim_room=(6, 6), num_boxes=2)
    obs, info = sokoban.reset(seed=4608)
    assert obs == sokoban.unwrapped.initial_observation
    obs, reward, terminated, truncated, info = sokoban.step("<action>up, left</action>")
    assert info["action_is_valid"]
    mines = gymnasium.make("lamer/MineSweeper-v0", board_size=6, n_mines=3)
    mines.reset(seed=0)
    obs, reward, terminated, truncated, info = mines.step("(1, 1)")
    assert isinstance(obs, str) and info["action"] == "(1, 1)"
    print("OK")
    """
)


def test_envs_work_in_an_isolated_install_without_torch() -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.setdefault("UV_PYTHON", f"{sys.version_info.major}.{sys.version_info.minor}")
    command = [
        uv,
        "run",
        "--isolated",
        "--no-project",
        "--quiet",
        "--with",
        "./packages/lamer-core",
        "--with",
        "./packages/lamer-envs",
        "python",
        "-c",
        SCRIPT,
    ]
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("OK")
