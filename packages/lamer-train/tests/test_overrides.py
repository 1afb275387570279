"""Config layering: an override changes exactly the field it names, whatever the base."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lamer_train.config import (
    SHIPPED_CONFIGS,
    ConfigError,
    LaMerConfig,
    config_to_yaml,
    load_config,
    shipped_config_names,
)


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a.b": leaf}``; lists are leaves."""
    if isinstance(data, dict) and data:
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): data}


def _changed(before: LaMerConfig, after: LaMerConfig) -> set[str]:
    old, new = _flat(before.model_dump(mode="json")), _flat(after.model_dump(mode="json"))
    return {key for key in old.keys() | new.keys() if old.get(key, "<absent>") != new.get(key)}


DEFAULTS = load_config()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("actor.lr=2e-4", "actor.lr"),
        ("trial.sampling.top_p=0.9", "trial.sampling.top_p"),
        ("eval.sampling.max_new_tokens=32", "eval.sampling.max_new_tokens"),
        ("env.kwargs.num_boxes=2", "env.kwargs.num_boxes"),
        ("env.kwargs={num_boxes: 2}", "env.kwargs.num_boxes"),
        ("model.tiny_num_layers=3", "model.tiny_num_layers"),
    ],
)
def test_override_without_config_changes_only_its_field(override, field):
    # The cases: siblings used to fall back to the section class's defaults.
    assert _changed(DEFAULTS, load_config(None, [override])) == {field}


@pytest.mark.parametrize("name", ["lamer_sokoban", "gigpo_webshop", "lamer_alfworld"])
def test_override_on_a_config_file_changes_only_its_field(name):
    base = load_config(name)
    for override, field in [
        ("actor.lr=3e-6", "actor.lr"),
        ("eval.sampling.top_k=5", "eval.sampling.top_k"),
        ("env.kwargs.zzz_extra=1", "env.kwargs.zzz_extra"),
    ]:
        assert _changed(base, load_config(name, [override])) == {field}


def test_empty_mapping_clears_it_and_colon_equals_replaces_it():
    cleared = load_config(None, ["algorithm.estimator_params={}"])
    assert cleared.algorithm.estimator_params == {}
    replaced = load_config(None, ["env.kwargs:={num_boxes: 1, dim_room: [5, 5]}"])
    assert replaced.env.kwargs == {"num_boxes": 1, "dim_room": [5, 5]}
    # Later overrides of the same layer merge into a replacement.
    both = load_config(None, ["env.kwargs:={num_boxes: 1}", "env.kwargs.max_steps=9"])
    assert both.env.kwargs == {"num_boxes": 1, "max_steps": 9}
    # A later override wins over an earlier one.
    assert load_config(None, ["actor.lr=1e-3", "actor.lr=2e-3"]).actor.lr == 2e-3


def test_replace_syntax_is_refused_on_a_section():
    with pytest.raises(ConfigError, match=r"trial\.sampling is a section"):
        load_config(None, ["trial.sampling:={top_p: 0.5}"])


def test_default_env_kwargs_do_not_leak_into_another_env_id():
    minesweeper = load_config(None, ["env.id=lamer/MineSweeper-v0"])
    assert minesweeper.env.kwargs == {}
    assert _changed(DEFAULTS, minesweeper) >= {"env.id"}
    # Kwargs given with the new id are kept, in any order.
    for order in (
        ["env.id=lamer/MineSweeper-v0", "env.kwargs.board_size=5"],
        ["env.kwargs.board_size=5", "env.id=lamer/MineSweeper-v0"],
    ):
        assert load_config(None, order).env.kwargs == {"board_size": 5}
    # A config file's eval kwargs belong to its env too.
    sokoban = load_config("lamer_webshop", ["env.id=lamer/Sokoban-v0", "env.num_workers=0"])
    assert sokoban.env.kwargs == {} and sokoban.eval.env_kwargs == {}
    # Re-stating the same id keeps the kwargs.
    same = load_config("lamer_sokoban", ["env.id=lamer/Sokoban-v0"])
    assert same.env.kwargs == load_config("lamer_sokoban").env.kwargs


def test_default_estimator_params_do_not_leak_into_another_estimator():
    assert load_config(None, ["algorithm.estimator=rloo"]).algorithm.estimator_params == {}
    grpo = load_config(
        None, ["algorithm.estimator=grpo", "algorithm.estimator_params.norm_by_std=false"]
    )
    assert grpo.algorithm.estimator_params == {"norm_by_std": False}


def test_python_api_sections_do_not_leak_defaults_either():
    config = LaMerConfig(env={"id": "lamer/MineSweeper-v0"}, algorithm={"estimator": "rloo"})
    assert config.env.kwargs == {} and config.algorithm.estimator_params == {}


def test_config_file_layers_onto_the_defaults_and_states_its_mappings_whole(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "actor: {lr: 3.0e-4}\ntrial: {sampling: {top_p: 0.5}}\nenv: {kwargs: {num_boxes: 1}}\n"
    )
    config = load_config(path)
    assert _changed(DEFAULTS, config) == {
        "actor.lr",
        "trial.sampling.top_p",
        "env.kwargs.dim_room",
        "env.kwargs.min_steps",
        "env.kwargs.max_sol_steps",
    }
    assert config.env.kwargs == {"num_boxes": 1}
    assert config.actor.mini_batch_size == DEFAULTS.actor.mini_batch_size


def test_overrides_are_parsed_as_yaml_and_nested():
    config = load_config(
        "lamer_sokoban",
        ["trial.group_size=4", "actor.lr=2e-6", "eval.reflection=false", "eval.memory_mode=none",
         "trial.sampling.temperature=0.5", "actor.temperature=0.5", "env.kwargs.num_boxes=1"],
    )  # fmt: skip
    assert config.trial.group_size == 4 and config.actor.lr == 2e-6
    assert config.eval.reflection is False
    assert config.trial.sampling.temperature == 0.5
    assert config.env.kwargs["num_boxes"] == 1 and config.env.kwargs["max_steps"] == 30


@pytest.mark.parametrize("name", ["lamer_sokoban", "lamer_minesweeper"])
def test_resolved_config_reloads_identically_with_an_override(tmp_path, name):
    config = load_config(name, ["trial.group_size=2"])
    path = tmp_path / "config.yaml"
    path.write_text(config_to_yaml(config), encoding="utf-8")
    assert load_config(path) == config
    assert yaml.safe_load(path.read_text())["trial"]["group_size"] == 2
    assert _changed(config, load_config(path, ["seed=7"])) == {"seed"}


# -- property: for any field, `show-config a.b=v` differs from `show-config` there only ----
SELECTORS = {"env.id", "algorithm.estimator"}  # changing these drops their kwargs / params
LEAVES = sorted(set(_flat(DEFAULTS.model_dump(mode="json"))) - SELECTORS)


def _other_value(draw: st.DrawFn, value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + draw(st.integers(1, 3))
    if isinstance(value, float):
        return draw(st.sampled_from([value / 2, value * 0.9, value + 0.05])) if value else 0.1
    if isinstance(value, list):
        return [_other_value(draw, item) for item in value]
    if value is None:
        return draw(st.sampled_from([1, 0.5, "x"]))
    return draw(st.sampled_from(["x", "history_only", "none", "last_tags", "bfloat16", "cuda"]))


@st.composite
def one_field_override(draw: st.DrawFn) -> tuple[str, Any]:
    field = draw(st.sampled_from(LEAVES))
    return field, _other_value(draw, _flat(DEFAULTS.model_dump(mode="json"))[field])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(one_field_override())
def test_any_single_override_changes_that_field_only(field_and_value):
    field, value = field_and_value
    try:
        config = load_config(
            None, [f"{field}={yaml.safe_dump(value, default_flow_style=True).strip()}"]
        )
    except ConfigError:
        assume(False)  # a value the field's bounds refuse: not a counterexample
        raise
    assert _changed(DEFAULTS, config) == {field}


@pytest.mark.parametrize("name", shipped_config_names())
def test_shipped_config_means_the_same_alone_or_layered_on_the_defaults(name):
    # A shipped config spells out every section field it relies on, so the CPU default's
    # values (e.g. actor.mini_batch_size 32) never slip into a paper setting unseen.
    data = yaml.safe_load((SHIPPED_CONFIGS / f"{name}.yaml").read_text(encoding="utf-8"))
    assert LaMerConfig.model_validate(data) == load_config(name)


def test_a_new_env_id_drops_the_eval_sets_of_the_config_below():
    # Eval sets hold env kwargs too (Sokoban's harder_3_boxes means nothing to MineSweeper).
    config = load_config("lamer_sokoban", ["env.id=lamer/MineSweeper-v0"])
    assert config.eval.sets == LaMerConfig().eval.sets  # the default: held_out only
    with_set = load_config(
        "lamer_sokoban",
        ["env.id=lamer/MineSweeper-v0", "eval.sets.more_mines={env_kwargs: {n_mines: 4}}"],
    )
    assert set(with_set.eval.sets) == {"held_out", "more_mines"}
    assert (
        load_config("lamer_sokoban").eval.sets
        == load_config("lamer_sokoban", ["env.id=lamer/Sokoban-v0"]).eval.sets
    )
