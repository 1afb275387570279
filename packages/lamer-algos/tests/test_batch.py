import numpy as np
import pytest

from lamer_algos.batch import AdvantageInput, as_advantage_input


def test_from_arrays_converts_lists_and_keeps_string_keys() -> None:
    data = AdvantageInput.from_arrays(
        {"score": [1, 2], "group_id": ["g0", "g0"], "trajectory_id": [0, 1], "anchor": ["a", "b"]}
    )
    assert data.score.dtype == np.float64
    assert list(data.group_id) == ["g0", "g0"]
    assert len(data) == 2


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"score": [1.0, 2.0], "group_id": [0], "trajectory_id": [0, 1]}, "group_id"),
        ({"score": [1.0, np.nan], "group_id": [0, 0], "trajectory_id": [0, 1]}, "NaN"),
        ({"score": [1.0], "group_id": [0], "trajectory_id": [0], "scores": [1.0]}, "unknown"),
        (
            {"score": [1.0], "group_id": [0], "trajectory_id": [0], "response_mask": [1, 1]},
            "response_mask",
        ),
        (
            {
                "score": [1.0],
                "group_id": [0],
                "trajectory_id": [0],
                "response_mask": [[1, 1]],
                "values": [[1.0, 2.0, 3.0]],
            },
            "values",
        ),
    ],
)
def test_malformed_inputs_get_a_clear_error(arrays: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AdvantageInput.from_arrays(arrays)


def test_integer_scores_are_refused_when_built_directly() -> None:
    with pytest.raises(ValueError, match="float"):
        AdvantageInput(score=np.array([1]), group_id=np.array([0]), trajectory_id=np.array([0]))


def test_take_selects_rows_of_every_field() -> None:
    data = AdvantageInput.from_arrays(
        {
            "score": [1.0, 2.0, 3.0],
            "group_id": [0, 0, 1],
            "trajectory_id": [0, 1, 2],
            "response_mask": [[1, 0], [1, 1], [0, 1]],
        }
    )
    picked = data.take(np.array([2, 0]))
    np.testing.assert_array_equal(picked.score, [3.0, 1.0])
    np.testing.assert_array_equal(picked.response_mask, [[0, 1], [1, 0]])
    assert picked.step_return is None


def test_as_advantage_input_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="AdvantageInput"):
        as_advantage_input([1.0, 2.0])  # type: ignore[arg-type]
