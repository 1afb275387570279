"""``lamer-train experiment``: a whole experiment at a tiny budget (3 methods x 1 seed x 1
iteration), its resume, its report; spec checks; the shipped paper specs resolve."""

from __future__ import annotations

import json

import pytest
import yaml

from lamer_train.cli import main
from lamer_train.config import ConfigError
from lamer_train.experiment import SHIPPED_SPECS, load_experiment

TINY = [
    "run.iterations=1", "run.progress=false", "run.tensorboard=false", "run.torch_threads=1",
    "env.id=lamer/Sokoban-v0", "env.kwargs={num_boxes: 1, max_sol_steps: 6, min_steps: 1}",
    "env.max_turns=1", "trial.tasks_per_iteration=2", "trial.sampling.max_new_tokens=6",
    "eval.num_tasks=2", "eval.num_attempts=2", "eval.sampling.max_new_tokens=6",
    "eval.sets={held_out: {}, two_boxes: {env_kwargs: {num_boxes: 2}}}",
    "warmup.steps=0", "actor.mini_batch_size=8", "actor.micro_batch_size=8",
    "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64", "model.tiny_num_layers=1",
]  # fmt: skip
BASELINE = [
    "trial.group_size=2", "trial.num_attempts=1", "trial.reflection=false",
    "trial.memory_mode=none", "eval.reflection=false", "eval.memory_mode=none",
]  # fmt: skip


def write_spec(folder, **changes) -> str:
    spec = {
        "name": "smoke",
        "output_dir": str(folder),
        "seeds": [0],
        "overrides": TINY,
        "methods": {
            "lamer": {"overrides": ["trial.group_size=1", "trial.num_attempts=2"]},
            "gigpo": {"overrides": BASELINE},
            "grpo": {"overrides": [*BASELINE, "algorithm.estimator=grpo"]},
        },
        **changes,
    }
    path = folder / "smoke.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return str(path)


def test_experiment_trains_every_cell_resumes_and_writes_the_report(tmp_path, capsys):
    spec = write_spec(tmp_path)
    assert main(["experiment", spec]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "smoke"
    cells = folder / "cells"
    names = ["lamer-seed0", "gigpo-seed0", "grpo-seed0"]
    for number, name in enumerate(names, start=1):
        assert f"cell {number}/3 {name}: training" in out
        summary = json.loads((cells / name / "eval_summary.json").read_text())
        assert set(summary["eval_end"]) == {"held_out", "two_boxes"}
        records = (cells / name / "eval_trials" / "eval_iter_000001_held_out.jsonl").read_text()
        assert len(records.splitlines()) == 2  # every eval trial: 2 tasks x 1 trial
    # The baselines evaluate with plain retries, LaMer with reflections.
    lamer = (cells / "lamer-seed0" / "eval_trials" / "eval_iter_000001_held_out.jsonl").read_text()
    gigpo = (cells / "gigpo-seed0" / "eval_trials" / "eval_iter_000001_held_out.jsonl").read_text()
    assert '"phase": "reflect"' not in gigpo
    assert '"phase": "reflect"' in lamer or '"won_at": 0' in lamer
    report = (folder / "report.md").read_text()
    assert "Status: complete" in report
    assert "pass@2 - pass@1" in report and "95%" in report
    for figure in ("learning_curves.png", "pass_at_k.png", "gap.png", "diversity.png"):
        assert (folder / figure).stat().st_size > 1000
        assert figure in report
    assert all(float((cells / f"{n}.wall_s").read_text()) > 0 for n in names)

    # A second call trains nothing: every cell is skipped, no metrics are appended.
    before = {n: (cells / n / "metrics.jsonl").read_text() for n in names}
    assert main(["experiment", spec]) == 0
    out = capsys.readouterr().out
    assert all(f"{n}: done, skipped" in out for n in names) and "training" not in out
    assert {n: (cells / n / "metrics.jsonl").read_text() for n in names} == before

    # A cell interrupted after its checkpoint (no summary yet) is resumed, not restarted,
    # also from a process that runs only its seed with other threads.
    (cells / "grpo-seed0" / "eval_summary.json").unlink()
    assert main(["experiment", spec, "--seeds", "0", "run.torch_threads=2"]) == 0
    out = capsys.readouterr().out
    assert "cell 3/3 grpo-seed0: resuming" in out and "resuming from" in out
    assert "ETA" in out  # from the finished cells' wall times
    assert (cells / "grpo-seed0" / "eval_summary.json").is_file()
    assert (cells / "grpo-seed0" / "metrics.jsonl").read_text() == before["grpo-seed0"]

    # A report written while a cell is unfinished says so and leaves the cell out.
    (cells / "gigpo-seed0" / "eval_summary.json").rename(tmp_path / "summary.json")
    assert main(["experiment", spec, "--report-only"]) == 0
    report = (folder / "report.md").read_text()
    assert "PARTIAL: 2 of 3 cells finished" in report
    (tmp_path / "summary.json").rename(cells / "gigpo-seed0" / "eval_summary.json")

    # A changed spec does not silently reuse cells run with the old settings.
    changed = write_spec(tmp_path, overrides=[*TINY, "actor.lr=0.5"])
    assert main(["experiment", changed]) == 2
    assert "another config" in capsys.readouterr().err


def test_report_only_needs_cells_that_ran(tmp_path, capsys):
    spec = write_spec(tmp_path, seeds=[0, 1])
    assert len(load_experiment(spec).cells) == 6
    assert main(["experiment", spec, "--report-only"]) == 2
    assert "no cells have run" in capsys.readouterr().err
    assert main(["experiment", spec, "--seeds", "7"]) == 2
    assert "--seeds: [7] not in the spec's seeds [0, 1]" in capsys.readouterr().err
    assert not (tmp_path / "smoke").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reference_method": "nope"}, "reference_method"),
        ({"seeds": [1, 1]}, "distinct"),
        ({"methods": {"lamer": {"overrides": ["trial.bogus=1"]}}}, "method 'lamer'"),
        ({"methods": {"lamer": {}, "gigpo": {"overrides": BASELINE[:2]}}}, "episodes"),
        ({"methods": {"lamer": {}, "gigpo": {"overrides": ["eval.num_tasks=3"]}}}, "eval.sets"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_bad_spec_is_a_config_error_before_any_run(tmp_path, changes, message, capsys):
    spec = write_spec(tmp_path, **changes)
    with pytest.raises(ConfigError, match=message):
        load_experiment(spec)
    assert main(["experiment", spec]) == 2
    assert not (tmp_path / "smoke").exists()


def test_every_cell_is_checked_like_a_run_before_any_cell_trains(tmp_path, capsys):
    missing = tmp_path / "no_such_model"
    spec = write_spec(
        tmp_path, methods={"lamer": {}, "gigpo": {"overrides": [f"model.name_or_path={missing}"]}}
    )
    # The methods differ in their model: not comparable.
    assert main(["experiment", spec]) == 2
    assert "model.name_or_path" in capsys.readouterr().err
    spec = write_spec(tmp_path, overrides=[*TINY, f"model.name_or_path={missing}"])
    assert main(["experiment", spec]) == 2
    assert "no_such_model" in capsys.readouterr().err
    assert not (tmp_path / "smoke").exists()


@pytest.mark.parametrize("name", sorted(p.stem for p in SHIPPED_SPECS.glob("*_paper.yaml")))
def test_paper_specs_resolve_to_the_paper_configs_with_equal_episodes(name):
    experiment = load_experiment(name)
    assert {c.name for c in experiment.cells} == {
        f"{m}-seed{s}" for m in ("lamer", "gigpo", "grpo") for s in (0, 1, 2)
    }
    env = name.removesuffix("_paper")
    for cell in experiment.cells:
        config = cell.config
        assert config.run.iterations == 300 and config.seed == cell.seed
        assert config.model.name_or_path == "Qwen/Qwen3-4B"
        trial = config.trial
        assert trial.tasks_per_iteration * trial.group_size * trial.num_attempts == 16 * 24
        if cell.method == "lamer":
            assert (trial.group_size, trial.num_attempts, config.eval.reflection) == (8, 3, True)
        else:
            assert (trial.group_size, trial.num_attempts, config.eval.reflection) == (24, 1, False)
            assert config.algorithm.estimator == cell.method
        assert config.eval.num_attempts == 3
        assert env in config.env.id.lower()


def test_main_scale_spec_is_the_main_job_on_untuned_seeds():
    """``sokoban_main``: every cell is the main job (its warm start, rate, sampling and 20
    iterations) with equal sampled episodes, on seeds the main job was not tuned on."""
    experiment = load_experiment("sokoban_main")
    assert sorted({cell.seed for cell in experiment.cells}) == [3, 4, 5]
    for cell in experiment.cells:
        config = cell.config
        assert config.model.name_or_path == "warm_start:sokoban_6x6_trials"
        assert (config.run.iterations, config.actor.lr, config.trial.sampling.temperature) == (
            20,
            3e-4,
            0.7,
        )
        trial = config.trial
        assert trial.tasks_per_iteration * trial.group_size * trial.num_attempts == 8 * 24
        assert (trial.num_attempts, config.eval.reflection) == (
            (3, True) if cell.method == "lamer" else (1, False)
        )
        assert set(config.eval.sets) == {"held_out", "room_7x7"}
