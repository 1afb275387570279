"""Whole runs on CPU: two iterations of the real pipeline per env (tiny model, tiny budget)
with two eval sets (held-out tasks and a harder variant), and ``lamer-train eval
--checkpoint`` on the result."""

from __future__ import annotations

import importlib.util
import json

import pytest

from lamer_train.checkpoint import latest_checkpoint, load_checkpoint
from lamer_train.cli import main
from lamer_train.report import read_metrics

TINY = [
    "run.iterations=2", "run.checkpoint_every=1", "run.samples_every=1", "run.progress=false",
    "run.torch_threads=1",
    "trial.tasks_per_iteration=2", "trial.group_size=2", "trial.num_attempts=2",
    "trial.sampling.max_new_tokens=8", "env.max_turns=1",
    "eval.num_tasks=2", "eval.num_attempts=2", "eval.every=2", "eval.sampling.max_new_tokens=8",
    "warmup.steps=1", "warmup.examples=4", "warmup.batch_size=2",
    "actor.mini_batch_size=8", "actor.micro_batch_size=8",
    "model.name_or_path=tiny",
    "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64", "model.tiny_num_layers=1",
]  # fmt: skip

# Each env: its overrides and the name of its second (harder) eval set, which also plays
# a single attempt, so its metrics stop at pass@1.
ENVS = {
    "sokoban": (
        [
            "env.id=lamer/Sokoban-v0",
            "env.kwargs={num_boxes: 1, max_sol_steps: 6, min_steps: 1}",
            "eval.sets={held_out: {}, two_boxes: {env_kwargs: {num_boxes: 2}, num_attempts: 1}}",
        ],
        "two_boxes",
    ),
    "minesweeper": (
        [
            "env.id=lamer/MineSweeper-v0",
            "env.kwargs={}",
            "trial.reflection_style=last_tags",
            "eval.sets={held_out: {}, more_mines: {env_kwargs: {n_mines: 5}, num_attempts: 1}}",
        ],
        "more_mines",
    ),
}


def _has_env(name: str) -> bool:
    return importlib.util.find_spec(f"lamer_envs.{name}.env") is not None


@pytest.mark.parametrize("env", sorted(ENVS))
def test_two_iteration_run_writes_every_output(env, tmp_path, capsys):
    if not _has_env(env):
        pytest.skip(f"lamer_envs.{env} is not installed")
    run_dir = tmp_path / env
    overrides, harder = ENVS[env]
    code = main([f"run.output_dir={tmp_path}", f"run.name={env}", *overrides, *TINY])
    out = capsys.readouterr().out
    assert code == 0
    assert str(run_dir) in out
    # The end-of-run table lists both sets' pass@k.
    table = out[out.index("evaluation on held-out tasks") :]
    assert "held_out" in table and harder in table and "pass@2" in table

    # Iterations count from 1 everywhere; 0 is the evaluation before training.
    rows = read_metrics(run_dir / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [0, 1, 2]
    sets = ("held_out", harder)
    for row in (rows[0], rows[2]):
        assert {
            "eval/held_out/pass@1",
            "eval/held_out/pass@2",
            "eval/held_out/invalid_action_rate",
            f"eval/{harder}/pass@1",
            f"eval/{harder}/invalid_action_rate",
        } <= set(row)
        assert f"eval/{harder}/pass@2" not in row  # that set plays one attempt
    assert "rollout/rows" not in rows[0]
    assert not any(k.startswith("eval/") for k in rows[1])  # eval.every=2
    assert rows[1]["rollout/rows"] >= 4  # at least one play row per trial
    assert rows[1]["actor/optimizer_steps"] >= 1
    assert rows[1]["time/generation_s"] > 0 and rows[1]["time/update_s"] > 0
    assert "iter 0/2 (before training)" in out and "iter 1/2 |" in out and "iter 2/2 |" in out
    # Start-up says what it builds, in order, before the first iteration.
    steps = ["run folder", "loading torch", "building the model", "model ready",
             "envs lamer/", "warm-up (random trials)", "evaluating before training", "iter 1/2 |"]  # fmt: skip
    positions = [out.index(step) for step in steps]
    assert positions == sorted(positions), out

    checkpoint = latest_checkpoint(run_dir)
    assert checkpoint is not None and checkpoint.name == "iter_000002"
    state = load_checkpoint(checkpoint).state
    assert state.iteration == 2 and state.data_position == 4
    assert "eval_start" in state.extra

    assert (run_dir / "config.yaml").is_file()
    summary = json.loads((run_dir / "eval_summary.json").read_text())
    assert list(summary["eval_start"]) == list(summary["eval_end"]) == list(sets)
    assert summary["eval_end"]["held_out"]["pass@2"] == rows[2]["eval/held_out/pass@2"]
    assert summary["eval_start"]["held_out"]["pass@2"] == rows[0]["eval/held_out/pass@2"]
    assert summary["eval_end"][harder]["pass@1"] == rows[2][f"eval/{harder}/pass@1"]
    assert set(summary["eval_start"]["held_out"]) == set(summary["eval_end"]["held_out"])
    end = summary["eval_end"]["held_out"]  # Wilson 95% interval around each pass@k
    assert (
        end["num_trials"] == 2 and end["pass@2_ci95"][0] <= end["pass@2"] <= end["pass@2_ci95"][1]
    )
    assert "[" in out.split("evaluation on held-out tasks")[-1]  # the table shows them
    # the paired change of each pass@k, start to end, matches the two evaluations
    change = summary["change"]["held_out"]["pass@2"]
    assert change["mean"] == pytest.approx(
        summary["eval_end"]["held_out"]["pass@2"] - summary["eval_start"]["held_out"]["pass@2"]
    )
    assert change["tasks"] == 2 and "change" in out.split("evaluation on held-out tasks")[-1]
    samples = {p.name for p in (run_dir / "samples").glob("*.html")}
    assert samples == {"iter_000001.html", "iter_000002.html"} | {
        f"eval_iter_00000{k}_{name}.html" for k in (0, 2) for name in sets
    }
    assert "advantage" in (run_dir / "samples" / "iter_000001.html").read_text()
    assert (run_dir / "plots" / "reward.png").is_file()
    assert (run_dir / "plots" / "pass_at_k.png").is_file()
    assert list((run_dir / "tensorboard").iterdir())

    # Evaluate one set of the checkpoint from the command line, then every set.
    results = run_dir / "eval" / checkpoint.name
    assert main(["eval", "--checkpoint", str(checkpoint), "--set", harder]) == 0
    assert [p.name for p in results.iterdir()] == [f"{harder}.json"]
    alone = json.loads((results / f"{harder}.json").read_text())
    assert main(["eval", "--checkpoint", str(checkpoint)]) == 0
    # A set's sampling seeds depend on its name only: alone or with the others, same result.
    assert json.loads((results / f"{harder}.json").read_text()) == alone
    assert sorted(p.name for p in results.iterdir()) == sorted(["held_out.json", f"{harder}.json"])
    evaluated = json.loads((results / "held_out.json").read_text())
    assert 0.0 <= evaluated["pass@1"] <= evaluated["pass@2"] <= 1.0
    assert main(["eval", "--checkpoint", str(checkpoint), "--set", "no_such_set"]) == 2
    assert "no_such_set" in capsys.readouterr().err
