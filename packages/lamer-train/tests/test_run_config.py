"""A run folder's config.yaml is written atomically and a damaged one is an error on
resume (never defaults); ``--resume`` falls back over damaged checkpoints, says which it
skipped, and removes the leftovers of a killed save."""

from __future__ import annotations

import os

import pytest

from lamer_train.checkpoint import list_checkpoints, load_checkpoint
from lamer_train.cli import main
from lamer_train.config import ConfigError, LaMerConfig
from lamer_train.report import read_metrics
from lamer_train.run_config import CONFIG_FILE, END_MARKER, load_run_config, write_run_config


def test_run_config_round_trips_and_ends_with_the_marker(tmp_path):
    config = LaMerConfig(seed=7)
    write_run_config(tmp_path, config)
    text = (tmp_path / CONFIG_FILE).read_text()
    assert text.rstrip().endswith(END_MARKER)
    assert load_run_config(tmp_path) == config
    assert [p.name for p in tmp_path.iterdir()] == [CONFIG_FILE]  # no temporary left


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: "", "is empty"),
        (lambda text: text[: len(text) // 2], "truncated"),
        (lambda text: "\n".join(text.splitlines()[:5]) + "\n", "truncated"),
        (lambda text: "seed: 0\n" + END_MARKER + "\n", "lacks sections"),
        (lambda text: "run: [unclosed\n" + END_MARKER + "\n", "not valid YAML"),
        (lambda text: "- a list\n" + END_MARKER + "\n", "mapping"),
    ],
    ids=["empty", "cut-mid-line", "cut-at-a-line", "sections-missing", "unparseable", "list"],
)
def test_a_damaged_run_config_is_an_error_naming_it_never_defaults(tmp_path, damage, message):
    write_run_config(tmp_path, LaMerConfig(seed=7))
    path = tmp_path / CONFIG_FILE
    path.write_text(damage(path.read_text()))
    with pytest.raises(ConfigError, match=message) as error:
        load_run_config(tmp_path)
    assert CONFIG_FILE in str(error.value)


def test_a_binary_run_config_is_an_error_naming_it(tmp_path):
    (tmp_path / CONFIG_FILE).write_bytes(bytes(range(256)))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_run_config(tmp_path)


def test_resume_refuses_an_empty_run_config_and_leaves_it_alone(tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / CONFIG_FILE).write_text("")
    assert main(["--resume", str(run_dir)]) == 2
    assert "is empty" in capsys.readouterr().err
    assert (run_dir / CONFIG_FILE).read_text() == ""


@pytest.fixture
def finished_run(tiny_run, tmp_path):
    """The folder of a finished two-iteration tiny run that kept every checkpoint."""
    arguments = [f"run.output_dir={tmp_path}", "run.name=run", *tiny_run, "run.iterations=2"]
    assert main([*arguments, "run.keep_checkpoints=0"]) == 0
    return tmp_path / "run"


def test_resume_falls_back_over_a_damaged_checkpoint_and_cleans_leftovers(finished_run, capsys):
    run_dir = finished_run
    newest = run_dir / "checkpoints" / "iter_000002"
    (newest / "actor.pt").write_bytes(b"")  # what a full disk or a bad copy leaves
    dead = os.getpid() + 1_000_000
    leftover = run_dir / "checkpoints" / f".tmp-iter_000003-{dead}"
    leftover.mkdir()
    (run_dir / f".tmp-config.yaml-{dead}").write_text("half")
    capsys.readouterr()

    assert main(["--resume", str(run_dir), "run.iterations=3"]) == 0
    out = capsys.readouterr().out
    assert "skipping checkpoint iter_000002" in out and "actor.pt" in out
    assert "resuming at iteration 2" in out
    assert not leftover.exists() and not (run_dir / f".tmp-config.yaml-{dead}").exists()
    assert [r["iteration"] for r in read_metrics(run_dir / "metrics.jsonl")] == [1, 2, 3]
    assert load_checkpoint(run_dir).state.iteration == 3
    assert [p.name for p in list_checkpoints(run_dir)] == [
        "iter_000001",
        "iter_000002",
        "iter_000003",
    ]
    assert load_checkpoint(newest).state.iteration == 2  # rewritten intact


def test_resume_with_no_intact_checkpoint_is_an_error_naming_the_files(finished_run, capsys):
    run_dir = finished_run
    for folder in list_checkpoints(run_dir):
        (folder / "rng.pt").write_bytes(b"\x00" * 10)
    capsys.readouterr()
    assert main(["--resume", str(run_dir)]) == 3
    err = capsys.readouterr().err
    assert "checkpoint error:" in err and "Traceback" not in err
    assert "iter_000001" in err and "iter_000002" in err and "rng.pt" in err
