import json
from pathlib import Path

import numpy as np
import pytest

from lamer_algos.batch import AdvantageInput
from lamer_algos.grpo import grpo

GOLDEN = Path(__file__).parent / "golden" / "grpo.jsonl"
CASES = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_grpo_matches_reference(case: dict) -> None:
    inputs = case["input"]
    batch = AdvantageInput.from_arrays(
        {"score": inputs["score"], "group_id": inputs["uid"], "trajectory_id": inputs["traj_uid"]}
    )
    advantage = grpo(
        batch,
        norm_by_std=inputs["norm_adv_by_std_in_grpo"],
        epsilon=inputs["epsilon"],
        stats_over_all_rows=inputs["compute_mean_std_cross_all_data"],
    )
    np.testing.assert_allclose(advantage, case["expected"]["advantage"], rtol=1e-6, atol=1e-6)


def test_lone_sample_keeps_its_score_divided_by_float32_one_plus_eps() -> None:
    batch = {"score": [2.0], "group_id": [7], "trajectory_id": [0]}
    assert grpo(batch)[0] == 2.0 / float(np.float32(1.0 + 1e-6))
    assert grpo(batch, norm_by_std=False)[0] == 2.0


def test_dedup_counts_only_the_first_row_of_each_trajectory() -> None:
    # Trajectory 0 has rows scoring 1 then 5; only the 1 enters the group mean.
    batch = {"score": [1.0, 5.0, 3.0], "group_id": [0, 0, 0], "trajectory_id": [0, 0, 1]}
    advantage = grpo(batch, norm_by_std=False, stats_over_all_rows=False)
    np.testing.assert_allclose(advantage, [-1.0, 3.0, 1.0])
