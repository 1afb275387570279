"""Trainer: a rollout is a function of the run seed (and iteration), nothing else."""

from __future__ import annotations

from lamer_train.config import load_config
from lamer_train.trainer import Trainer

TINY = [
    "run.torch_threads=1", "env.max_turns=1",
    "trial.tasks_per_iteration=2", "trial.group_size=2", "trial.num_attempts=2",
    "trial.sampling.max_new_tokens=6", "eval.num_tasks=2",
    "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64", "model.tiny_num_layers=1",
]  # fmt: skip


def _responses(trials):
    return [(t.seed, [turn.response for turn in t.turns]) for t in trials]


def test_rollout_is_reproducible_from_the_run_seed(tmp_path):
    config = load_config(None, TINY)
    first = Trainer(config, tmp_path / "a")
    second = Trainer(config, tmp_path / "b")
    trials_a, _ = first.rollout(0)
    trials_b, _ = second.rollout(0)
    assert _responses(trials_a) == _responses(trials_b)
    # Trials of one task share its seed and group; tasks are never held-out seeds.
    assert [t.group_id for t in trials_a] == [0, 0, 1, 1]
    assert trials_a[0].seed == trials_a[1].seed != trials_a[2].seed
    assert not {t.seed for t in trials_a} & first.held_out

    other = Trainer(load_config(None, [*TINY, "seed=1"]), tmp_path / "c")
    trials_c, _ = other.rollout(0)
    assert {t.seed for t in trials_c}.isdisjoint({t.seed for t in trials_a})
