import json
from pathlib import Path

import numpy as np
import pytest

from lamer_algos.batch import AdvantageInput
from lamer_algos.reinforce_pp import reinforce_pp, reinforce_pp_baseline, reinforce_pp_returns

GOLDEN = Path(__file__).parent / "golden"


def _cases(name: str) -> list[dict]:
    lines = (GOLDEN / name).read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


RFPP = _cases("reinforce_pp.jsonl")
BASELINE = _cases("reinforce_pp_baseline.jsonl")


@pytest.mark.parametrize("case", RFPP, ids=[c["case_id"] for c in RFPP])
def test_reinforce_pp_matches_reference(case: dict) -> None:
    inputs, expected = case["input"], case["expected"]
    rewards = np.asarray(inputs["token_level_rewards"], dtype=np.float64)
    mask = np.asarray(inputs["response_mask"])
    returns = reinforce_pp_returns(rewards, mask, inputs["gamma"])
    np.testing.assert_allclose(returns, expected["returns"], rtol=1e-6, atol=1e-6)
    batch = AdvantageInput(
        score=np.zeros(len(rewards)),
        group_id=np.arange(len(rewards)),
        trajectory_id=np.arange(len(rewards)),
        token_rewards=rewards,
        response_mask=mask,
    )
    advantages = reinforce_pp(batch, gamma=inputs["gamma"])
    np.testing.assert_allclose(advantages, expected["advantages"], atol=1e-5)


@pytest.mark.parametrize("case", BASELINE, ids=[c["case_id"] for c in BASELINE])
def test_reinforce_pp_baseline_matches_reference(case: dict) -> None:
    inputs, expected = case["input"], case["expected"]
    batch = AdvantageInput.from_arrays(
        {
            "score": inputs["score"],
            "group_id": inputs["uid"],
            "trajectory_id": inputs["traj_uid"],
            "response_mask": inputs["response_mask"],
        }
    )
    advantages = reinforce_pp_baseline(
        batch, stats_over_all_rows=inputs["compute_mean_std_cross_all_data"]
    )
    np.testing.assert_allclose(advantages, expected["advantages"], atol=1e-5)


def test_masked_token_records_its_return_but_cuts_propagation() -> None:
    rewards = np.array([[1.0, 2.0, 4.0]])
    returns = reinforce_pp_returns(rewards, np.array([[1, 0, 1]]), gamma=0.5)
    # t=2: 4; t=1: 2 + 0.5*4 = 4 (recorded), then cut; t=0: 1 + 0.5*0 = 1.
    np.testing.assert_allclose(returns, [[1.0, 4.0, 4.0]])


def test_whitening_refuses_a_batch_with_fewer_than_two_valid_tokens() -> None:
    batch = {"score": [1.0], "group_id": [0], "trajectory_id": [0], "response_mask": [[1, 0]]}
    with pytest.raises(ValueError, match="at least 2 valid tokens"):
        reinforce_pp_baseline(batch)
