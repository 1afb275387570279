"""Kill-and-resume: SIGKILL a run after its first checkpoint, ``--resume`` it, and the
metrics cover every iteration exactly once."""

from __future__ import annotations

from pathlib import Path

from lamer_train.checkpoint import load_checkpoint
from lamer_train.cli import main
from lamer_train.report import read_metrics

TINY = [
    "run.iterations=4", "run.checkpoint_every=1", "run.progress=false", "run.tensorboard=false",
    "run.torch_threads=1",
    "env.id=lamer/Sokoban-v0", "env.kwargs={num_boxes: 1, max_sol_steps: 6, min_steps: 1}",
    "env.max_turns=1", "trial.tasks_per_iteration=2", "trial.group_size=2",
    "trial.num_attempts=2", "trial.sampling.max_new_tokens=6",
    "eval.at_start=false", "eval.every=100", "eval.num_tasks=2", "eval.num_attempts=2",
    "eval.sampling.max_new_tokens=6", "warmup.steps=0",
    "actor.mini_batch_size=8", "actor.micro_batch_size=8",
    "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64", "model.tiny_num_layers=1",
]  # fmt: skip


def test_killed_run_resumes_without_repeated_or_missing_iterations(
    tmp_path, kill_after_first_checkpoint
):
    run_dir = tmp_path / "run"
    kill_after_first_checkpoint([f"run.output_dir={tmp_path}", "run.name=run", *TINY], run_dir)
    killed_at = load_checkpoint(run_dir).state.iteration
    assert 1 <= killed_at < 4  # killed mid-run, not after the end

    assert main(["--resume", str(run_dir)]) == 0
    rows = read_metrics(Path(run_dir) / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2, 3, 4]
    final = load_checkpoint(run_dir).state
    assert final.iteration == 4 and final.data_position == 4 * 2
