"""From the row table to advantages: returns -> invalid-action penalty -> estimator.

One function, :func:`compute_advantages`, in equation order:

1. cross-attempt returns ``G`` and episode scores of every row
   (:func:`lamer_algos.cross_attempt_returns`; ``step_gamma`` inside an attempt,
   ``traj_gamma`` across attempts);
2. ``score = episode score - invalid_action_penalty_coef * (row is invalid)``, a reflect
   row's episode score being 0 (the reference) or, with ``algorithm.reflect_score:
   next_attempt``, that of the attempt it informs; with ``algorithm.reflect_group: own``
   a task's reflect rows form a group of their own;
3. the token arrays of token-level estimators: the response mask, and one reward per
   row at its last response token (``algorithm.token_reward``: the penalised score, as
   the reference, or the penalised cross-attempt return); the critic's values when one
   is trained;
4. the estimator: one advantage per row ``(n,)`` or per response token ``(n, T)``, and
   the critic's targets when the estimator learns from values (GAE).

Token arrays are ``(n, T)`` with ``T`` the longest response of the batch; row ``i``'s
tokens are its first ``len(response_ids[i])`` positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lamer_algos import AdvantageInput, Estimator, cross_attempt_returns, value_targets
from lamer_core.records import StepBatch, Trial
from lamer_train.config import AlgorithmSection


@dataclass(frozen=True, slots=True)
class Advantages:
    """What :func:`compute_advantages` produced for one rollout."""

    advantages: np.ndarray
    """float64 ``(n,)`` (row-level estimator) or ``(n, T)`` (token-level)."""
    inputs: AdvantageInput
    """The estimator's input (scores, returns, keys, token arrays)."""
    value_targets: np.ndarray | None = None
    """float64 ``(n, T)``: the critic's regression targets (estimators that need values)."""

    @property
    def token_level(self) -> bool:
        return self.advantages.ndim == 2


def rollout_batch(trials: Sequence[Trial]) -> StepBatch:
    """The row table of a rollout (one row per response), checked to carry token ids."""
    batch = StepBatch.from_trials(trials)
    if len(batch) and (batch.prompt_ids is None or batch.response_ids is None):
        missing = next(
            (trial.trial_id, turn.phase)
            for trial in trials
            for turn in trial.turns
            if turn.prompt_ids is None or turn.response_ids is None
        )
        raise ValueError(
            f"trial {missing[0]}: a {missing[1]} turn has no token ids; "
            "the engine must return prompt and response ids"
        )
    return batch


def update_samples(batch: StepBatch) -> list[tuple[np.ndarray, ...]]:
    """The row table's ``(prompt_ids, response_ids[, rollout_log_probs])`` per row, the
    actor's and critic's input (the log-probs feed truncated importance sampling)."""
    columns = [batch.prompt_ids, batch.response_ids]
    if batch.rollout_log_probs is not None:
        columns.append(batch.rollout_log_probs)
    return list(zip(*columns, strict=True))


def response_mask(batch: StepBatch) -> np.ndarray:
    """float64 ``(n, T)``: 1 on each row's response tokens (``T >= 1``)."""
    lengths = batch.response_lengths()
    width = max(1, int(lengths.max(initial=0)))
    return (np.arange(width)[None, :] < lengths[:, None]).astype(np.float64)


def pad_rows(rows: Sequence[np.ndarray], width: int) -> np.ndarray:
    """Right-pad 1-D float rows with zeros into float64 ``(len(rows), width)``."""
    out = np.zeros((len(rows), width), dtype=np.float64)
    for index, row in enumerate(rows):
        out[index, : len(row)] = row
    return out


def last_token_rewards(row_rewards: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``(n, T)`` zeros with each row's reward at its last response token (the reference's
    reward placement); a row without response tokens carries none."""
    rewards = np.zeros(mask.shape, dtype=np.float64)
    lengths = mask.sum(axis=1).astype(np.int64)
    rows = np.flatnonzero(lengths > 0)
    rewards[rows, lengths[rows] - 1] = row_rewards[rows]
    return rewards


def next_attempt_scores(batch: StepBatch, episode_scores: np.ndarray) -> np.ndarray:
    """``episode_scores`` with each reflect row given the score of the attempt it precedes
    in its trial (a reflect row carries that attempt's index), or 0 if the trial stopped
    before it (``algorithm.reflect_score: next_attempt``)."""
    is_reflect = np.asarray(batch.is_reflect, dtype=bool)
    trial, attempt = np.asarray(batch.trajectory_id), np.asarray(batch.attempt)
    attempt_score = {
        (int(trial[row]), int(attempt[row])): float(episode_scores[row])
        for row in np.flatnonzero(~is_reflect)
    }
    out = np.array(episode_scores, dtype=np.float64)
    for row in np.flatnonzero(is_reflect):
        out[row] = attempt_score.get((int(trial[row]), int(attempt[row])), 0.0)
    return out


def compute_advantages(
    batch: StepBatch,
    algorithm: AlgorithmSection,
    estimator: Estimator,
    values: np.ndarray | None = None,
) -> Advantages:
    """Returns -> invalid-action penalty -> estimator, for the rows of ``batch``.

    ``values`` (float64 ``(n, T)``, the critic's values of the response tokens) is needed
    by estimators that learn from a critic (GAE) and ignored by the others.
    """
    returns, episode_scores = cross_attempt_returns(
        batch,
        step_gamma=algorithm.step_gamma,
        traj_gamma=algorithm.traj_gamma,
        form=algorithm.return_form,
    )
    if algorithm.reflect_score == "next_attempt":
        episode_scores = next_attempt_scores(batch, episode_scores)
    penalty = algorithm.invalid_action_penalty_coef * ~np.asarray(batch.action_is_valid)
    scores = episode_scores - penalty
    mask = response_mask(batch)
    row_rewards = scores if algorithm.token_reward == "score" else returns - penalty
    group_id = np.asarray(batch.group_id, dtype=np.int64)
    if algorithm.reflect_group == "own":  # one more group per task: its reflect rows
        group_id = 2 * group_id + np.asarray(batch.is_reflect, dtype=np.int64)
    inputs = AdvantageInput(
        score=scores,
        group_id=group_id,
        trajectory_id=np.asarray(batch.trajectory_id),
        step_return=returns,
        anchor=np.asarray(batch.anchor),
        response_mask=mask,
        token_rewards=last_token_rewards(row_rewards, mask),
        values=values,
    )
    return estimate(inputs, algorithm, estimator)


def estimate(
    inputs: AdvantageInput, algorithm: AlgorithmSection, estimator: Estimator
) -> Advantages:
    """Run the estimator (and its value targets) on ``inputs``; check the output shape."""
    params = algorithm.estimator_params
    advantages = np.asarray(estimator(inputs, **params), dtype=np.float64)
    n = len(inputs)
    token_shape = None if inputs.response_mask is None else inputs.response_mask.shape
    if advantages.shape != (n,) and advantages.shape != token_shape:
        raise ValueError(
            f"estimator {algorithm.estimator!r} returned shape {advantages.shape}; the trainer "
            f"takes one advantage per row ({n},) or per response token {token_shape}"
        )
    if not np.all(np.isfinite(advantages)):
        raise ValueError(f"estimator {algorithm.estimator!r} returned NaN or infinite advantages")
    targets_fn = value_targets(estimator)
    targets = None
    if targets_fn is not None:
        targets = np.asarray(targets_fn(inputs, **params), dtype=np.float64)
    return Advantages(advantages=advantages, inputs=inputs, value_targets=targets)
