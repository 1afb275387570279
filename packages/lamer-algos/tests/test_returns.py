import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lamer_algos.returns import backward_returns, cross_attempt_returns
from lamer_algos.testing import step_batches
from lamer_core.records import StepBatch, Trial, Turn

GOLDEN = Path(__file__).parent / "golden" / "credit_assignment.jsonl"
CASES = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None)


def _batch_from_golden(trajectories: list[list[dict]]) -> StepBatch:
    trials = []
    for index, steps in enumerate(trajectories):
        turns, seen = [], {}
        for step in steps:
            attempt = step["traj_idx"]
            turn = seen.get(attempt, 0)
            seen[attempt] = turn + 1
            turns.append(
                Turn(attempt=attempt, phase=step["phase"], turn=turn, prompt="", response="",
                     reward=step["reward"])
            )  # fmt: skip
        trials.append(Trial(group_id=0, trial_id=index, seed=0, turns=turns))
    return StepBatch.from_trials(trials)


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_returns_match_reference(case: dict) -> None:
    inputs, expected = case["input"], case["expected"]
    batch = _batch_from_golden(inputs["trajectories"])
    returns, episode_rewards = cross_attempt_returns(
        batch, step_gamma=inputs["step_gamma"], traj_gamma=inputs["traj_gamma"]
    )
    flat = lambda lists: [x for inner in lists for x in inner]  # noqa: E731
    np.testing.assert_allclose(returns, flat(expected["discounted_returns"]), atol=1e-12)
    np.testing.assert_allclose(episode_rewards, flat(expected["episode_rewards"]), atol=1e-12)
    plain = backward_returns(
        batch, step_gamma=inputs["step_gamma"], traj_gamma=inputs["traj_gamma"]
    )
    np.testing.assert_allclose(plain, flat(expected["discounted_returns"]), atol=1e-12)


@PROPERTY
@given(batch=step_batches(), step_gamma=st.floats(0, 1), traj_gamma=st.floats(0, 1))
def test_returns_match_the_plain_backward_recursion(batch, step_gamma, traj_gamma) -> None:
    returns, _ = cross_attempt_returns(batch, step_gamma=step_gamma, traj_gamma=traj_gamma)
    plain = backward_returns(batch, step_gamma=step_gamma, traj_gamma=traj_gamma)
    np.testing.assert_allclose(returns, plain, atol=1e-12)


@PROPERTY
@given(batch=step_batches(), step_gamma=st.floats(0, 1))
def test_traj_gamma_zero_isolates_attempts(batch, step_gamma) -> None:
    returns, _ = cross_attempt_returns(batch, step_gamma=step_gamma, traj_gamma=0.0)
    # Each attempt as its own trial: same returns on play rows.
    isolated = replace(batch, trajectory_id=batch.trajectory_id * 100 + batch.attempt)
    alone, _ = cross_attempt_returns(isolated, step_gamma=step_gamma, traj_gamma=0.5)
    play = ~batch.is_reflect
    np.testing.assert_allclose(returns[play], alone[play], atol=1e-12)


@PROPERTY
@given(batch=step_batches())
def test_undiscounted_returns_are_reward_to_go_over_the_whole_trial(batch) -> None:
    returns, _ = cross_attempt_returns(batch, step_gamma=1.0, traj_gamma=1.0)
    play_reward = np.where(batch.is_reflect, 0.0, batch.reward)
    for trajectory in np.unique(batch.trajectory_id):
        rows = np.flatnonzero(batch.trajectory_id == trajectory)
        to_go = np.cumsum(play_reward[rows][::-1])[::-1]
        np.testing.assert_allclose(returns[rows], to_go, atol=1e-12)


@PROPERTY
@given(
    batch=step_batches(),
    other=st.data(),
    a=st.floats(-3, 3),
    b=st.floats(-3, 3),
    gammas=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_returns_are_linear_in_rewards(batch, other, a, b, gammas) -> None:
    seed = other.draw(st.integers(0, 2**32 - 1))
    second = np.random.default_rng(seed).normal(size=len(batch))
    step_gamma, traj_gamma = gammas
    g = {"step_gamma": step_gamma, "traj_gamma": traj_gamma}
    combined, episode = cross_attempt_returns(
        replace(batch, reward=a * batch.reward + b * second), **g
    )
    first_returns, first_episode = cross_attempt_returns(batch, **g)
    second_returns, second_episode = cross_attempt_returns(replace(batch, reward=second), **g)
    np.testing.assert_allclose(combined, a * first_returns + b * second_returns, atol=1e-9)
    np.testing.assert_allclose(episode, a * first_episode + b * second_episode, atol=1e-9)


@PROPERTY
@given(batch=step_batches(reflection=True), gammas=st.tuples(st.floats(0, 1), st.floats(0, 1)))
def test_reflect_row_takes_next_attempt_return(batch, gammas) -> None:
    returns, episode_rewards = cross_attempt_returns(
        batch, step_gamma=gammas[0], traj_gamma=gammas[1]
    )
    for row in np.flatnonzero(batch.is_reflect):
        later = np.flatnonzero(
            (batch.trajectory_id == batch.trajectory_id[row]) & ~batch.is_reflect
            & (batch.attempt == batch.attempt[row])
        )  # fmt: skip
        expected = returns[later[0]] if len(later) else 0.0
        assert returns[row] == expected
        assert episode_rewards[row] == 0.0


@PROPERTY
@given(batch=step_batches(), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(batch, seed) -> None:
    order = np.random.default_rng(seed).permutation(len(batch))
    shuffled = batch.take(order)
    returns, episode = cross_attempt_returns(batch, step_gamma=0.9, traj_gamma=0.6)
    shuffled_returns, shuffled_episode = cross_attempt_returns(
        shuffled, step_gamma=0.9, traj_gamma=0.6
    )
    np.testing.assert_array_equal(shuffled_returns, returns[order])
    np.testing.assert_array_equal(shuffled_episode, episode[order])


def test_episode_reward_is_the_attempt_sum_and_reflect_rows_take_the_next_return() -> None:
    turns = [
        Turn(attempt=0, phase="play", turn=0, prompt="", response="", reward=1.0),
        Turn(attempt=0, phase="play", turn=1, prompt="", response="", reward=2.0,
             action_is_valid=False),
        Turn(attempt=1, phase="reflect", turn=2, prompt="", response="", reward=5.0,
             action_is_valid=False),
        Turn(attempt=1, phase="play", turn=0, prompt="", response="", reward=4.0),
    ]  # fmt: skip
    batch = StepBatch.from_trials([Trial(group_id=3, trial_id=9, seed=0, turns=turns)])
    returns, episode = cross_attempt_returns(batch, step_gamma=0.5, traj_gamma=0.25)
    np.testing.assert_allclose(episode, [3.0, 3.0, 0.0, 4.0])
    np.testing.assert_allclose(returns, [1 + 0.5 * (2 + 0.25 * 4), 2 + 0.25 * 4, 4, 4])


@pytest.mark.parametrize(("step_gamma", "traj_gamma"), [(1.5, 0.5), (0.5, -0.1), (float("nan"), 1)])
def test_gammas_outside_unit_interval_are_refused(step_gamma, traj_gamma) -> None:
    batch = _batch_from_golden(CASES[0]["input"]["trajectories"])
    with pytest.raises(ValueError, match="gamma"):
        cross_attempt_returns(batch, step_gamma=step_gamma, traj_gamma=traj_gamma)


def test_non_finite_rewards_are_refused() -> None:
    batch = _batch_from_golden(CASES[0]["input"]["trajectories"])
    with pytest.raises(ValueError, match="NaN"):
        cross_attempt_returns(replace(batch, reward=np.array([np.nan])), step_gamma=1, traj_gamma=1)


def test_empty_batch_gives_empty_returns() -> None:
    empty = StepBatch.from_trials([])
    returns, episode = cross_attempt_returns(empty, step_gamma=0.9, traj_gamma=0.6)
    assert returns.shape == episode.shape == (0,)


def test_a_batch_of_only_reflect_rows_gets_zero_returns() -> None:
    turns = [Turn(attempt=1, phase="reflect", turn=3, prompt="", response="", reward=2.0)]
    batch = StepBatch.from_trials([Trial(group_id=0, trial_id=0, seed=0, turns=turns)])
    returns, episode = cross_attempt_returns(batch, step_gamma=0.9, traj_gamma=0.6)
    np.testing.assert_array_equal(returns, [0.0])
    np.testing.assert_array_equal(episode, [0.0])


def test_string_trajectory_ids_are_accepted() -> None:
    batch = _batch_from_golden(CASES[1]["input"]["trajectories"])
    named = replace(batch, trajectory_id=np.array(["trial-a"] * len(batch), dtype=object))
    expected, _ = cross_attempt_returns(batch, step_gamma=0.95, traj_gamma=0.6)
    returns, _ = cross_attempt_returns(named, step_gamma=0.95, traj_gamma=0.6)
    np.testing.assert_array_equal(returns, expected)


def _eq4_returns(batch: StepBatch, step_gamma: float, traj_gamma: float) -> np.ndarray:
    """The paper's Eq. 4 written out as sums (rows in time order):
    G_t^(n) = sum_l step_gamma^(l-t) r_l^(n) + sum_{m>n} traj_gamma^(m-n) g_0^(m)."""
    out = np.zeros(len(batch))
    for trajectory in np.unique(batch.trajectory_id):
        rows = np.flatnonzero((batch.trajectory_id == trajectory) & ~batch.is_reflect)
        attempts = sorted(set(batch.attempt[rows].tolist()))
        plays = {a: rows[batch.attempt[rows] == a] for a in attempts}

        def g(a: int, t: int, plays: dict = plays) -> float:
            rewards = batch.reward[plays[a][t:]]
            return float(sum(step_gamma**k * r for k, r in enumerate(rewards)))

        for position, a in enumerate(attempts):
            later = sum(
                traj_gamma ** (j - position) * g(attempts[j], 0)
                for j in range(position + 1, len(attempts))
            )
            for t, row in enumerate(plays[a]):
                out[row] = g(a, t) + later
        for row in np.flatnonzero((batch.trajectory_id == trajectory) & batch.is_reflect):
            following = rows[batch.attempt[rows] == batch.attempt[row]]
            out[row] = out[following[0]] if len(following) else 0.0
    return out


@PROPERTY
@given(batch=step_batches(reflection=True), step_gamma=st.floats(0, 1), traj_gamma=st.floats(0, 1))
def test_paper_eq4_form_matches_the_equation_written_as_sums(batch, step_gamma, traj_gamma):
    returns, _ = cross_attempt_returns(
        batch, step_gamma=step_gamma, traj_gamma=traj_gamma, form="paper_eq4"
    )
    np.testing.assert_allclose(returns, _eq4_returns(batch, step_gamma, traj_gamma), atol=1e-9)


def test_paper_eq4_does_not_discount_later_attempts_by_step_gamma() -> None:
    # One trial: attempt 0 has two rows (rewards 0, 0), attempt 1 one row (reward 1).
    turns = [
        Turn(attempt=0, phase="play", turn=0, prompt="", response="", reward=0.0),
        Turn(attempt=0, phase="play", turn=1, prompt="", response="", reward=0.0),
        Turn(attempt=1, phase="play", turn=0, prompt="", response="", reward=1.0),
    ]
    batch = StepBatch.from_trials([Trial(group_id=0, trial_id=0, seed=0, turns=turns)])
    code, _ = cross_attempt_returns(batch, step_gamma=0.5, traj_gamma=0.6)
    paper, _ = cross_attempt_returns(batch, step_gamma=0.5, traj_gamma=0.6, form="paper_eq4")
    np.testing.assert_allclose(code, [0.5 * 0.6, 0.6, 1.0])
    np.testing.assert_allclose(paper, [0.6, 0.6, 1.0])


def test_unknown_return_form_is_refused() -> None:
    batch = _batch_from_golden(CASES[0]["input"]["trajectories"])
    with pytest.raises(ValueError, match="form must be one of"):
        cross_attempt_returns(batch, step_gamma=0.9, traj_gamma=0.6, form="eq5")
