"""Config values that cannot work are config errors naming the field, raised before any
work: non-finite numbers anywhere, AdamW settings out of range, a device, output folder,
model or eval env that cannot exist, and config files that are not UTF-8 text."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from lamer_train.cli import main
from lamer_train.config import ConfigError, LaMerConfig, load_config


def _float_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted names of every float field (incl. optional and tuple floats) of the config."""
    found = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        dotted = f"{prefix}{name}"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += _float_fields(annotation, dotted + ".")
        elif annotation is float or float in typing.get_args(annotation):
            found.append(dotted)
    return found


FLOAT_FIELDS = _float_fields(LaMerConfig)


def test_the_walk_finds_the_float_fields_of_every_section():
    sections = {name.split(".")[0] for name in FLOAT_FIELDS}
    assert {"actor", "algorithm", "trial", "eval", "warmup"} <= sections
    assert "actor.lr" in FLOAT_FIELDS and "trial.sampling.top_p" in FLOAT_FIELDS


@pytest.mark.parametrize("field", FLOAT_FIELDS)
@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_every_float_field_rejects_inf_and_nan_naming_it(field, value):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(None, [f"{field}={value}"])


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("actor.betas=[.nan, 2]", "actor.betas"),
        ("actor.betas=[0.9, 1.0]", r"actor.betas\[1\]"),
        ("actor.betas=[-0.1, 0.9]", r"actor.betas\[0\]"),
        ("actor.lr=5", "actor.lr"),
        ("actor.weight_decay=3", "actor.weight_decay"),
        ("warmup.lr=100", "warmup.lr"),
        ("env.kwargs.max_steps=.inf", "env.kwargs.max_steps"),
        ("algorithm.estimator_params.epsilon=.nan", "algorithm.estimator_params.epsilon"),
    ],
)
def test_values_out_of_the_working_range_name_the_field(override, named):
    with pytest.raises(ConfigError, match=named):
        load_config(None, [override])


def test_ordinary_optimizer_settings_stay_accepted():
    config = load_config(None, ["actor.lr=1", "actor.betas=[0, 0.99]", "actor.weight_decay=0"])
    assert config.actor.betas == (0.0, 0.99)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("actor.lr=.inf", "lr"),
        ("actor.weight_decay=.inf", "weight_decay"),
        ("algorithm.invalid_action_penalty_coef=.inf", "invalid_action_penalty_coef"),
        ("actor.betas=[.nan,2]", "betas"),
        ("run.device=cuda:7", "run.device"),
        ("run.device=banana", "run.device"),
        ("eval.env_kwargs={num_boxes: 0}", "eval.env_kwargs"),
        ("model.tiny_num_heads=6", "model.tiny_hidden_size"),
        ("model.tiny_num_kv_heads=3", "model.tiny_num_kv_heads"),
        ("model.attn_implementation=fastest", "model.attn_implementation"),
        ("model.tokenizer=no/such/folder", "model.tokenizer"),
        ("model.tokenizer=qwen3-12", "model.tokenizer"),
    ],
)
def test_cli_reports_a_config_error_line_before_the_run_folder_exists(
    override, named, tmp_path, capsys
):
    out = tmp_path / "runs"
    # The tiny model's shape is checked when it is built (the CPU default loads a folder).
    code = main([f"run.output_dir={out}", "run.name=x", "model.name_or_path=tiny", override])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "config error:" in err and named in err and "Traceback" not in err
    assert not out.exists()


def test_output_dir_under_a_file_is_a_config_error(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert main([f"run.output_dir={blocker / 'runs'}", "run.name=x"]) == 2
    err = capsys.readouterr().err
    assert "run.output_dir" in err and str(blocker) in err


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00r\x00u\x00n", bytes(range(256)), "run:\n  name: caf\xe9\n".encode("latin-1")],
    ids=["utf16", "binary", "latin1"],
)
def test_a_config_file_that_is_not_utf8_text_is_named(content, tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_bytes(content)
    assert main(["--config", str(path), f"run.output_dir={tmp_path / 'runs'}"]) == 2
    err = capsys.readouterr().err
    assert "config error:" in err and "broken.yaml" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()
