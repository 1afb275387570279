import json
from pathlib import Path

import numpy as np
import pytest

from lamer_algos.gae import gae, gae_advantages_and_returns
from lamer_algos.whitening import masked_whiten

GOLDEN = Path(__file__).parent / "golden" / "gae.jsonl"
CASES = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_gae_matches_reference(case: dict) -> None:
    inputs, expected = case["input"], case["expected"]
    rewards = np.asarray(inputs["token_level_rewards"], dtype=np.float64)
    values = np.asarray(inputs["values"], dtype=np.float64)
    mask = np.asarray(inputs["response_mask"])
    advantages, returns = gae_advantages_and_returns(
        rewards, values, mask, gamma=inputs["gamma"], lam=inputs["lam"]
    )
    np.testing.assert_allclose(returns, expected["returns"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(returns - values, expected["advantages_raw"], atol=1e-6)
    np.testing.assert_allclose(advantages, expected["advantages"], atol=1e-5)
    batch = {
        "score": np.zeros(len(rewards)),
        "group_id": np.arange(len(rewards)),
        "trajectory_id": np.arange(len(rewards)),
        "token_rewards": rewards,
        "values": values,
        "response_mask": mask,
    }
    np.testing.assert_array_equal(gae(batch, gamma=inputs["gamma"], lam=inputs["lam"]), advantages)


def test_gae_with_lambda_one_and_zero_values_is_the_whitened_reward_to_go() -> None:
    rewards = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]])
    mask = np.ones_like(rewards)
    advantages, returns = gae_advantages_and_returns(
        rewards, np.zeros_like(rewards), mask, gamma=1.0, lam=1.0
    )
    reward_to_go = np.cumsum(rewards[:, ::-1], axis=1)[:, ::-1]
    np.testing.assert_allclose(returns, reward_to_go)
    np.testing.assert_allclose(advantages, masked_whiten(reward_to_go, mask))


def test_whitened_output_has_zero_mean_and_unit_variance_over_valid_tokens() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(3.0, 2.0, size=(4, 6))
    mask = rng.integers(0, 2, size=(4, 6))
    mask[0, :2] = 1
    out = masked_whiten(values, mask)[mask == 1]
    assert abs(out.mean()) < 1e-6
    assert abs(out.std(ddof=1) - 1.0) < 1e-6


def test_gae_names_its_critic_targets_and_critic_free_estimators_do_not() -> None:
    from lamer_algos import gae_value_targets, get_estimator, value_targets

    assert value_targets(get_estimator("gae")) is gae_value_targets
    for name in ("gigpo", "grpo", "rloo", "reinforce_pp", "reinforce_pp_baseline"):
        assert value_targets(get_estimator(name)) is None
    case = CASES[0]["input"]
    batch = {
        "score": np.zeros(3), "group_id": np.arange(3), "trajectory_id": np.arange(3),
        "token_rewards": np.asarray(case["token_level_rewards"]),
        "values": np.asarray(case["values"]), "response_mask": np.asarray(case["response_mask"]),
    }  # fmt: skip
    targets = gae_value_targets(batch, gamma=case["gamma"], lam=case["lam"])
    np.testing.assert_allclose(targets, CASES[0]["expected"]["returns"], atol=1e-6)
