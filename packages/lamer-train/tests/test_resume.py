"""Kill-and-resume: SIGKILL a run after its first checkpoint, ``--resume`` it, and the
metrics cover every iteration exactly once."""

from __future__ import annotations

from pathlib import Path

from lamer_train.checkpoint import load_checkpoint
from lamer_train.cli import main
from lamer_train.report import read_metrics


def test_killed_run_resumes_without_repeated_or_missing_iterations(
    tmp_path, tiny_run, kill_after_first_checkpoint
):
    run_dir = tmp_path / "run"
    arguments = [f"run.output_dir={tmp_path}", "run.name=run", *tiny_run, "run.iterations=4"]
    kill_after_first_checkpoint(arguments, run_dir)
    killed_at = load_checkpoint(run_dir).state.iteration
    assert 1 <= killed_at < 4  # killed mid-run, not after the end

    assert main(["--resume", str(run_dir)]) == 0
    rows = read_metrics(Path(run_dir) / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2, 3, 4]
    final = load_checkpoint(run_dir).state
    assert final.iteration == 4 and final.data_position == 4 * 2
