"""Trainer: a rollout is a function of the run seed (and iteration), nothing else; its row
table feeds the update (token ids and the engine's log-probs)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from lamer_train.actor import Actor
from lamer_train.advantages import rollout_batch, update_samples
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


def test_row_table_carries_the_engines_log_probs_into_truncated_importance_sampling(tmp_path):
    """The rollout's rows hold the HF engine's sampling log-probs, which match the actor's
    recomputed ones, so TIS weights are ~1 and a TIS update matches a plain one."""
    config = load_config(
        None, [*TINY, "actor.tis_imp_ratio_cap=2.0", "actor.mini_batch_size=64", "warmup.steps=0"]
    )
    trainer = Trainer(config, tmp_path / "a")
    trials, _ = trainer.rollout(0)
    batch = rollout_batch(trials)
    samples = update_samples(batch)
    assert len(batch) == sum(len(t.turns) for t in trials)
    assert all(len(sample) == 3 for sample in samples)
    recomputed = trainer.actor.compute_log_probs(samples)
    for (_, response, rollout), actor_log_probs in zip(samples, recomputed, strict=True):
        assert len(rollout) == len(response)
        np.testing.assert_allclose(rollout, actor_log_probs.numpy(), atol=1e-4)

    advantages = np.linspace(-1.0, 1.0, len(samples))
    plain = Actor(
        copy.deepcopy(trainer.actor.model),
        config.actor.model_copy(update={"tis_imp_ratio_cap": -1.0}),
    )
    with_tis = trainer.actor.update(samples, advantages)
    without = plain.update([sample[:2] for sample in samples], advantages)
    assert with_tis["pg_loss"] == pytest.approx(without["pg_loss"], abs=1e-4)
