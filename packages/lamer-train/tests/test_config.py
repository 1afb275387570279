"""Config: defaults, shipped YAMLs (paper settings), overrides, and errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamer_train.cli import main
from lamer_train.config import (
    SHIPPED_CONFIGS,
    ConfigError,
    LaMerConfig,
    config_to_yaml,
    load_config,
    shipped_config_names,
)

SHIPPED = shipped_config_names()


def test_every_env_has_lamer_gigpo_and_grpo_configs_plus_the_cpu_default():
    for env in ("sokoban", "minesweeper", "webshop", "alfworld"):
        for method in ("lamer", "gigpo", "grpo"):
            assert f"{method}_{env}" in SHIPPED
    assert "cpu_default" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_config_loads_and_its_header_shows_the_command(name):
    load_config(name)
    header = (SHIPPED_CONFIGS / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[:10]
    assert any(
        "uv run lamer-train" in line or "uv run --extra vllm lamer-train" in line for line in header
    )


def test_lamer_train_without_config_runs_the_cpu_default_yaml(capsys):
    assert main(["show-config"]) == 0
    assert capsys.readouterr().out == config_to_yaml(load_config("cpu_default"))


def test_cpu_default_differs_from_the_defaults_only_by_starting_from_the_warm_start():
    # The defaults are the tiny from-scratch model (tests and `--config` files layer onto
    # them); the main job trains the shipped warm start with more tasks and evaluations.
    default, cpu = LaMerConfig(), load_config("cpu_default")
    assert (default.model.name_or_path, default.warmup.steps > 0) == ("tiny", True)
    assert cpu.model.name_or_path.startswith("warm_start:") and cpu.warmup.steps == 0
    assert (cpu.env, cpu.seed) == (default.env, default.seed)


def test_paper_settings_sokoban():
    lamer = load_config("lamer_sokoban")
    assert (lamer.trial.tasks_per_iteration, lamer.trial.group_size, lamer.trial.num_attempts) == (
        16,
        8,
        3,
    )
    assert lamer.trial.reflection and lamer.trial.memory_mode == "reflection_only"
    assert (lamer.algorithm.step_gamma, lamer.algorithm.traj_gamma) == (0.95, 0.9)
    assert lamer.algorithm.estimator == "gigpo"
    assert lamer.algorithm.estimator_params == {"mode": "mean_norm", "step_advantage_w": 1.0}
    assert lamer.algorithm.invalid_action_penalty_coef == 0.5
    assert lamer.env.max_turns == 7 and lamer.trial.max_prompt_tokens == 2048
    assert lamer.actor.lr == 1e-6
    assert (
        lamer.eval.sampling.temperature,
        lamer.eval.sampling.top_p,
        lamer.eval.sampling.top_k,
    ) == (0.7, 0.8, 20)
    for name in ("gigpo_sokoban", "grpo_sokoban"):
        baseline = load_config(name)
        assert (baseline.trial.group_size, baseline.trial.num_attempts) == (24, 1)
        assert not baseline.trial.reflection
        assert baseline.eval.num_attempts == 3 and not baseline.eval.reflection
        assert baseline.eval.memory_mode == "none"
    assert load_config("grpo_sokoban").algorithm.estimator == "grpo"


def test_paper_settings_minesweeper_and_webshop():
    assert load_config("lamer_minesweeper").algorithm.traj_gamma == 0.6
    # The paper's text: 1 attempt; the published scripts: 3 attempts with reflections.
    baseline = load_config("gigpo_minesweeper")
    assert (baseline.trial.group_size, baseline.trial.num_attempts, baseline.trial.reflection) == (
        24,
        1,
        False,
    )
    scripted = load_config("gigpo_minesweeper_reference_script")
    assert (scripted.trial.num_attempts, scripted.trial.reflection) == (3, True)
    webshop = load_config("lamer_webshop")
    assert (
        webshop.trial.tasks_per_iteration,
        webshop.env.max_turns,
        webshop.trial.max_prompt_tokens,
    ) == (8, 12, 8192)
    assert webshop.eval.env_kwargs == {"split": "test"}


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("trial.grup_size=4", "trial.grup_size"),
        ("trial.group_size=0", "trial.group_size"),
        ("actor.lr=fast", "actor.lr"),
        ("nosuch=1", "nosuch"),
        ("trial.sampling.top_p=2", "trial.sampling.top_p"),
        ("algorithm.estimator=nosuch", "algorithm.estimator"),
        ("algorithm.estimator_params.alpha=1", "algorithm.estimator_params"),
        ("trial.reflection=false", "memory_mode"),
        ("trial", "section.field=value"),
        ("trial.sampling.temperature=0.7", "actor.temperature"),
        ("actor.top_k=20", "actor.top_k"),  # the default rollouts do not truncate
        ("actor.top_p=0.5", "actor.top_p"),
    ],
)
def test_bad_key_or_value_is_an_error_naming_the_field(override, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(None, [override])


def test_truncated_scoring_with_importance_weights_on_the_hf_engine_is_refused():
    truncated = ["trial.sampling.top_k=20", "actor.top_k=20"]
    assert load_config(None, truncated).actor.top_k == 20
    with pytest.raises(ConfigError, match="tis_imp_ratio_cap"):
        load_config(None, [*truncated, "actor.tis_imp_ratio_cap=2"])


def test_cli_reports_config_error_before_any_work(tmp_path, capsys):
    code = main([f"run.output_dir={tmp_path}", "run.name=x", "trial.group_size=-1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "trial.group_size" in err
    assert not (Path(tmp_path) / "x").exists()


def test_cli_rejects_an_unknown_config_file(capsys):
    assert main(["--config", "no_such_config"]) == 2
    assert "no_such_config" in capsys.readouterr().err


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_env_kwargs_are_constructor_arguments(name):
    import inspect

    from lamer_envs.registration import ENV_IDS

    config = load_config(name)
    module_name, class_name = ENV_IDS[config.env.id].split(":")
    env_class = getattr(__import__(module_name, fromlist=[class_name]), class_name)
    params = inspect.signature(env_class.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        pytest.skip(f"{class_name} takes **kwargs; its own config validates them")
    for kwargs in (config.env.kwargs, config.eval.env_kwargs):
        assert set(kwargs) <= set(params), f"{name}: {set(kwargs) - set(params)}"


def test_cli_reports_bad_env_kwargs_before_building_the_model(tmp_path, capsys):
    code = main([f"run.output_dir={tmp_path}", "run.name=x", "env.kwargs={num_boxes: 0}"])
    assert code == 2
    err = capsys.readouterr().err
    assert "env.kwargs" in err and "num_boxes" in err
    assert not (tmp_path / "x" / "config.yaml").exists()


def test_config_and_cli_load_without_importing_torch_or_transformers():
    # `--help`, config errors and show-config must stay fast: no torch, no transformers.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from lamer_train.preflight import check_env\n"
        "from lamer_train.config import load_config\n"
        "check_env(load_config('lamer_webshop', ['env.num_workers=0']))\n"
        "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "none"


@pytest.mark.parametrize("env", ["sokoban", "minesweeper", "webshop", "alfworld"])
def test_ppo_configs_are_their_counterparts_with_gae_and_the_reference_critic(env):
    pairs = (
        (f"ppo_{env}", f"gigpo_{env}", "score"),
        (f"lamer_ppo_{env}", f"lamer_{env}", "step_return"),
    )
    for name, counterpart, token_reward in pairs:
        config, base = load_config(name), load_config(counterpart)
        assert config.algorithm.estimator == "gae"
        assert config.algorithm.estimator_params == {"gamma": 1.0, "lam": 1.0}
        assert config.algorithm.token_reward == token_reward
        critic = config.critic
        assert (critic.lr, critic.value_clip, critic.grad_clip) == (1e-5, 0.5, 1.0)
        for section in ("seed", "run", "env", "trial", "model", "actor", "eval"):
            assert getattr(config, section) == getattr(base, section), (name, section)


def test_gpu_paper_configs_sample_with_vllm_and_the_cpu_default_with_hf():
    gpu = [load_config(name) for name in shipped_config_names()]
    gpu = [config for config in gpu if config.run.device == "cuda"]
    assert gpu
    assert all(c.engine.kind == "vllm" and c.trial.schedule == "async" for c in gpu)
    assert (LaMerConfig().engine.kind, LaMerConfig().trial.schedule) == ("hf", "lockstep")
