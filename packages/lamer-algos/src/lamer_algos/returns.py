"""Cross-attempt returns: how credit flows back from later attempts to earlier ones.

Two forms, chosen by ``form``:

``"recursive"`` (default; the reference code's ``credit_assignment``, which the golden
vectors pin). Within one trial (every attempt of one agent at one task), walk the play
rows backwards::

    G_t = r_t + gamma_t * G_{t+1}        gamma_t = step_gamma  if row t+1 is in the same attempt
                                                   traj_gamma if row t+1 starts a later attempt

with ``G = 0`` after the trial's last play row. The later attempts' value reaches row
``t`` of attempt ``n`` discounted by ``traj_gamma`` *and* by ``step_gamma`` once per
remaining step of attempt ``n``.

``"paper_eq4"`` (the paper's Eq. 4). With ``g_t^(n)`` the discounted return of attempt
``n`` alone (``step_gamma``, stopping at the attempt's end)::

    G_t^(n) = g_t^(n) + sum_{m > n} traj_gamma^(m - n) * g_0^(m)

so the later attempts' term is the same for every row of attempt ``n`` (no
``step_gamma`` discount). The two forms agree on an attempt's last row and whenever
``step_gamma = 1``.

A reflect row takes the return of the first play row that follows it in its trial (the
attempt it informs), or 0 if the trial stopped there; its own reward is ignored.

The episode reward of a play row is the undiscounted sum of its attempt's play rewards;
reflect rows get 0. Group-relative estimators use it as the row's score.

:func:`backward_returns` is the ``"recursive"`` form as written above, one Python step
per row. :func:`cross_attempt_returns` computes the same numbers with numpy, one step per
position of the longest trial: about 4x faster on 100k rows (``tools/bench/algos.py``
prints both); the tests hold the two equal.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from lamer_algos.batch import TrialColumns
from lamer_algos.grouping import group_codes

ReturnForm = Literal["recursive", "paper_eq4"]
"""How later attempts' value enters a row's return (see the module docstring)."""
RETURN_FORMS: tuple[ReturnForm, ...] = get_args(ReturnForm)


def cross_attempt_returns(
    batch: TrialColumns,
    *,
    step_gamma: float,
    traj_gamma: float,
    form: ReturnForm = "recursive",
) -> tuple[np.ndarray, np.ndarray]:
    """Discounted cross-attempt return and episode reward of every row.

    Args:
        batch: rollout columns of shape ``(n,)`` (e.g. :class:`lamer_core.StepBatch`). Rows
            may come in any order: a trial's rows are ordered by ``(attempt, reflect
            before play, turn)``, ties kept in batch order. A reflect row carries the
            index of the attempt it precedes.
        step_gamma: discount between consecutive play rows of one attempt.
        traj_gamma: discount from an attempt's first play row back to the previous
            attempt's last play row.
        form: ``"recursive"`` (the reference code) or ``"paper_eq4"`` (the paper's
            equation); see the module docstring.

    Returns:
        ``(returns, episode_rewards)``, both float64 of shape ``(n,)`` in batch order.

    Early-stopped trials (attempts after a success are absent) need no special case: the
    recursion simply starts at the last row present. Cost: vectorised over rows; one
    Python iteration per position of the longest trial (:func:`backward_returns` is the
    plain loop of the ``"recursive"`` form).
    """
    trajectory, attempt, is_reflect, turn, reward = _columns(batch)
    _check_gammas(step_gamma, traj_gamma)
    if form not in RETURN_FORMS:
        raise ValueError(f"form must be one of {RETURN_FORMS}, got {form!r}")
    n = len(reward)
    returns = np.zeros(n, dtype=np.float64)
    episode_rewards = np.zeros(n, dtype=np.float64)
    if n == 0:
        return returns, episode_rewards

    # Integer ids sort as they are; other ids (strings) become dense integer codes first.
    trajectory_key = (
        trajectory if np.issubdtype(trajectory.dtype, np.integer) else group_codes(trajectory)[0]
    )
    order = _time_order(trajectory_key, attempt, is_reflect, turn)
    if order is not None:
        trajectory_key, attempt, is_reflect, reward = (
            column[order] for column in (trajectory_key, attempt, is_reflect, reward)
        )
    is_play = ~is_reflect
    play_trajectory, play_attempt, play_reward = (
        column[is_play] for column in (trajectory_key, attempt, reward)
    )
    if form == "recursive":
        play_returns = _play_returns(
            play_trajectory, play_attempt, play_reward, step_gamma, traj_gamma
        )
    else:
        play_returns = _eq4_play_returns(
            play_trajectory, play_attempt, play_reward, step_gamma, traj_gamma
        )

    # Every row looks up the first play row at or after it (itself, for a play row); a
    # reflect row takes that row's return if it belongs to the same trial, else 0.
    next_play = np.minimum.accumulate(np.where(is_play, np.arange(n), n)[::-1])[::-1]
    has_next = next_play < n
    has_next[has_next] &= trajectory_key[next_play[has_next]] == trajectory_key[has_next]
    play_index = np.cumsum(is_play) - 1
    returns[has_next] = play_returns[play_index[next_play[has_next]]]

    # Play rows of one attempt are contiguous in time order: sum each run.
    if len(play_reward):
        new_attempt = np.ones(len(play_reward), dtype=bool)
        new_attempt[1:] = (play_trajectory[1:] != play_trajectory[:-1]) | (
            play_attempt[1:] != play_attempt[:-1]
        )
        attempt_index = np.cumsum(new_attempt) - 1
        attempt_sum = np.bincount(attempt_index, weights=play_reward)
        episode_rewards[is_play] = attempt_sum[attempt_index]

    if order is not None:  # back to batch order
        returns[order], episode_rewards[order] = returns.copy(), episode_rewards.copy()
    return returns, episode_rewards


def backward_returns(batch: TrialColumns, *, step_gamma: float, traj_gamma: float) -> np.ndarray:
    """The ``"recursive"`` returns of :func:`cross_attempt_returns`, as the plain loop.

    ``G_t = r_t + gamma_t * G_{t+1}`` over the rows of each trial in time order, where
    ``G_{t+1}`` is the return of the next play row of the same trial (0 after its last)
    and ``gamma_t`` is ``traj_gamma`` when that row starts a later attempt. A reflect row
    takes ``G_{t+1}`` unchanged. Same arguments and checks; float64 ``(n,)``.
    """
    trajectory, attempt, is_reflect, turn, reward = _columns(batch)
    _check_gammas(step_gamma, traj_gamma)
    trial = group_codes(trajectory)[0]
    order = _time_order(trial, attempt, is_reflect, turn)
    order = np.arange(len(reward)) if order is None else order
    trial, attempt, is_reflect, reward = (
        column[order].tolist() for column in (trial, attempt, is_reflect, reward)
    )
    returns = np.zeros(len(reward), dtype=np.float64)
    following, following_attempt = 0.0, None  # G and attempt of the next play row
    for t in reversed(range(len(reward))):
        if t + 1 == len(reward) or trial[t + 1] != trial[t]:  # last row of its trial
            following, following_attempt = 0.0, attempt[t]
        if not is_reflect[t]:
            gamma = step_gamma if attempt[t] == following_attempt else traj_gamma
            following, following_attempt = reward[t] + gamma * following, attempt[t]
        returns[order[t]] = following
    return returns


def _time_order(
    trajectory: np.ndarray, attempt: np.ndarray, is_reflect: np.ndarray, turn: np.ndarray
) -> np.ndarray | None:
    """Permutation putting rows in time order per trial, or None if they already are.

    The order is ``(trajectory, attempt, reflect before play, turn)``, ties kept in batch
    order; batches built trial by trial (``StepBatch.from_trials``) skip the sort.
    """
    is_play = ~is_reflect
    keys = (trajectory, attempt, is_play, turn)
    # Row i+1 >= row i lexicographically, built from the last key to the first.
    in_order = np.ones(len(turn) - 1, dtype=bool)
    for key in reversed(keys):
        before, after = key[:-1], key[1:]
        in_order = (before < after) | ((before == after) & in_order)
    if in_order.all():
        return None
    # lexsort: the last key is the primary one.
    return np.lexsort(keys[::-1])


def _play_returns(
    trajectory: np.ndarray,
    attempt: np.ndarray,
    reward: np.ndarray,
    step_gamma: float,
    traj_gamma: float,
) -> np.ndarray:
    """Returns of play rows already sorted by trial, then time. All arrays ``(m,)``."""
    m = len(reward)
    if m == 0:
        return np.zeros(0, dtype=np.float64)
    same_trial_next = np.zeros(m, dtype=bool)
    same_trial_next[:-1] = trajectory[1:] == trajectory[:-1]
    same_attempt_next = np.zeros(m, dtype=bool)
    same_attempt_next[:-1] = attempt[1:] == attempt[:-1]
    gamma = np.where(same_attempt_next, step_gamma, traj_gamma) * same_trial_next
    # Index of the next play row of the same trial; m points at a sentinel 0 return.
    successor = np.where(same_trial_next, np.arange(1, m + 1), m)

    # Distance of each row from the end of its trial; rows at equal distance are
    # independent, so each distance is one vectorised step.
    starts = np.flatnonzero(np.r_[True, ~same_trial_next[:-1]])
    lengths = np.diff(np.r_[starts, m])
    segment = np.repeat(np.arange(len(starts)), lengths)
    from_end = (starts + lengths)[segment] - 1 - np.arange(m)
    # Small non-negative ints: a 16-bit key lets numpy use its radix sort.
    sort_key = from_end.astype(np.uint16) if from_end.max() < 2**16 else from_end
    by_distance = np.argsort(sort_key, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(from_end))]

    value = np.zeros(m + 1, dtype=np.float64)
    for distance in range(len(bounds) - 1):
        rows = by_distance[bounds[distance] : bounds[distance + 1]]
        value[rows] = reward[rows] + gamma[rows] * value[successor[rows]]
    return value[:m]


def _check_gammas(step_gamma: float, traj_gamma: float) -> None:
    for name, gamma in (("step_gamma", step_gamma), ("traj_gamma", traj_gamma)):
        if not (np.isfinite(gamma) and 0.0 <= gamma <= 1.0):
            raise ValueError(f"{name} must be in [0, 1], got {gamma!r}")


def _eq4_play_returns(
    trajectory: np.ndarray,
    attempt: np.ndarray,
    reward: np.ndarray,
    step_gamma: float,
    traj_gamma: float,
) -> np.ndarray:
    """Eq. 4 returns of play rows sorted by trial, then time: ``g_t^(n)`` plus
    ``traj_gamma * G_0^(n+1)``, the next attempt's first-row return."""
    m = len(reward)
    if m == 0:
        return np.zeros(0, dtype=np.float64)
    # g: each attempt on its own (a cross-attempt discount of 0 cuts the recursion there).
    within = _play_returns(trajectory, attempt, reward, step_gamma, 0.0)
    first = np.ones(m, dtype=bool)
    first[1:] = (trajectory[1:] != trajectory[:-1]) | (attempt[1:] != attempt[:-1])
    first_rows = np.flatnonzero(first)
    # G_0 of every attempt: attempts of a trial form a chain discounted by traj_gamma;
    # distinct attempt labels make _play_returns use traj_gamma between every pair.
    attempt_start = _play_returns(
        trajectory[first_rows],
        np.arange(len(first_rows)),
        within[first_rows],
        step_gamma,
        traj_gamma,
    )
    # The next attempt's G_0 (0 after the trial's last attempt).
    attempt_trajectory = trajectory[first_rows]
    has_next = np.zeros(len(first_rows), dtype=bool)
    has_next[:-1] = attempt_trajectory[1:] == attempt_trajectory[:-1]
    next_start = np.zeros(len(first_rows), dtype=np.float64)
    next_start[:-1] = np.where(has_next[:-1], attempt_start[1:], 0.0)
    attempt_index = np.cumsum(first) - 1
    return within + traj_gamma * next_start[attempt_index]


def _columns(
    batch: TrialColumns,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    try:
        trajectory = np.asarray(batch.trajectory_id)
        attempt = np.asarray(batch.attempt)
        is_reflect = np.asarray(batch.is_reflect)
        turn = np.asarray(batch.turn)
        reward = np.asarray(batch.reward)
    except AttributeError as error:
        raise TypeError(
            "cross_attempt_returns needs columns trajectory_id, attempt, is_reflect, turn, "
            f"reward (e.g. a lamer_core.StepBatch): {error}"
        ) from error
    n = len(reward)
    for name, column in (
        ("trajectory_id", trajectory),
        ("attempt", attempt),
        ("is_reflect", is_reflect),
        ("turn", turn),
        ("reward", reward),
    ):
        if column.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), got {column.shape}")
    if is_reflect.dtype != bool:
        raise ValueError(f"is_reflect must be a bool array, got dtype {is_reflect.dtype}")
    if not np.issubdtype(attempt.dtype, np.integer) or not np.issubdtype(turn.dtype, np.integer):
        raise ValueError("attempt and turn must be integer arrays")
    if n and (attempt.min() < 0 or turn.min() < 0):
        raise ValueError("attempt and turn must be >= 0")
    reward = reward.astype(np.float64, copy=False)
    if not np.all(np.isfinite(reward)):
        raise ValueError("reward holds NaN or infinite values")
    return trajectory, attempt, is_reflect, turn, reward
