"""Token-level estimators on the trainer's path: reward placement, GAE across a
two-attempt trial with a reflection (by hand), and the reference's GAE golden vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lamer_algos import AdvantageInput, get_estimator
from lamer_core.records import REFLECTION_ANCHOR, Trial, Turn
from lamer_train.advantages import compute_advantages, estimate, rollout_batch
from lamer_train.config import AlgorithmSection

GAE_GOLDEN = Path(__file__).parents[2] / "lamer-algos" / "tests" / "golden" / "gae.jsonl"


def _trial() -> Trial:
    """Attempt 0: one failed play turn (2 response tokens); a reflection (1 token, invalid)
    that prepares attempt 1; attempt 1: one winning play turn (3 tokens)."""

    def turn(attempt, phase, length, reward=0.0, *, valid=True, won=False):
        return Turn(
            attempt, phase, 0, "", "", reward=reward, done=phase == "play", won=won,
            action_is_valid=valid, anchor="s0" if phase == "play" else REFLECTION_ANCHOR,
            prompt_ids=[1, 2], response_ids=[3] * length,
        )  # fmt: skip

    return Trial(0, 0, 7, [
        turn(0, "play", 2, -0.1), turn(1, "reflect", 1, valid=False),
        turn(1, "play", 3, 10.9, won=True),
    ])  # fmt: skip


VALUES = np.array([[0.5, 1.0, 0.0], [2.0, 0.0, 0.0], [3.0, 4.0, 5.0]])
MASK = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1]], dtype=np.float64)


def _whiten(raw: np.ndarray) -> np.ndarray:
    valid = raw[MASK > 0]
    n = valid.size
    mean = valid.sum() / (n + 1e-8)
    variance = ((valid - mean) ** 2).sum() / (n + 1e-8) * n / (n - 1)
    return (raw - mean) / np.sqrt(variance + 1e-8)


def _algorithm(token_reward: str, **params) -> AlgorithmSection:
    return AlgorithmSection(
        estimator="gae", estimator_params=params, step_gamma=0.95, traj_gamma=0.6,
        invalid_action_penalty_coef=0.5, token_reward=token_reward,
    )  # fmt: skip


def test_gae_on_a_two_attempt_trial_with_a_reflection_by_hand():
    """Each row is its own sequence (the reference): the reward sits on its last response
    token, the value after that token is 0, and no value is bootstrapped across rows."""
    gamma, lam = 0.5, 0.5
    batch = rollout_batch([_trial()])
    out = compute_advantages(
        batch, _algorithm("score", gamma=gamma, lam=lam), get_estimator("gae"), VALUES
    )
    # Scores: attempt 0 sums to -0.1; the reflection is 0 - 0.5 (invalid); attempt 1: 10.9.
    np.testing.assert_allclose(out.inputs.token_rewards, [[0, -0.1, 0], [-0.5, 0, 0], [0, 0, 10.9]])
    v = VALUES
    # Row 0: delta_1 = r - V_1 (terminal), delta_0 = gamma V_1 - V_0, A_0 = delta_0 + g*l*A_1.
    a01 = -0.1 - v[0, 1]
    a00 = gamma * v[0, 1] - v[0, 0] + gamma * lam * a01
    a10 = -0.5 - v[1, 0]
    a22 = 10.9 - v[2, 2]
    a21 = gamma * v[2, 2] - v[2, 1] + gamma * lam * a22
    a20 = gamma * v[2, 1] - v[2, 0] + gamma * lam * a21
    raw = np.array([[a00, a01, 0.0], [a10, 0.0, 0.0], [a20, a21, a22]])
    np.testing.assert_allclose(out.value_targets, raw + v, atol=1e-12)
    np.testing.assert_allclose(out.advantages, _whiten(raw), atol=1e-9)
    assert out.token_level


def test_step_return_puts_the_cross_attempt_return_on_the_last_token():
    batch = rollout_batch([_trial()])
    out = compute_advantages(batch, _algorithm("step_return"), get_estimator("gae"), VALUES)
    # Attempt 0's play row: -0.1 + traj_gamma * 10.9; the reflection takes the return of
    # the attempt it prepares (10.9) minus its invalid penalty.
    expected = [[0, -0.1 + 0.6 * 10.9, 0], [10.9 - 0.5, 0, 0], [0, 0, 10.9]]
    np.testing.assert_allclose(out.inputs.token_rewards, expected)
    # gamma = lam = 1: the targets are the reward-to-go inside each row.
    np.testing.assert_allclose(
        out.value_targets * MASK, [[6.44, 6.44, 0], [10.4, 0, 0], [10.9] * 3]
    )


@pytest.mark.parametrize("name", ["reinforce_pp", "reinforce_pp_baseline"])
def test_reinforce_pp_gives_token_advantages_zero_past_each_response(name):
    trials = [_trial(), _trial()]
    trials[1].trial_id = 1
    trials[1].turns[2].reward = 0.0
    algorithm = AlgorithmSection(estimator=name, estimator_params={})
    out = compute_advantages(rollout_batch(trials), algorithm, get_estimator(name))
    assert out.advantages.shape == (6, 3) and out.value_targets is None
    assert np.all(out.advantages[np.tile(MASK, (2, 1)) == 0] == 0)


def _golden_cases() -> list[dict]:
    lines = GAE_GOLDEN.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("case", _golden_cases(), ids=lambda case: case["case_id"])
def test_reference_gae_vectors_pass_through_the_trainer_path(case):
    given, expected = case["input"], case["expected"]
    rewards = np.asarray(given["token_level_rewards"], dtype=np.float64)
    n = len(rewards)
    inputs = AdvantageInput(
        score=np.zeros(n), group_id=np.arange(n), trajectory_id=np.arange(n),
        response_mask=np.asarray(given["response_mask"], dtype=np.float64),
        token_rewards=rewards, values=np.asarray(given["values"], dtype=np.float64),
    )  # fmt: skip
    algorithm = AlgorithmSection(
        estimator="gae", estimator_params={"gamma": given["gamma"], "lam": given["lam"]}
    )
    out = estimate(inputs, algorithm, get_estimator("gae"))
    np.testing.assert_allclose(out.advantages, expected["advantages"], atol=1e-5)
    np.testing.assert_allclose(out.value_targets, expected["returns"], rtol=1e-6, atol=1e-6)


def test_an_estimator_returning_a_wrong_shape_is_named():
    algorithm = AlgorithmSection(estimator="bad", estimator_params={})
    batch = rollout_batch([_trial()])
    with pytest.raises(ValueError, match="'bad' returned shape"):
        compute_advantages(batch, algorithm, lambda data: np.zeros(5))
