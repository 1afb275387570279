"""Trainer rows: advantages computed by hand (GiGPO with cross-attempt returns and the
invalid-action penalty), and the row table's (prompt, response, log-probs) samples."""

from __future__ import annotations

import numpy as np
import pytest

from lamer_algos import get_estimator
from lamer_core.records import REFLECTION_ANCHOR, Trial, Turn
from lamer_train.advantages import compute_advantages, rollout_batch, update_samples
from lamer_train.config import AlgorithmSection


def rollout_advantages(trials, algorithm):
    batch = rollout_batch(trials)
    estimate = compute_advantages(batch, algorithm, get_estimator(algorithm.estimator))
    return estimate.advantages, batch


A0 = "initial-state"


def _turn(attempt, phase, reward=0.0, *, valid=True, won=False, ids=0):
    return Turn(
        attempt, phase, 0, "", "", action=None if phase == "reflect" else "up",
        reward=reward, done=phase == "play", won=won, action_is_valid=valid,
        anchor=A0 if phase == "play" else REFLECTION_ANCHOR,
        prompt_ids=[ids, ids + 1], response_ids=[ids + 2] * (ids % 3 + 1),
        response_log_probs=[-0.1 * ids] * (ids % 3 + 1),
    )  # fmt: skip


def _trials() -> list[Trial]:
    # Two trials of one task (group 0). Trial 0: an invalid first attempt, a reflection,
    # a winning second attempt. Trial 1: two failed one-turn attempts.
    t0 = Trial(0, 0, 5, [
        _turn(0, "play", -0.1, valid=False, ids=10), _turn(1, "reflect", ids=20),
        _turn(1, "play", 10.9, won=True, ids=30),
    ])  # fmt: skip
    t1 = Trial(0, 1, 5, [
        _turn(0, "play", -0.1, ids=40), _turn(1, "reflect", ids=50), _turn(1, "play", -0.1, ids=60)
    ])  # fmt: skip
    return [t0, t1]


def test_gigpo_advantages_match_hand_computation():
    algorithm = AlgorithmSection(
        estimator="gigpo", estimator_params={"mode": "mean_norm", "step_advantage_w": 1.0},
        step_gamma=0.95, traj_gamma=0.6, invalid_action_penalty_coef=0.5,
    )  # fmt: skip
    advantages, batch = rollout_advantages(_trials(), algorithm)
    assert len(batch) == 6
    # Episode score = the attempt's undiscounted reward - 0.5 per invalid row; reflect rows 0.
    scores = [-0.1 - 0.5, 0.0, 10.9, -0.1, 0.0, -0.1]
    episode = [s - sum(scores) / 6 for s in scores]  # one episode group: every row
    # Cross-attempt returns: the reflect row takes its attempt's first play return; the
    # last play row of attempt 0 is discounted by traj_gamma from the next attempt.
    returns = [-0.1 + 0.6 * 10.9, 10.9, 10.9, -0.1 + 0.6 * -0.1, -0.1, -0.1]
    # Step groups: the four play rows share the initial-state anchor; reflect rows form one.
    play_mean = (returns[0] + returns[2] + returns[3] + returns[5]) / 4
    reflect_mean = (returns[1] + returns[4]) / 2
    step = [
        returns[0] - play_mean, returns[1] - reflect_mean, returns[2] - play_mean,
        returns[3] - play_mean, returns[4] - reflect_mean, returns[5] - play_mean,
    ]  # fmt: skip
    expected = [e + s for e, s in zip(episode, step, strict=True)]
    assert advantages.tolist() == pytest.approx(expected, abs=1e-9)


def test_grpo_baseline_is_only_a_config_change():
    algorithm = AlgorithmSection(
        estimator="grpo", estimator_params={"norm_by_std": False},
        invalid_action_penalty_coef=0.0,
    )  # fmt: skip
    advantages, _ = rollout_advantages(_trials(), algorithm)
    scores = [-0.1, 0.0, 10.9, -0.1, 0.0, -0.1]
    assert advantages.tolist() == pytest.approx([s - sum(scores) / 6 for s in scores])


def test_samples_are_the_row_tables_token_columns_in_row_order():
    samples = update_samples(rollout_batch(_trials()))
    assert [prompt[0] for prompt, _, _ in samples] == [10, 20, 30, 40, 50, 60]
    prompt, response, log_probs = samples[1]
    assert (prompt.tolist(), response.tolist()) == ([20, 21], [22, 22, 22])
    assert log_probs.tolist() == pytest.approx([-2.0] * 3)


def test_turn_without_token_ids_is_a_clear_error():
    trials = _trials()
    trials[1].turns[2].response_ids = None
    with pytest.raises(ValueError, match="no token ids"):
        rollout_batch(trials)


def test_invalid_action_penalty_lands_on_the_score_not_on_the_return():
    algorithm = AlgorithmSection(
        estimator="grpo", estimator_params={"norm_by_std": False},
        step_gamma=0.95, traj_gamma=0.6, invalid_action_penalty_coef=0.5,
    )  # fmt: skip
    batch = rollout_batch(_trials())
    estimate = compute_advantages(batch, algorithm, get_estimator("grpo"))
    np.testing.assert_allclose(estimate.inputs.score, [-0.6, 0.0, 10.9, -0.1, 0.0, -0.1])
    np.testing.assert_allclose(
        estimate.inputs.step_return, [-0.1 + 0.6 * 10.9, 10.9, 10.9, -0.1 + 0.6 * -0.1, -0.1, -0.1]
    )


def test_reflect_score_next_attempt_scores_a_reflection_by_the_attempt_it_informs():
    algorithm = AlgorithmSection(
        estimator="grpo", estimator_params={"norm_by_std": False},
        invalid_action_penalty_coef=0.5, reflect_score="next_attempt",
    )  # fmt: skip
    trials = _trials()
    # a third trial stopped after its reflection: no attempt follows it -> 0
    trials.append(Trial(0, 2, 5, [_turn(0, "play", -0.1, ids=70), _turn(1, "reflect", ids=80)]))
    trials[1].turns[1].action_is_valid = False  # a malformed reflection keeps its penalty
    estimate = compute_advantages(rollout_batch(trials), algorithm, get_estimator("grpo"))
    np.testing.assert_allclose(
        estimate.inputs.score, [-0.6, 10.9, 10.9, -0.1, -0.1 - 0.5, -0.1, -0.1, 0.0]
    )
    reference = compute_advantages(
        rollout_batch(trials), AlgorithmSection(estimator="grpo"), get_estimator("grpo")
    )
    assert reference.inputs.score[[1, 4, 7]].tolist() == [0.0, -0.5, 0.0]


def test_reflect_group_own_compares_reflections_only_with_each_other():
    """``reflect_group: own``: a task's reflect rows are a group of their own, so their
    advantages are centred on the reflections' mean and the play rows' on theirs."""
    algorithm = AlgorithmSection(
        estimator="grpo", estimator_params={"norm_by_std": False},
        invalid_action_penalty_coef=0.5, reflect_score="next_attempt", reflect_group="own",
    )  # fmt: skip
    advantages, _ = rollout_advantages(_trials(), algorithm)
    scores = np.array([-0.6, 10.9, 10.9, -0.1, -0.1, -0.1])
    reflect = np.array([False, True, False, False, True, False])
    expected = scores.copy()
    expected[reflect] -= scores[reflect].mean()
    expected[~reflect] -= scores[~reflect].mean()
    assert advantages.tolist() == pytest.approx(expected.tolist())
    # shared (the reference): one group of all six rows
    shared, _ = rollout_advantages(
        _trials(), algorithm.model_copy(update={"reflect_group": "shared"})
    )
    assert shared.tolist() == pytest.approx((scores - scores.mean()).tolist())
