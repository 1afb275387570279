"""Per-device memory options: micro-batches by a token budget and activation
checkpointing leave the mini-batch loss and its gradients unchanged (actor and critic)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from lamer_train.actor import Actor, ActorConfig, _MetricSums
from lamer_train.critic import Critic, build_value_model
from lamer_train.critic_config import CriticConfig
from lamer_train.padding import micro_batches

#: (prompt, response) texts of the sample rows.
ROWS = [
    ("Solve the puzzle. State: box at 2,3.", "<action>up</action>"),
    ("Solve the puzzle.", "<action>left</action><|im_end|>"),
    (
        "Reflect on the last attempt, which failed after pushing the box into a corner.",
        "Avoid corners, and keep the box away from the walls next time.",
    ),
    ("Short.", "down"),
    ("Another board, two boxes.", "<action>right</action>"),
]


def _padded_tokens(chunk, samples) -> int:
    return len(chunk) * (
        max(len(samples[i][0]) for i in chunk) + max(len(samples[i][1]) for i in chunk)
    )


@pytest.mark.parametrize("by_length", [True, False])
@pytest.mark.parametrize("budget", [1, 20, 45, 90, 10_000])
def test_token_budget_packs_every_row_once_within_the_budget(encode_rows, budget, by_length):
    samples = encode_rows(ROWS)
    rows = [4, 0, 2, 1, 3]
    chunks = micro_batches(rows, samples, 2, max_tokens=budget, by_length=by_length)
    assert sorted(i for chunk in chunks for i in chunk) == sorted(rows)
    for chunk in chunks:  # a row longer than the budget goes alone
        assert len(chunk) == 1 or _padded_tokens(chunk, samples) <= budget
    if not by_length:  # the reference's split keeps row order
        assert [i for chunk in chunks for i in chunk] == rows
    # Greedy: a chunk could not have taken the first row of the next one.
    for chunk, following in itertools.pairwise(chunks):
        assert _padded_tokens([*chunk, following[0]], samples) > budget
    if budget == 10_000:
        assert len(chunks) == 1
    if budget == 1:
        assert len(chunks) == len(rows)


def _mini_batch_gradients(build_model, samples, advantages, **config):
    """Loss and flattened gradient of one mini-batch holding every row."""
    model = build_model(seed=0)
    actor = Actor(model, ActorConfig(mini_batch_size=len(samples), **config))
    old = actor.compute_log_probs(samples)
    actor.model.train()
    metrics = _MetricSums()
    actor.accumulate_gradients(samples, list(range(len(samples))), advantages, old, None, metrics)
    grads = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
    return metrics.loss_sums["loss"], grads


@pytest.mark.parametrize("loss_agg_mode", ["token-mean", "seq-mean-token-sum-norm"])
def test_token_budget_gives_the_same_mini_batch_loss_and_gradients(
    build_model, encode_rows, loss_agg_mode
):
    samples = encode_rows(ROWS)
    advantages = np.array([1.0, -0.5, 2.0, -1.0, 0.25])
    reference_loss, reference = _mini_batch_gradients(
        build_model, samples, advantages, micro_batch_size=2, loss_agg_mode=loss_agg_mode
    )
    assert reference.abs().max() > 0
    for budget in (40, 10_000):  # four micro-batches (one a row over budget), one
        loss, grads = _mini_batch_gradients(
            build_model,
            samples,
            advantages,
            micro_batch_size=2,
            micro_batch_tokens=budget,
            loss_agg_mode=loss_agg_mode,
        )
        assert loss == pytest.approx(reference_loss, rel=1e-5, abs=1e-7)
        # float32 summation order only
        assert (grads - reference).abs().max() <= 1e-4 * reference.abs().max()


def test_activation_checkpointing_gives_the_same_loss_and_gradients(build_model, encode_rows):
    samples = encode_rows(ROWS)
    advantages = np.array([1.0, -0.5, 2.0, -1.0, 0.25])
    plain_loss, plain = _mini_batch_gradients(
        build_model, samples, advantages, micro_batch_size=2, entropy_coef=0.01
    )
    loss, grads = _mini_batch_gradients(
        build_model,
        samples,
        advantages,
        micro_batch_size=2,
        entropy_coef=0.01,
        activation_checkpointing=True,
    )
    assert loss == pytest.approx(plain_loss, rel=1e-6)
    assert (grads - plain).abs().max() <= 1e-5 * plain.abs().max()


def test_activation_checkpointing_recomputes_each_decoder_block(build_model, encode_rows):
    """The blocks run twice per training micro-batch (forward, then recompute), and
    only once when scoring without gradients."""
    samples = encode_rows(ROWS)[:2]
    model = build_model(seed=0)
    calls = []
    for layer in model.model.layers:
        layer.register_forward_pre_hook(lambda module, args: calls.append(module))
    actor = Actor(
        model, ActorConfig(mini_batch_size=2, micro_batch_size=2, activation_checkpointing=True)
    )
    old = actor.compute_log_probs(samples)
    assert len(calls) == len(model.model.layers)
    calls.clear()
    actor.model.train()
    actor.accumulate_gradients(samples, [0, 1], np.array([1.0, -1.0]), old, None)
    assert len(calls) == 2 * len(model.model.layers)


def _critic_step(build_model, samples, **options):
    policy = build_model(seed=0)
    critic = Critic(
        build_value_model(policy, CriticConfig(), seed=0),
        CriticConfig(lr=1e-3, value_clip=None),
        mini_batch_size=len(samples),
        micro_batch_size=2,
        **options,
    )
    # Plain SGD: the weights move by the gradient itself (AdamW's first step is about
    # lr * sign(g), which would magnify float noise in near-zero gradients).
    critic.optimizer = torch.optim.SGD(critic.model.parameters(), lr=1.0)
    before = torch.cat([p.detach().flatten().clone() for p in critic.model.parameters()])
    old = critic.compute_values(samples)
    returns = np.where(old != 0, 1.0, 0.0)
    metrics = critic.update(samples, old, returns)
    after = torch.cat([p.detach().flatten() for p in critic.model.parameters()])
    return old, metrics, after - before


def test_critic_token_budget_and_checkpointing_give_the_same_update(build_model, encode_rows):
    samples = encode_rows(ROWS)
    old, metrics, step = _critic_step(build_model, samples)
    assert step.abs().max() > 0
    for options in ({"micro_batch_tokens": 40}, {"activation_checkpointing": True}):
        other_old, other_metrics, other_step = _critic_step(build_model, samples, **options)
        np.testing.assert_allclose(other_old, old, atol=1e-6)
        assert other_metrics["value_loss"] == pytest.approx(metrics["value_loss"], rel=1e-5)
        assert (other_step - step).abs().max() <= 1e-4 * step.abs().max()


def test_actor_config_token_budget_must_be_positive():
    with pytest.raises(ValueError, match="micro_batch_tokens"):
        ActorConfig(micro_batch_tokens=0)
