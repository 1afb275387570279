"""The critic: clipped value loss by hand, values per response token, updates that fit
the targets, exact micro-batching, and state round trips."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from lamer_train.critic import Critic, build_value_model, value_loss, value_metrics
from lamer_train.critic_config import CriticConfig

#: (prompt, response) texts of the sample rows.
ROWS = [
    ("Solve the puzzle. State: box at 2,3.", "<action>up</action>"),
    ("Reflect on the last attempt.", "Avoid corners."),
    ("Short.", "down"),
    ("Another prompt that is a little longer than the others.", ""),
]


def _critic(build_model, compute_dtype="float32", **config) -> Critic:
    policy = build_model(seed=0, tiny_num_layers=1)
    settings = CriticConfig(**config)
    return Critic(
        build_value_model(policy, settings, seed=1),
        settings,
        mini_batch_size=4,
        micro_batch_size=2,
        compute_dtype=compute_dtype,
    )


def test_clipped_value_loss_by_hand():
    values = torch.tensor([[1.0, 2.0, 9.0], [0.0, 0.0, 0.0]])
    old = torch.tensor([[0.0, 2.5, 0.0], [1.0, 0.0, 0.0]])
    returns = torch.tensor([[2.0, 2.0, 0.0], [3.0, 0.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    loss, clipfrac = value_loss(values, old, returns, mask, value_clip=0.5)
    # Token (0,0): V=1 -> (1-2)^2 = 1; clipped V = 0 + 0.5 -> (0.5-2)^2 = 2.25: max 2.25.
    # Token (0,1): V=2 -> 0; clipped V = 2.5 - 0.5 = 2.0 -> 0: max 0 (not clipped).
    # Token (1,0): V=0 -> 9; clipped V = 1 - 0.5 = 0.5 -> 6.25: max 9 (unclipped wins).
    assert loss.item() == pytest.approx((2.25 + 0.0 + 9.0) / 3)
    assert clipfrac.item() == pytest.approx(1 / 3)
    unclipped, _ = value_loss(values, old, returns, mask, value_clip=None)
    assert unclipped.item() == pytest.approx((1.0 + 0.0 + 9.0) / 3)


def test_explained_variance_and_means_over_valid_tokens():
    returns = np.array([[1.0, 2.0, 99.0], [3.0, 0.0, 0.0]])
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    perfect = value_metrics(returns.copy(), returns, mask)
    assert perfect["explained_variance"] == pytest.approx(1.0, abs=1e-4)
    constant = value_metrics(np.full_like(returns, 2.0), returns, mask)
    assert constant["explained_variance"] == pytest.approx(0.0, abs=1e-4)
    assert constant["values_mean"] == 2.0 and constant["returns_mean"] == pytest.approx(2.0)


def test_values_cover_each_response_token_and_do_not_depend_on_the_micro_batch(
    build_model, encode_rows
):
    samples = encode_rows(ROWS)
    critic = _critic(build_model)
    values = critic.compute_values(samples)
    longest = max(len(response) for _, response in samples)
    assert values.shape == (4, longest)
    for row, (_, response) in enumerate(samples):
        assert np.all(values[row, len(response) :] == 0)
        assert np.all(values[row, : len(response)] != 0)
    alone = np.concatenate([critic.compute_values([sample]) for sample in samples[:3]], axis=None)
    together = np.concatenate([values[i, : len(samples[i][1])] for i in range(3)])
    np.testing.assert_allclose(alone, together, atol=1e-5)


def test_updates_move_values_towards_their_targets(build_model, encode_rows):
    samples = encode_rows(ROWS)
    critic = _critic(build_model, lr=1e-2, value_clip=None)
    targets = np.zeros((4, max(len(r) for _, r in samples)))
    for row, (_, response) in enumerate(samples):
        targets[row, : len(response)] = 1.0 + row
    mask = targets > 0
    start = critic.compute_values(samples)
    for _ in range(20):
        metrics = critic.update(samples, critic.compute_values(samples), targets)
    end = critic.compute_values(samples)
    assert np.abs(end - targets)[mask].mean() < 0.5 * np.abs(start - targets)[mask].mean()
    assert metrics["optimizer_steps"] == 1 and metrics["value_loss"] >= 0


def test_micro_batching_gives_the_gradient_of_the_whole_mini_batch(build_model, encode_rows):
    samples = encode_rows(ROWS)
    one, split = _critic(build_model, micro_batch_size=4), _critic(build_model, micro_batch_size=1)
    old = one.compute_values(samples)
    targets = old + 1.0
    one.update(samples, old, targets)
    split.update(samples, old, targets)
    for a, b in zip(one.model.parameters(), split.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_critic_is_a_copy_of_the_policy_backbone_not_shared(build_model, tokenizer):
    policy = build_model(seed=0, tiny_num_layers=1)
    model = build_value_model(policy, CriticConfig(), seed=0)
    torch.testing.assert_close(model.backbone.embed_tokens.weight, policy.model.embed_tokens.weight)
    assert (
        model.backbone.embed_tokens.weight.data_ptr() != policy.model.embed_tokens.weight.data_ptr()
    )


def test_state_dict_round_trip_continues_identically(build_model, encode_rows):
    samples = encode_rows(ROWS)
    first = _critic(build_model, lr=1e-3)
    old = first.compute_values(samples)
    first.update(samples, old, old + 1.0)
    second = _critic(build_model, lr=1e-3)
    second.load_state_dict(copy.deepcopy(first.state_dict()))  # as if saved and loaded
    for critic in (first, second):
        values = critic.compute_values(samples)
        critic.update(samples, values, values + 1.0)
    np.testing.assert_array_equal(first.compute_values(samples), second.compute_values(samples))
    assert second.updates_done == 2


def test_a_missing_critic_checkpoint_is_named(build_model, tokenizer, tmp_path):
    policy = build_model(seed=0, tiny_num_layers=1)
    with pytest.raises(FileNotFoundError, match=r"critic\.name_or_path"):
        build_value_model(policy, CriticConfig(name_or_path=str(tmp_path / "nope")))


def test_bfloat16_compute_values_are_close_to_float32_and_update_float32_weights(
    build_model, encode_rows
):
    samples = encode_rows(ROWS)
    exact, mixed = _critic(build_model), _critic(build_model, compute_dtype="bfloat16")
    values = mixed.compute_values(samples)
    np.testing.assert_allclose(values, exact.compute_values(samples), atol=0.05)
    mixed.update(samples, values, values + 1.0)
    assert all(p.dtype == torch.float32 for p in mixed.model.parameters())
