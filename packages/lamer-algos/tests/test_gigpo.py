import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lamer_algos.batch import AdvantageInput
from lamer_algos.gigpo import gigpo, gigpo_parts
from lamer_algos.testing import advantage_inputs

GOLDEN = Path(__file__).parent / "golden" / "gigpo.jsonl"
CASES = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]


def _batch(inputs: dict) -> AdvantageInput:
    return AdvantageInput.from_arrays(
        {
            "score": inputs["score"],
            "step_return": inputs["step_return"],
            "group_id": inputs["uid"],
            "trajectory_id": inputs["traj_uid"],
            "anchor": inputs["anchor_obs"],
        }
    )


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_gigpo_matches_reference(case: dict) -> None:
    inputs, expected = case["input"], case["expected"]
    batch = _batch(inputs)
    parts = gigpo_parts(batch, mode=inputs["mode"], epsilon=inputs["epsilon"])
    advantage = gigpo(
        batch,
        mode=inputs["mode"],
        step_advantage_w=inputs["step_advantage_w"],
        epsilon=inputs["epsilon"],
    )
    np.testing.assert_allclose(advantage, expected["advantage"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(parts.episode_advantage, expected["episode_advantage"], atol=1e-6)
    np.testing.assert_allclose(parts.step_advantage, expected["step_advantage"], atol=1e-6)
    np.testing.assert_array_equal(parts.step_group, expected["step_group_id"])


def test_step_groups_never_cross_task_groups() -> None:
    batch = AdvantageInput.from_arrays(
        {
            "score": [1.0, 0.0, 1.0, 0.0],
            "step_return": [1.0, 0.0, 5.0, 5.0],
            "group_id": [0, 0, 1, 1],
            "trajectory_id": [0, 1, 2, 3],
            "anchor": ["s", "s", "s", "t"],
        }
    )
    parts = gigpo_parts(batch)
    np.testing.assert_array_equal(parts.step_group, [0, 0, 1, 2])
    np.testing.assert_allclose(parts.step_advantage, [0.5, -0.5, 0.0, 0.0])


def test_gigpo_rejects_unknown_mode() -> None:
    batch = _batch(CASES[0]["input"])
    with pytest.raises(ValueError, match="mode"):
        gigpo(batch, mode="median")  # type: ignore[arg-type]


def test_gigpo_names_the_missing_field() -> None:
    batch = AdvantageInput.from_arrays({"score": [1.0], "group_id": [0], "trajectory_id": [0]})
    with pytest.raises(ValueError, match="step_return"):
        gigpo(batch)


def _naive_normalize(values, keys, divide_by_std, lone, epsilon=1e-6):
    out = np.zeros(len(values))
    for key in set(keys):
        rows = [i for i, k in enumerate(keys) if k == key]
        members = values[rows]
        if len(rows) == 1:
            lone_value = members[0] / np.float32(1 + epsilon) if divide_by_std else members[0]
            out[rows] = lone_value if lone == "raw" else 0.0
            continue
        centred = members - members.mean()
        out[rows] = centred / (members.std(ddof=1) + epsilon) if divide_by_std else centred
    return out


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(batch=advantage_inputs(max_groups=5), mode=st.sampled_from(["mean_norm", "mean_std_norm"]))
def test_gigpo_matches_a_naive_per_group_loop(batch, mode) -> None:
    divide = mode == "mean_std_norm"
    groups = list(batch.group_id)
    episode = _naive_normalize(batch.score, groups, divide, "raw")
    steps = list(zip(groups, batch.anchor, strict=True))
    step = _naive_normalize(batch.step_return, steps, divide, "zero")
    np.testing.assert_allclose(
        gigpo(batch, mode=mode, step_advantage_w=0.7), episode + 0.7 * step, atol=1e-9
    )
