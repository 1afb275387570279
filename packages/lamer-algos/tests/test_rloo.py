import json
from pathlib import Path

import numpy as np
import pytest

from lamer_algos.batch import AdvantageInput
from lamer_algos.rloo import rloo

GOLDEN = Path(__file__).parent / "golden" / "rloo.jsonl"
CASES = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_rloo_matches_reference(case: dict) -> None:
    inputs = case["input"]
    batch = AdvantageInput.from_arrays(
        {"score": inputs["score"], "group_id": inputs["uid"], "trajectory_id": inputs["traj_uid"]}
    )
    advantage = rloo(batch, stats_over_all_rows=inputs["compute_mean_std_cross_all_data"])
    np.testing.assert_allclose(advantage, case["expected"]["advantage"], rtol=1e-6, atol=1e-6)


def test_rloo_is_score_minus_mean_of_the_others() -> None:
    scores = np.array([1.0, 4.0, 7.0])
    advantage = rloo({"score": scores, "group_id": [0, 0, 0], "trajectory_id": [0, 1, 2]})
    others = np.array([(scores.sum() - s) / 2 for s in scores])
    np.testing.assert_allclose(advantage, scores - others)
