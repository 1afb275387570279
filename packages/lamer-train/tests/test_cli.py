"""The ``lamer-train`` command: show-config, list, errors before any work, your own env."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lamer_train.cli import main
from lamer_train.config import config_to_yaml, load_config

FIXTURES = Path(__file__).parent / "fixtures"


def _show(capsys, *args: str) -> str:
    assert main(["show-config", *args]) == 0
    return capsys.readouterr().out


def test_show_config_prints_the_resolved_config_and_an_override_changes_one_line(capsys):
    base = _show(capsys).splitlines()
    over = _show(capsys, "actor.lr=0.0002", "trial.sampling.top_p=0.9").splitlines()
    changed = [(a, b) for a, b in zip(base, over, strict=True) if a != b]
    cpu = load_config("cpu_default")  # no --config: the CPU default
    top_p, lr = cpu.trial.sampling.top_p, cpu.actor.lr
    assert changed == [(f"    top_p: {top_p}", "    top_p: 0.9"), (f"  lr: {lr}", "  lr: 0.0002")]
    assert yaml.safe_load("\n".join(base)) == load_config("cpu_default").model_dump(mode="json")


def test_show_config_of_a_shipped_config_is_what_a_run_would_use(capsys):
    text = _show(capsys, "--config", "lamer_sokoban", "trial.group_size=4")
    assert yaml.safe_load(text) == load_config("lamer_sokoban", ["trial.group_size=4"]).model_dump(
        mode="json"
    )


def test_show_config_reports_a_bad_override_naming_the_field(capsys):
    assert main(["show-config", "trial.grup_size=4"]) == 2
    assert "trial.grup_size" in capsys.readouterr().err


def test_list_names_envs_estimators_and_configs_with_their_package(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()

    def line_of(name: str) -> str:
        return next(line for line in lines if line.split()[:1] == [name])

    for env_id in ("lamer/Sokoban-v0", "lamer/MineSweeper-v0", "lamer/WebShop-v0"):
        assert "lamer-envs" in line_of(env_id)
    assert "CartPole-v1" not in out  # gymnasium's own envs are not text envs
    for estimator in ("gigpo", "grpo", "rloo"):
        assert "lamer-algos" in line_of(estimator) and "not supported" not in line_of(estimator)
    for estimator in ("gae", "reinforce_pp", "reinforce_pp_baseline"):
        assert "not supported" not in line_of(estimator)
    assert "LaMer on Sokoban" in line_of("lamer_sokoban")
    assert "The CPU default run" in line_of("cpu_default")
    assert "The paper's MineSweeper comparison" in line_of("minesweeper_paper")


def test_help_show_config_list_and_config_errors_never_import_torch(tmp_path):
    checkpoint = tmp_path / "run" / "checkpoints" / "iter_000001"
    checkpoint.mkdir(parents=True)
    (tmp_path / "run" / "config.yaml").write_text(config_to_yaml(load_config()))
    code = (
        "import sys\n"
        "from lamer_train.cli import main\n"
        f"assert main(['eval', '--checkpoint', r'{checkpoint}', 'trial.grup_size=1']) == 2\n"
        "assert main(['show-config', '--config', 'lamer_webshop']) == 0\n"
        "assert main(['list']) == 0\n"
        f"assert main(['run.output_dir={tmp_path}', 'trial.group_size=-1']) == 2\n"
        f"assert main(['run.output_dir={tmp_path}', 'algorithm.estimator=nosuch']) == 2\n"
        "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
        "print('HEAVY', ','.join(heavy) or 'none')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "HEAVY none" in result.stdout


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("algorithm.estimator=nosuch", "algorithm.estimator"),
        ("algorithm.estimator_params.mode=nonsense", "algorithm.estimator_params"),
        ("env.id=lamer/NoSuchEnv-v0", "env.id"),
        ("env.kwargs.num_boxes=0", "env.kwargs"),
        ("model.name_or_path=./no/such/checkpoint", "model.name_or_path"),
        ("model.name_or_path=no-such-org/no-such-model-12345", "no-such-org/no-such-model-12345"),
        ("model.tokenizer=./no/such/tokenizer", "model.tokenizer"),
    ],
)
def test_every_checkable_error_stops_before_the_run_folder_exists(
    override, named, tmp_path, capsys
):
    code = main([f"run.output_dir={tmp_path}", "run.name=x", override])
    assert code == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--nproc-per-node", "2", "actor.lr=-1"], "actor.lr"),
        (["--nproc-per-node=0"], "--nproc-per-node"),
    ],
)
def test_nproc_per_node_reports_errors_before_starting_any_rank(arguments, named, tmp_path, capsys):
    code = main([*arguments, f"run.output_dir={tmp_path}", "run.name=x"])
    assert code == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_output_dir_under_a_file_is_a_config_error(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert main([f"run.output_dir={blocker / 'runs'}", "run.name=x"]) == 2
    err = capsys.readouterr().err
    assert "is a file" in err and "run.output_dir" in err


def test_own_gymnasium_env_by_module_prefix(monkeypatch, capsys):
    # `env.id=my_module:my/Env-v0`: gymnasium imports my_module, which registers the id.
    monkeypatch.syspath_prepend(str(FIXTURES))
    from lamer_train.preflight import check_env

    config = load_config(None, ["env.id=guess_env:tiny/Guess-v0"])
    assert config.env.kwargs == {}  # Sokoban's default kwargs stay with Sokoban
    check_env(config)
    with pytest.raises(Exception, match="digit"):
        check_env(load_config(None, ["env.id=guess_env:tiny/Guess-v0", "env.kwargs.digit=3"]))


def test_one_iteration_on_an_own_env_module_in_the_current_folder(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(FIXTURES)  # guess_env.py sits here, as a user's module would
    monkeypatch.setattr(sys, "path", list(sys.path))  # main() appends the current folder
    tiny = [
        "run.iterations=1", "run.progress=false", "run.torch_threads=1",
        "trial.tasks_per_iteration=2", "trial.group_size=2", "trial.num_attempts=2",
        "trial.sampling.max_new_tokens=8", "env.max_turns=1", "eval.at_start=false",
        "eval.num_tasks=2", "eval.num_attempts=2", "eval.sampling.max_new_tokens=8",
        "warmup.steps=1", "warmup.examples=4", "warmup.batch_size=2",
        "actor.mini_batch_size=8", "actor.micro_batch_size=8", "model.name_or_path=tiny",
        "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64", "model.tiny_num_layers=1",
    ]  # fmt: skip
    code = main(
        [f"run.output_dir={tmp_path}", "run.name=guess", "env.id=guess_env:tiny/Guess-v0", *tiny]
    )
    assert code == 0, capsys.readouterr().err
    config = yaml.safe_load((tmp_path / "guess" / "config.yaml").read_text())
    assert (config["env"]["id"], config["env"]["kwargs"]) == ("guess_env:tiny/Guess-v0", {})
    assert (tmp_path / "guess" / "metrics.jsonl").read_text().strip()
