"""The metrics one training iteration logs, assembled from what its steps returned.

Key families: ``rollout/`` (trial outcomes and behaviour, see
:func:`lamer_train.evaluation.trial_metrics`, plus reward means and the row count),
``advantage/``, ``actor/`` and ``critic/`` (the updates' own metrics), ``time/`` and
``speed/`` (where the iteration's wall time went). :func:`iteration_metrics` puts them
together; the evaluation's ``eval/`` keys are added by the trainer when one is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lamer_core.records import StepBatch, Trial
from lamer_train.advantages import Advantages
from lamer_train.evaluation import trial_metrics
from lamer_train.trial_loop import RolloutStats


@dataclass(slots=True)
class StepTimes:
    """``time.perf_counter()`` marks of one iteration's steps."""

    started: float
    rollout_done: float = 0.0
    advantages_done: float = 0.0
    synced: float = 0.0
    """Start of the weight sync to the engine (the updates are done)."""
    update_done: float = 0.0


def iteration_metrics(
    trials: Sequence[Trial],
    batch: StepBatch,
    estimate: Advantages,
    *,
    num_attempts: int,
    prompts_over_budget: int,
    actor: dict[str, float],
    critic: dict[str, float],
    stats: RolloutStats,
    times: StepTimes,
) -> dict[str, float]:
    """Every key of one training iteration but ``eval/`` and ``time/iteration_s``:
    ``actor``/``critic`` are the updates' own metrics (critic: empty without one)."""
    metrics = rollout_metrics(trials, batch, num_attempts)
    metrics["rollout/prompts_over_budget"] = float(prompts_over_budget)
    metrics.update(advantage_metrics(estimate))
    metrics.update({f"actor/{k}": float(v) for k, v in actor.items()})
    metrics.update({f"critic/{k}": float(v) for k, v in critic.items()})
    metrics.update(time_metrics(stats, times))
    return metrics


def rollout_metrics(
    trials: Sequence[Trial], batch: StepBatch, num_attempts: int
) -> dict[str, float]:
    """``rollout/`` keys: pass@k and behaviour, reward means, rows of the row table."""
    metrics = {f"rollout/{k}": v for k, v in trial_metrics(trials, num_attempts).items()}
    attempt_rewards = [
        sum(t.reward for t in trial.attempt_turns(a))
        for trial in trials
        for a in range(trial.num_attempts)
    ]
    plays = ~batch.is_reflect
    metrics["rollout/episode_reward_mean"] = float(np.mean(attempt_rewards))
    # A trial's last attempt is at most attempt N: success is pass@N, under the key the
    # console line and the plots read whatever N is.
    metrics["rollout/success_rate"] = metrics.get(f"rollout/pass@{num_attempts}", float("nan"))
    metrics["rollout/rows"] = float(len(batch))
    metrics["rollout/play_reward_mean"] = float(batch.reward[plays].mean()) if plays.any() else 0.0
    return metrics


def advantage_metrics(estimate: Advantages) -> dict[str, float]:
    """Mean and mean magnitude of the advantages (token-level: over response tokens)."""
    advantages = estimate.advantages
    if estimate.token_level:
        advantages = advantages[estimate.inputs.response_mask > 0]
    if not advantages.size:
        return {"advantage/mean": 0.0, "advantage/abs_mean": 0.0}
    return {
        "advantage/mean": float(advantages.mean()),
        "advantage/abs_mean": float(np.abs(advantages).mean()),
    }


def time_metrics(stats: RolloutStats, times: StepTimes) -> dict[str, float]:
    """Seconds per step (the rollout split into generation, env and prompt building) and
    generation speed."""
    rollout_s = times.rollout_done - times.started
    return {
        "time/generation_s": stats.generation_s,
        "time/env_s": stats.env_s,
        "time/prompt_s": stats.prompt_s,
        "time/rollout_other_s": rollout_s - stats.generation_s - stats.env_s - stats.prompt_s,
        "time/advantages_s": times.advantages_done - times.rollout_done,
        "time/update_s": times.update_done - times.advantages_done,
        "time/weight_sync_s": times.update_done - times.synced,
        "speed/tokens_per_s": stats.response_tokens / max(stats.generation_s, 1e-9),
        "speed/response_tokens": float(stats.response_tokens),
        "speed/prompt_tokens": float(stats.prompt_tokens),
    }


def row_advantages(estimate: Advantages) -> np.ndarray:
    """One advantage per row, for the samples report (token-level: the row's mean)."""
    if not estimate.token_level:
        return estimate.advantages
    mask = estimate.inputs.response_mask
    return (estimate.advantages * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
