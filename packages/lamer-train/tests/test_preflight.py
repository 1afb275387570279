"""Checks before any work: estimator support, env, model source, output folder."""

from __future__ import annotations

import json

import pytest

from lamer_train.config import AlgorithmSection, ConfigError
from lamer_train.model_config import ModelConfig
from lamer_train.preflight import (
    check_model_source,
    check_output_dir,
    check_trainer_supports_estimator,
)


@pytest.mark.parametrize("name", ["gigpo", "grpo", "rloo"])
def test_row_level_estimators_are_supported(name):
    check_trainer_supports_estimator(AlgorithmSection(estimator=name))


@pytest.mark.parametrize("name", ["gae", "reinforce_pp", "reinforce_pp_baseline"])
def test_token_level_estimators_are_refused_until_the_trainer_supports_them(name):
    with pytest.raises(ConfigError, match=rf"algorithm\.estimator='{name}' is not supported"):
        check_trainer_supports_estimator(AlgorithmSection(estimator=name))


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
