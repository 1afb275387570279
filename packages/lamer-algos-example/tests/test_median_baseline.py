import numpy as np
from lamer_algos_example import median_baseline

from lamer_algos.testing import check_estimator


def test_median_baseline_subtracts_the_group_median() -> None:
    batch = {
        "score": [0.0, 0.0, 10.0, 4.0, 2.0],
        "group_id": [0, 0, 0, 1, 1],
        "trajectory_id": [0, 1, 2, 3, 4],
    }
    np.testing.assert_allclose(median_baseline(batch), [0.0, 0.0, 10.0, 1.0, -1.0])


def test_median_baseline_passes_the_conformance_suite() -> None:
    check_estimator(median_baseline, group_relative=True, max_examples=30)
