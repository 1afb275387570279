"""PPO loss functions against the reference's golden cases and hand-computed values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lamer_train.ppo_loss import (
    agg_loss,
    entropy_from_logits,
    kl_penalty,
    masked_mean,
    ppo_policy_loss,
)

GOLDEN = Path(__file__).parent / "golden"


def _cases(name: str) -> list[dict]:
    return [json.loads(line) for line in (GOLDEN / name).read_text().splitlines() if line.strip()]


def _t(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("case", _cases("policy_loss.jsonl"), ids=lambda case: case["case_id"])
def test_policy_loss_matches_reference(case):
    given, expected = case["input"], case["expected"]
    log_prob = _t(given["log_prob"]).requires_grad_(True)
    out = ppo_policy_loss(
        _t(given["old_log_prob"]),
        log_prob,
        _t(given["advantages"]),
        _t(given["response_mask"]),
        clip_ratio=given["cliprange"],
        clip_ratio_low=given["cliprange_low"],
        clip_ratio_high=given["cliprange_high"],
        clip_ratio_c=given["clip_ratio_c"],
        loss_agg_mode=given["loss_agg_mode"],
        clip_level=given["clip_level"],
        tis_imp_ratio_cap=given["tis_imp_ratio_cap"],
        rollout_log_probs=None
        if given["rollout_log_probs"] is None
        else _t(given["rollout_log_probs"]),
    )
    out.pg_loss.backward()
    for name in ("pg_loss", "pg_clipfrac", "ppo_kl", "pg_clipfrac_lower"):
        assert getattr(out, name).item() == pytest.approx(expected[name], rel=1e-6, abs=1e-6), name
    assert torch.allclose(log_prob.grad, _t(expected["grad_log_prob"]), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", _cases("agg_loss.jsonl"), ids=lambda case: case["case_id"])
def test_agg_loss_matches_reference(case):
    given = case["input"]
    loss = agg_loss(_t(given["loss_mat"]), _t(given["loss_mask"]), given["loss_agg_mode"])
    assert loss.item() == pytest.approx(case["expected"]["loss"], rel=1e-6, abs=1e-6)


def test_policy_loss_by_hand_two_rows_with_padding():
    """Row 0: A=+1, ratios e^0.1 (inside the clip range) and e^0.5 (clipped to 1.2).
    Row 1: A=-2, one token with ratio e^1.5 (capped by the dual clip at -A*3), one padding token."""
    old = torch.zeros(2, 2, dtype=torch.float64)
    new = _t([[0.1, 0.5], [1.5, 9.0]]).requires_grad_(True)
    adv = _t([[1.0, 1.0], [-2.0, -2.0]])
    mask = _t([[1, 1], [1, 0]])
    out = ppo_policy_loss(old, new, adv, mask, clip_ratio=0.2, clip_ratio_c=3.0)
    token_losses = [-math.exp(0.1), -1.2, min(2.0 * math.exp(1.5), 2.0 * 3.0)]
    assert out.pg_loss.item() == pytest.approx(sum(token_losses) / 3)
    assert out.pg_clipfrac.item() == pytest.approx(1 / 3)  # token (0,1): clipped term larger
    assert out.pg_clipfrac_lower.item() == pytest.approx(1 / 3)  # token (1,0): 2e^1.5 > 6
    assert out.ppo_kl.item() == pytest.approx(-(0.1 + 0.5 + 1.5) / 3)
    out.pg_loss.backward()
    # Only the unclipped token carries gradient: d(-e^x)/dx / 3; padding gets none.
    assert torch.allclose(new.grad, _t([[-math.exp(0.1) / 3, 0.0], [0.0, 0.0]]))


def test_advantage_broadcast_over_response_tokens_only():
    """A per-row scalar advantage times the mask equals the token-level advantage."""
    old = torch.zeros(2, 3, dtype=torch.float64)
    new = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    mask = _t([[1, 1, 0], [1, 0, 0]])
    per_row = _t([0.5, -1.0])
    out = ppo_policy_loss(old, new, per_row[:, None] * mask, mask)
    # ratio 1 everywhere: loss = -mean over valid tokens of A = -(0.5 + 0.5 - 1) / 3
    assert out.pg_loss.item() == pytest.approx(0.0)
    out.pg_loss.backward()
    assert torch.allclose(new.grad, _t([[-0.5 / 3, -0.5 / 3, 0.0], [1.0 / 3, 0.0, 0.0]]))


@pytest.mark.parametrize(
    "mode", ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"]
)
def test_micro_batches_with_normaliser_add_up_to_the_full_batch_loss(mode):
    generator = torch.Generator().manual_seed(0)
    losses = torch.randn(6, 5, generator=generator, dtype=torch.float64)
    mask = (torch.rand(6, 5, generator=generator) > 0.3).to(torch.float64)
    mask[:, 0] = 1
    full = agg_loss(losses, mask, mode)
    normaliser = mask.sum().item() if mode == "token-mean" else 6
    parts = sum(
        agg_loss(losses[i : i + 2], mask[i : i + 2], mode, normaliser=normaliser)
        for i in range(0, 6, 2)
    )
    assert parts.item() == pytest.approx(full.item(), rel=1e-7)


def test_sum_norm_divides_by_the_horizon_not_the_padded_width():
    losses = _t([[1.0, 2.0, 0.0], [4.0, 0.0, 0.0]])
    mask = _t([[1, 1, 0], [1, 0, 0]])
    assert agg_loss(losses, mask, "seq-mean-token-sum-norm").item() == pytest.approx(
        (3 / 3 + 4 / 3) / 2
    )
    assert agg_loss(losses, mask, "seq-mean-token-sum-norm", horizon=10).item() == pytest.approx(
        (0.3 + 0.4) / 2
    )


def test_low_var_kl_is_k3_clamped():
    log_prob = _t([0.0, -1.0, -30.0])
    ref = _t([0.0, -0.5, 0.0])
    kl = kl_penalty(log_prob, ref, "low_var_kl")
    assert kl[0].item() == 0.0
    assert kl[1].item() == pytest.approx(math.exp(0.5) - 0.5 - 1)
    assert kl[2].item() == 10.0  # exp(20) - 21 clamped
    assert kl_penalty(log_prob, ref, "kl").tolist() == [0.0, -0.5, -30.0]
    assert kl_penalty(log_prob, ref, "mse")[1].item() == pytest.approx(0.125)
    with pytest.raises(ValueError, match="kl penalty"):
        kl_penalty(log_prob, ref, "k9")


def test_entropy_of_uniform_and_peaked_distributions():
    logits = _t([[0.0, 0.0, 0.0, 0.0], [100.0, 0.0, 0.0, 0.0]])
    assert entropy_from_logits(logits).tolist() == pytest.approx([math.log(4), 0.0], abs=1e-9)


def test_masked_mean_ignores_padding():
    assert masked_mean(_t([1.0, 3.0, 100.0]), _t([1, 1, 0])).item() == pytest.approx(2.0)


def test_bad_modes_raise_clear_errors():
    x = torch.zeros(1, 2, dtype=torch.float64)
    mask = torch.ones(1, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="loss_agg_mode"):
        agg_loss(x, mask, "mean")
    with pytest.raises(ValueError, match="clip_level"):
        ppo_policy_loss(x, x, x, mask, clip_level="row")
    with pytest.raises(ValueError, match="clip_ratio_c"):
        ppo_policy_loss(x, x, x, mask, clip_ratio_c=0.5)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.lists(
            st.tuples(
                st.floats(-3, 3),  # log-ratio
                st.floats(-4, 4),  # advantage
                st.booleans(),  # mask
            ),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=4,
    ),
    low=st.floats(0.05, 0.5),
    high=st.floats(0.05, 0.5),
    cap=st.floats(1.5, 10.0),
)
def test_token_loss_equals_its_min_max_closed_form(rows, low, high, cap):
    """Per token: A >= 0 -> -A * min(r, 1+high); A < 0 -> min(-A * max(r, 1-low), -A * c)."""
    width = max(len(row) for row in rows)
    log_ratio = torch.zeros(len(rows), width, dtype=torch.float64)
    advantages = torch.zeros_like(log_ratio)
    mask = torch.zeros_like(log_ratio)
    for i, row in enumerate(rows):
        for j, (lr, a, m) in enumerate(row):
            log_ratio[i, j], advantages[i, j], mask[i, j] = lr, a, float(m)
    out = ppo_policy_loss(
        torch.zeros_like(log_ratio),
        log_ratio,
        advantages,
        mask,
        clip_ratio_low=low,
        clip_ratio_high=high,
        clip_ratio_c=cap,
    )
    ratio = log_ratio.exp()
    positive = -advantages * torch.minimum(ratio, torch.full_like(ratio, 1 + high))
    negative = torch.minimum(
        -advantages * torch.maximum(ratio, torch.full_like(ratio, 1 - low)), -advantages * cap
    )
    expected = torch.where(advantages >= 0, positive, negative)
    assert out.pg_loss.item() == pytest.approx(
        ((expected * mask).sum() / (mask.sum() + 1e-8)).item(), abs=1e-9
    )
    assert 0.0 <= out.pg_clipfrac.item() <= 1.0
    # The dual clip only ever caps tokens with a negative advantage.
    negative_share = ((advantages < 0).double() * mask).sum() / (mask.sum() + 1e-8)
    assert 0.0 <= out.pg_clipfrac_lower.item() <= negative_share.item() + 1e-12
