"""Named eval sets: config checks, how a set's settings resolve, held-out seeds for every
set, shared env pools, and the CLI stopping on a bad set before any work."""

from __future__ import annotations

import pytest

from lamer_train.cli import main
from lamer_train.config import ConfigError, load_config, shipped_config_names
from lamer_train.eval_sets import check_eval_envs, metrics_by_set, resolve_eval_sets
from lamer_train.task_seeds import eval_task_seeds, held_out_seeds, train_task_seeds

SHIPPED = shipped_config_names()
TWO_SETS = (
    "eval.sets={held_out: {}, harder: {env_kwargs: {num_boxes: 2}, num_tasks: 5, "
    "num_attempts: 1, reflection: false, memory_mode: none, max_turns: 4}}"
)


def test_default_config_has_one_held_out_set_on_the_training_env():
    (only,) = resolve_eval_sets(load_config())
    config = load_config()
    assert only.name == "held_out"
    assert only.env_kwargs == config.env.kwargs
    assert (only.num_tasks, only.num_attempts, only.reflection) == (16, 3, True)
    assert only.max_turns == config.env.max_turns
    assert only.metric_key("pass@3") == "eval/held_out/pass@3"


def test_unset_set_fields_take_the_eval_section_values():
    config = load_config(None, ["eval.num_tasks=7", "eval.env_kwargs={max_sol_steps: 5}", TWO_SETS])
    held_out, harder = resolve_eval_sets(config)
    assert (held_out.num_tasks, held_out.num_attempts, held_out.reflection) == (7, 3, True)
    assert held_out.memory_mode == "reflection_only"
    # env.kwargs <- eval.env_kwargs <- the set's env_kwargs
    assert held_out.env_kwargs == {**config.env.kwargs, "max_sol_steps": 5}
    assert harder.env_kwargs == {**config.env.kwargs, "max_sol_steps": 5, "num_boxes": 2}
    assert (harder.num_tasks, harder.num_attempts, harder.reflection) == (5, 1, False)
    assert (harder.memory_mode, harder.max_turns, harder.num_trials) == ("none", 4, 5)


def test_choosing_sets_by_name_keeps_the_order_given_and_rejects_unknown_names():
    config = load_config(None, [TWO_SETS])
    assert [s.name for s in resolve_eval_sets(config, ["harder", "held_out"])] == [
        "harder",
        "held_out",
    ]
    with pytest.raises(ConfigError, match=r"\['nope'\].*configured sets: \['held_out', 'harder'\]"):
        resolve_eval_sets(config, ["nope"])


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("eval.sets:={}", "at least one eval set"),
        ("eval.sets={}", "at least one eval set"),
        ("eval.sets={a/b: {}}", "'a/b'"),
        ("eval.sets={x.y: {}}", "'x.y'"),
        ("eval.sets={x: {num_tasks: 0}}", "eval.sets.x.num_tasks"),
        ("eval.sets={x: {tasks: 4}}", "eval.sets.x.tasks"),
        ("eval.sets={x: {memory_mode: everything}}", "eval.sets.x.memory_mode"),
        ("eval.sets={x: {reflection: false}}", "sets.x: memory_mode 'reflection_only'"),
        ("eval.sets={x: {env_kwargs: 3}}", "eval.sets.x.env_kwargs"),
    ],
)
def test_bad_eval_set_is_a_config_error_naming_it(override, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.").replace("/", r"\/")):
        load_config(None, [override])


def test_command_line_adds_a_set_or_replaces_them_all():
    added = load_config("lamer_sokoban", ["eval.sets.harder_4_boxes={env_kwargs: {num_boxes: 4}}"])
    assert list(added.eval.sets) == ["held_out", "harder_3_boxes", "harder_4_boxes"]
    assert added.eval.sets["harder_4_boxes"].env_kwargs == {"num_boxes": 4}
    changed = load_config("lamer_sokoban", ["eval.sets.held_out.num_tasks=8"])
    assert changed.eval.sets["held_out"].num_tasks == 8
    assert list(changed.eval.sets) == ["held_out", "harder_3_boxes"]
    only = load_config("lamer_sokoban", ["eval.sets:={held_out: {}}"])
    assert list(only.eval.sets) == ["held_out"]


def test_set_reflection_off_with_plain_memory_is_valid_under_a_reflecting_default():
    config = load_config(None, ["eval.sets:={retries: {reflection: false, memory_mode: none}}"])
    (retries,) = resolve_eval_sets(config)
    assert not retries.reflection and retries.memory_mode == "none"


def test_training_seeds_avoid_the_seeds_of_every_set():
    config = load_config(
        None, ["eval.sets:={small: {num_tasks: 2}, big: {num_tasks: 40}}", "eval.num_tasks=3"]
    )
    held_out = held_out_seeds(config)
    assert held_out == set(eval_task_seeds(config.seed, 40))
    for eval_set in resolve_eval_sets(config):
        # Each set plays a prefix of the eval stream, inside the held-out seeds.
        assert set(eval_task_seeds(config.seed, eval_set.num_tasks)) <= held_out
    assert held_out.isdisjoint(train_task_seeds(config.seed, 0, 500, held_out))


def test_bad_env_kwargs_of_a_set_name_the_set():
    config = load_config(None, ["eval.sets={held_out: {}, broken: {env_kwargs: {num_boxes: 0}}}"])
    check_eval_envs(config, ["held_out"])  # the good set alone passes
    with pytest.raises(ConfigError, match=r"eval\.sets\.broken\.env_kwargs.*num_boxes"):
        check_eval_envs(config)
    unknown = load_config(None, ["eval.sets:={typo: {env_kwargs: {num_box: 2}}}"])
    with pytest.raises(ConfigError, match=r"eval\.sets\.typo\.env_kwargs.*num_box"):
        check_eval_envs(unknown)


def test_cli_stops_on_a_bad_set_before_the_run_folder_exists(tmp_path, capsys):
    bad_kwargs = "eval.sets={held_out: {}, harder: {env_kwargs: {num_boxes: 99}}}"
    assert main([f"run.output_dir={tmp_path}", "run.name=x", bad_kwargs]) == 2
    assert "eval.sets.harder.env_kwargs" in capsys.readouterr().err
    assert main([f"run.output_dir={tmp_path}", "run.name=x", "eval.sets={bad name: {}}"]) == 2
    assert "'bad name'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_sets_with_the_training_env_share_its_pool(tmp_path):
    from lamer_train.trainer import Trainer

    overrides = [
        "run.torch_threads=1", "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64",
        "model.tiny_num_layers=1", "trial.tasks_per_iteration=2", "trial.group_size=2",
        "eval.sets:={a: {num_tasks: 6}, b: {num_tasks: 1}, harder: {env_kwargs: {num_boxes: 2}}}",
        "eval.num_tasks=3",
    ]  # fmt: skip
    trainer = Trainer(load_config(None, overrides), tmp_path)
    try:
        a, b, harder = trainer.eval_runners
        assert a.pool is b.pool is trainer.envs
        assert trainer.envs.num_envs == 6  # the largest need: set a's 6 trials
        assert harder.pool is not trainer.envs and harder.pool.num_envs == 3
        only = Trainer(load_config(None, overrides), tmp_path, eval_sets=["harder"])
        assert [r.eval_set.name for r in only.eval_runners] == ["harder"]
        assert only.held_out == trainer.held_out  # training seeds do not depend on --set
        only.close()
    finally:
        trainer.close()


def test_metrics_by_set_groups_eval_keys():
    grouped = metrics_by_set(
        {"eval/a/pass@1": 0.5, "eval/b/pass@1": 0.25, "eval/a/mean_turns": 2.0, "rollout/x": 1}
    )
    assert grouped == {"a": {"pass@1": 0.5, "mean_turns": 2.0}, "b": {"pass@1": 0.25}}
    assert metrics_by_set(None) == {}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_eval_set_builds_its_env(name):
    config = load_config(name)
    assert resolve_eval_sets(config)
    check_eval_envs(config)


@pytest.mark.parametrize(
    ("name", "knob"),
    [(n, "num_boxes") for n in SHIPPED if n.endswith("_sokoban") and n != "sft_sokoban"]
    + [(n, "n_mines") for n in SHIPPED if n.endswith("_minesweeper")],
)
def test_paper_configs_evaluate_the_training_setting_and_harder_variants(name, knob):
    config = load_config(name)
    held_out, *harder = resolve_eval_sets(config)
    assert held_out.name == "held_out" and held_out.env_kwargs == config.env.kwargs
    assert harder and all(s.env_kwargs[knob] > config.env.kwargs[knob] for s in harder)
    assert all(s.name.startswith("harder_") for s in harder)


def _task_types(config, eval_set, seeds=range(12)):
    import gymnasium

    env = gymnasium.make(config.env.id, **eval_set.env_kwargs)
    return {env.reset(seed=seed)[1]["task_type"] for seed in seeds}


@pytest.mark.parametrize("name", [n for n in SHIPPED if n.endswith("_alfworld")])
def test_alfworld_configs_evaluate_seen_and_unseen_task_types(name):
    config = load_config(name)
    in_dist, out_dist = resolve_eval_sets(config)
    assert (in_dist.name, out_dist.name) == ("eval_in_distribution", "eval_out_of_distribution")
    seen, unseen = _task_types(config, in_dist), _task_types(config, out_dist)
    assert seen <= {"pick", "look", "clean", "heat"} and unseen <= {"cool", "pick_two"}
    assert len(seen) > 1 and len(unseen) > 1


def test_alfworld_pick_to_cool_split_through_env_kwargs():
    config = load_config(
        "lamer_alfworld",
        ["env.kwargs.in_distribution=[pick]", "env.kwargs.out_of_distribution=[cool]"],
    )
    in_dist, out_dist = resolve_eval_sets(config)
    assert _task_types(config, in_dist) == {"pick"}
    assert _task_types(config, out_dist) == {"cool"}
