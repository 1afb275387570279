"""Cross-attempt returns: how credit flows back from later attempts to earlier ones.

Within one trial (every attempt of one agent at one task), walk the play rows backwards::

    G_t = r_t + gamma_t * G_{t+1}        gamma_t = step_gamma  if row t+1 is in the same attempt
                                                   traj_gamma if row t+1 starts a later attempt

with ``G = 0`` after the trial's last play row (paper, Sec. 3: the cross-episode
discount). A reflect row takes the return of the first play row that follows it in its
trial (the attempt it informs), or 0 if the trial stopped there; its own reward is ignored.

The episode reward of a play row is the undiscounted sum of its attempt's play rewards;
reflect rows get 0. Group-relative estimators use it as the row's score.
"""

from __future__ import annotations

import numpy as np

from lamer_algos.batch import TrialColumns
from lamer_algos.grouping import group_codes


def cross_attempt_returns(
    batch: TrialColumns, *, step_gamma: float, traj_gamma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Discounted cross-attempt return and episode reward of every row.

    Args:
        batch: rollout columns of shape ``(n,)`` (e.g. :class:`lamer_core.StepBatch`). Rows
            may come in any order: a trial's rows are ordered by ``(attempt, reflect
            before play, turn)``, ties kept in batch order.
        step_gamma: discount between consecutive play rows of one attempt.
        traj_gamma: discount from an attempt's first play row back to the previous
            attempt's last play row.

    Returns:
        ``(returns, episode_rewards)``, both float64 of shape ``(n,)`` in batch order.

    Early-stopped trials (attempts after a success are absent) need no special case: the
    recursion simply starts at the last row present. Cost: vectorised over rows; one
    Python iteration per position of the longest trial.
    """
    trajectory, attempt, is_reflect, turn, reward = _columns(batch)
    for name, gamma in (("step_gamma", step_gamma), ("traj_gamma", traj_gamma)):
        if not (np.isfinite(gamma) and 0.0 <= gamma <= 1.0):
            raise ValueError(f"{name} must be in [0, 1], got {gamma!r}")
    n = len(reward)
    returns = np.zeros(n, dtype=np.float64)
    episode_rewards = np.zeros(n, dtype=np.float64)
    if n == 0:
        return returns, episode_rewards

    trajectory_code, _ = group_codes(trajectory)
    # lexsort: the last key is the primary one. Reflect rows sort before their attempt's plays.
    order = np.lexsort((turn, ~is_reflect, attempt, trajectory_code))
    sorted_trajectory = trajectory_code[order]
    sorted_is_play = ~is_reflect[order]

    play_rows = order[sorted_is_play]
    play_returns = _play_returns(
        trajectory_code[play_rows], attempt[play_rows], reward[play_rows], step_gamma, traj_gamma
    )

    # Every sorted position looks up the first play row at or after it, in its own trial.
    positions = np.arange(n)
    next_play = np.minimum.accumulate(np.where(sorted_is_play, positions, n)[::-1])[::-1]
    has_next = next_play < n
    has_next[has_next] &= sorted_trajectory[next_play[has_next]] == sorted_trajectory[has_next]
    play_index = np.cumsum(sorted_is_play) - 1
    sorted_returns = np.zeros(n, dtype=np.float64)
    sorted_returns[has_next] = play_returns[play_index[next_play[has_next]]]
    returns[order] = sorted_returns

    play = ~is_reflect
    if play.any():
        attempt_code, num_attempts = group_codes(trajectory_code[play], attempt[play])
        attempt_sum = np.bincount(attempt_code, weights=reward[play], minlength=num_attempts)
        episode_rewards[play] = attempt_sum[attempt_code]
    return returns, episode_rewards


def _play_returns(
    trajectory: np.ndarray,
    attempt: np.ndarray,
    reward: np.ndarray,
    step_gamma: float,
    traj_gamma: float,
) -> np.ndarray:
    """Returns of play rows already sorted by trial, then time. All arrays ``(m,)``."""
    m = len(reward)
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
    by_distance = np.argsort(from_end, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(from_end))]

    value = np.zeros(m + 1, dtype=np.float64)
    for distance in range(len(bounds) - 1):
        rows = by_distance[bounds[distance] : bounds[distance + 1]]
        value[rows] = reward[rows] + gamma[rows] * value[successor[rows]]
    return value[:m]


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
