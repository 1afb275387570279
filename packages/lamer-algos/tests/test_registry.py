import numpy as np
import pytest

import lamer_algos
from lamer_algos import estimator_names, get_estimator, register_estimator
from lamer_core.registry import DuplicatePluginError, UnknownPluginError

BUILT_IN = {
    "gigpo": lamer_algos.gigpo,
    "grpo": lamer_algos.grpo,
    "rloo": lamer_algos.rloo,
    "reinforce_pp": lamer_algos.reinforce_pp,
    "reinforce_pp_baseline": lamer_algos.reinforce_pp_baseline,
    "gae": lamer_algos.gae,
}


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_built_ins_are_found_by_name_through_entry_points(name: str) -> None:
    assert name in estimator_names()
    assert get_estimator(name) is BUILT_IN[name]


def test_unknown_name_lists_the_available_estimators() -> None:
    with pytest.raises(UnknownPluginError, match="gigpo"):
        get_estimator("no_such_estimator")


def test_a_built_in_name_cannot_be_rebound() -> None:
    with pytest.raises(DuplicatePluginError):
        register_estimator("grpo", lambda batch: np.zeros(len(batch)))


def test_in_process_registration_is_found_by_name() -> None:
    def zero_advantage(batch, **params):
        return np.zeros(len(lamer_algos.as_advantage_input(batch)))

    register_estimator("test_zero_advantage", zero_advantage)
    assert get_estimator("test_zero_advantage") is zero_advantage
    assert "test_zero_advantage" in estimator_names()
