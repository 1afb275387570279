"""check_estimator: every built-in passes it, and it catches broken estimators."""

import numpy as np
import pytest

from lamer_algos import gae, gigpo, grpo, reinforce_pp, reinforce_pp_baseline, rloo
from lamer_algos.batch import AdvantageInput, as_advantage_input
from lamer_algos.testing import check_estimator

BUILT_INS = [
    ("gigpo_mean_norm", gigpo, {"mode": "mean_norm"}, True, False),
    ("gigpo_mean_std_norm", gigpo, {"mode": "mean_std_norm", "step_advantage_w": 0.5}, True, False),
    ("grpo", grpo, {}, True, False),
    ("grpo_no_std", grpo, {"norm_by_std": False}, True, False),
    ("rloo", rloo, {}, True, False),
    ("reinforce_pp_baseline", reinforce_pp_baseline, {}, True, True),
    ("reinforce_pp", reinforce_pp, {"gamma": 0.9}, False, True),
    ("gae", gae, {"gamma": 0.99, "lam": 0.95}, False, True),
]


@pytest.mark.parametrize(
    ("fn", "params", "group_relative", "token_level"),
    [entry[1:] for entry in BUILT_INS],
    ids=[entry[0] for entry in BUILT_INS],
)
def test_built_in_estimators_pass_check_estimator(fn, params, group_relative, token_level) -> None:
    check_estimator(
        fn, params=params, group_relative=group_relative, token_level=token_level, max_examples=25
    )


def _raw_score(batch) -> np.ndarray:
    return as_advantage_input(batch).score.copy()


def _row_position(batch) -> np.ndarray:
    data = as_advantage_input(batch)
    return data.score - data.score.mean() + np.arange(len(data)) * 0.1


def _wrong_shape(batch) -> np.ndarray:
    return np.zeros((len(as_advantage_input(batch)), 1))


def _nan_for_lone_rows(batch) -> np.ndarray:
    data = as_advantage_input(batch)
    _, codes, counts = np.unique(data.group_id, return_inverse=True, return_counts=True)
    return np.where(counts[codes] > 1, 0.0, np.nan)


def _mutating(batch) -> np.ndarray:
    data = as_advantage_input(batch)
    data.score[:] = 0.0
    return data.score.copy()


def _batch_mean_baseline(batch) -> np.ndarray:
    data: AdvantageInput = as_advantage_input(batch)
    return data.score - (data.score.mean() if len(data) else 0.0)


@pytest.mark.parametrize(
    ("fn", "group_relative", "message"),
    [
        (_raw_score, True, "shift-invariant"),
        (_row_position, False, "permutation-equivariant"),
        (_wrong_shape, False, "shape"),
        (_nan_for_lone_rows, False, "NaN"),
        (_mutating, False, "modified its input"),
        (_batch_mean_baseline, True, "shift-invariant"),
    ],
)
def test_check_estimator_catches_broken_estimators(fn, group_relative, message) -> None:
    with pytest.raises(AssertionError, match=message):
        check_estimator(fn, group_relative=group_relative, max_examples=25)
