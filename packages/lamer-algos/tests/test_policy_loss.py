import json
from pathlib import Path

import numpy as np
import pytest

from lamer_algos.policy_loss import agg_loss, ppo_policy_loss

GOLDEN = Path(__file__).parent / "golden"


def _cases(name: str) -> list[dict]:
    lines = (GOLDEN / name).read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


POLICY = _cases("policy_loss.jsonl")
AGG = _cases("agg_loss.jsonl")


@pytest.mark.parametrize("case", AGG, ids=[c["case_id"] for c in AGG])
def test_agg_loss_matches_reference(case: dict) -> None:
    inputs = case["input"]
    loss = agg_loss(
        np.asarray(inputs["loss_mat"]), np.asarray(inputs["loss_mask"]), inputs["loss_agg_mode"]
    )
    assert loss == pytest.approx(case["expected"]["loss"], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", POLICY, ids=[c["case_id"] for c in POLICY])
def test_ppo_policy_loss_matches_reference(case: dict) -> None:
    inputs, expected = case["input"], case["expected"]
    rollout = inputs["rollout_log_probs"]
    result = ppo_policy_loss(
        np.asarray(inputs["old_log_prob"]),
        np.asarray(inputs["log_prob"]),
        np.asarray(inputs["advantages"]),
        np.asarray(inputs["response_mask"]),
        cliprange=inputs["cliprange"],
        cliprange_low=inputs["cliprange_low"],
        cliprange_high=inputs["cliprange_high"],
        clip_ratio_c=inputs["clip_ratio_c"],
        loss_agg_mode=inputs["loss_agg_mode"],
        clip_level=inputs["clip_level"],
        tis_imp_ratio_cap=inputs["tis_imp_ratio_cap"],
        rollout_log_probs=None if rollout is None else np.asarray(rollout),
    )
    for name in ("pg_loss", "pg_clipfrac", "ppo_kl", "pg_clipfrac_lower"):
        assert getattr(result, name) == pytest.approx(expected[name], rel=1e-6, abs=1e-9), name
    np.testing.assert_allclose(result.grad_log_prob, expected["grad_log_prob"], atol=1e-9)


def test_token_level_gradient_matches_finite_differences() -> None:
    # (The sequence-level gradient is a stop-gradient surrogate, d s_t / d logp_t = s, which
    # finite differences of the forward value do not reproduce by design.)
    rng = np.random.default_rng(3)
    old = rng.normal(-1.0, 0.5, size=(3, 5))
    logp = old + rng.normal(0.0, 0.3, size=(3, 5))
    adv = rng.normal(size=(3, 5))
    mask = np.ones((3, 5))
    mask[1, 3:] = 0
    for mode in ("token-mean", "seq-mean-token-mean"):
        kwargs = {"clip_level": "token", "loss_agg_mode": mode}
        grad = ppo_policy_loss(old, logp, adv, mask, **kwargs).grad_log_prob
        step = 1e-6
        for index in np.ndindex(*logp.shape):
            bumped = logp.copy()
            bumped[index] += step
            lowered = logp.copy()
            lowered[index] -= step
            numeric = (
                ppo_policy_loss(old, bumped, adv, mask, **kwargs).pg_loss
                - ppo_policy_loss(old, lowered, adv, mask, **kwargs).pg_loss
            ) / (2 * step)
            assert grad[index] == pytest.approx(numeric, abs=1e-6), (mode, index)


def test_unknown_modes_are_refused() -> None:
    ones = np.ones((1, 2))
    with pytest.raises(ValueError, match="loss_agg_mode"):
        agg_loss(ones, ones, "sum")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="clip_level"):
        ppo_policy_loss(ones, ones, ones, ones, clip_level="row")  # type: ignore[arg-type]
