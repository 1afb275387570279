"""Models by Hub id or folder: the early check, offline (``HF_HUB_OFFLINE=1``) and cached.

The Hub cases run in a fresh process: huggingface_hub reads ``HF_HUB_OFFLINE`` and the
cache location when it is imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lamer_train.model_config import ModelConfig
from lamer_train.model_source import ModelSourceError, check_model_source


def _offline_env(cache: Path) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "HF_HOME": str(cache)}


def test_uncached_hub_id_offline_is_one_line_before_the_run_folder_exists(tmp_path):
    runs = tmp_path / "runs"
    result = subprocess.run(
        [sys.executable, "-m", "lamer_train.cli", "model.name_or_path=nobody-here/no-such-model",
         f"run.output_dir={runs}", "run.name=offline"],
        env=_offline_env(tmp_path / "cache"), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "nobody-here/no-such-model" in lines[0] and "HF_HUB_OFFLINE" in lines[0]
    assert not (runs / "offline").exists()


def test_cached_hub_id_resolves_offline(tmp_path):
    # The layout huggingface_hub keeps for a downloaded model: refs/main -> snapshot.
    repo = tmp_path / "cache" / "models--someone--tiny-model"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text('{"model_type": "qwen3"}')
    code = (
        "from lamer_train.model_config import ModelConfig;"
        "from lamer_train.model_source import check_model_source;"
        "print(check_model_source(ModelConfig(name_or_path='someone/tiny-model')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=_offline_env(tmp_path / "cache"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hub"


@pytest.mark.parametrize("name", ["./missing-folder", "a/b/c"])
def test_path_like_names_that_do_not_exist_are_not_taken_for_hub_ids(name):
    with pytest.raises(ModelSourceError, match="no such checkpoint folder"):
        check_model_source(ModelConfig(name_or_path=name))


def test_tiny_needs_no_lookup():
    assert check_model_source(ModelConfig()) == "tiny"
