"""Checks before any work: estimator support, env, model source, output folder."""

from __future__ import annotations

import json

import pytest

from lamer_train.config import AlgorithmSection, ConfigError, load_config
from lamer_train.critic_config import CriticConfig
from lamer_train.model_config import ModelConfig
from lamer_train.preflight import (
    check_model_source,
    check_output_dir,
    check_torchrun_support,
    check_trainer_supports_estimator,
)


@pytest.mark.parametrize(
    "name", ["gigpo", "grpo", "rloo", "gae", "reinforce_pp", "reinforce_pp_baseline"]
)
def test_row_and_token_level_estimators_are_supported(name):
    check_trainer_supports_estimator(AlgorithmSection(estimator=name, estimator_params={}))


def test_an_estimator_needing_values_without_value_targets_is_refused():
    from lamer_algos import register_estimator
    from lamer_algos.batch import as_advantage_input

    def needs_values(batch):
        return as_advantage_input(batch).require("values")

    register_estimator("test_values_without_targets", needs_values)
    section = AlgorithmSection(estimator="test_values_without_targets", estimator_params={})
    with pytest.raises(ConfigError, match=r"is not supported by the trainer.*value targets"):
        check_trainer_supports_estimator(section)


def test_a_missing_critic_checkpoint_is_refused_only_when_a_critic_is_trained(tmp_path):
    critic = CriticConfig(name_or_path=str(tmp_path / "none"))
    with pytest.raises(ConfigError, match=r"critic\.name_or_path"):
        check_trainer_supports_estimator(AlgorithmSection(estimator="gae"), critic)
    check_trainer_supports_estimator(AlgorithmSection(estimator="gigpo"), critic)


def test_estimator_param_values_it_rejects_are_a_config_error():
    section = AlgorithmSection(estimator="gigpo", estimator_params={"mode": "median"})
    with pytest.raises(ConfigError, match=r"algorithm\.estimator_params=.*median"):
        check_trainer_supports_estimator(section)


def test_model_source_accepts_tiny_and_a_checkpoint_folder(tmp_path):
    check_model_source(ModelConfig())
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen3"}))
    check_model_source(ModelConfig(name_or_path=str(tmp_path), tokenizer="qwen3-4096"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name_or_path": "{tmp}"}, "without config.json"),
        ({"name_or_path": "{tmp}/missing"}, "no such checkpoint folder"),
        (
            {"name_or_path": "bad id with spaces"},
            "neither 'tiny', a checkpoint folder nor a hub id",
        ),
        ({"tokenizer": "{tmp}/missing"}, "model.tokenizer"),
    ],
)
def test_model_source_errors_name_the_field(fields, message, tmp_path):
    model = ModelConfig(**{k: v.format(tmp=tmp_path) for k, v in fields.items()})
    with pytest.raises(ConfigError, match=message):
        check_model_source(model)


def test_output_dir_must_be_creatable(tmp_path):
    check_output_dir(tmp_path / "new" / "run")
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="is a file"):
        check_output_dir(tmp_path / "file" / "run")


@pytest.mark.parametrize(("override", "named"), [("engine.kind=vllm", "engine.kind")])
def test_torchrun_refuses_what_is_not_wired_for_several_ranks(monkeypatch, override, named):
    config = load_config(None, [override])
    check_torchrun_support(config)  # one process: fine
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ConfigError, match=named):
        check_torchrun_support(config)
