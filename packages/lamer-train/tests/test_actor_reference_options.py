"""The actor's options that reproduce the reference (verl): per-micro-batch loss means and
batch padding by repeated rows. Checked on the first PPO step, where every ratio is 1 and
the token-mean loss is minus the token-weighted mean advantage."""

from __future__ import annotations

import numpy as np
import pytest

from lamer_train.actor import Actor, ActorConfig

#: (prompt, response) texts of the sample rows.
ROWS = [
    ("Solve the puzzle.", "<action>up</action>"),
    ("Reveal a cell.", "ok"),
    ("Reflect.", "<remark>Avoid the corner and push right twice.</remark>"),
    ("Buy the shirt.", "<action>click[buy now]</action>"),
]


@pytest.fixture
def update(build_model, encode_rows):
    """``update(advantages, **actor_config)``: metrics of one update of a fresh tiny actor."""

    def run(advantages, **config):
        actor = Actor(build_model(seed=0, tiny_num_layers=1), ActorConfig(lr=1e-4, **config))
        return actor.update(encode_rows(ROWS), np.asarray(advantages))

    return run


@pytest.fixture
def lengths(encode_rows) -> np.ndarray:
    """Response lengths of the sample rows."""
    return np.array([len(response) for _, response in encode_rows(ROWS)])


def test_micro_batch_normaliser_averages_each_micro_batchs_own_token_mean(update, lengths):
    advantages = np.array([1.0, -0.5, 2.0, -1.0])
    metrics = update(
        advantages,
        mini_batch_size=4,
        micro_batch_size=2,
        loss_normaliser="micro_batch",
        entropy_coef=0.0,
    )
    # Micro-batches in row order: rows (0, 1) and (2, 3).
    means = [
        (advantages[rows] * lengths[rows]).sum() / lengths[rows].sum() for rows in ([0, 1], [2, 3])
    ]
    assert metrics["pg_loss"] == pytest.approx(-np.mean(means), abs=1e-5)
    exact = update(advantages, mini_batch_size=4, micro_batch_size=2, entropy_coef=0.0)
    assert exact["pg_loss"] == pytest.approx(
        -(advantages * lengths).sum() / lengths.sum(), abs=1e-5
    )
    assert metrics["pg_loss"] != pytest.approx(exact["pg_loss"], abs=1e-3)


def test_padding_repeats_the_first_rows_up_to_the_multiple(update, lengths):
    advantages = np.array([1.0, -0.5, 2.0, -1.0])
    metrics = update(
        advantages,
        mini_batch_size=8,
        micro_batch_size=8,
        pad_rows_to_multiple=6,
        entropy_coef=0.0,
    )
    rows = [0, 1, 2, 3, 0, 1]  # 4 rows padded to 6 with the first two again
    expected = -(advantages[rows] * lengths[rows]).sum() / lengths[rows].sum()
    assert metrics["pg_loss"] == pytest.approx(expected, abs=1e-5)
    assert metrics["padded_rows"] == 2
    assert metrics["response_tokens"] == lengths.sum()
    unpadded = update(advantages, mini_batch_size=8, micro_batch_size=8, entropy_coef=0.0)
    assert "padded_rows" not in unpadded


def test_entropy_bonus_is_on_by_default_as_in_the_reference(update):
    assert ActorConfig().entropy_coef == 0.001
    advantages = np.zeros(4)
    metrics = update(advantages, mini_batch_size=4, micro_batch_size=4)
    # Zero advantages: the loss is the entropy bonus alone, -0.001 x the mean token entropy.
    assert metrics["loss"] == pytest.approx(-0.001 * metrics["entropy"], rel=1e-4)
