"""Evaluation on held-out tasks, and the metrics of a batch of trials.

pass@k is the fraction of trials that succeed within their first k attempts, for
k = 1..N. Baselines are evaluated the paper's way: N attempts, no reflection (plain
retries). Each named eval set (:mod:`lamer_train.eval_sets`) is evaluated by one
:func:`evaluate` call on its held-out tasks (:mod:`lamer_train.task_seeds`: training never
plays one of them).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from lamer_core.records import Trial
from lamer_train.async_trials import play_trials
from lamer_train.task_seeds import eval_task_seeds, grouped_tasks
from lamer_train.trial_loop import RolloutSetup, RolloutStats


def action_sequence_entropy(sequences: Sequence[tuple[str, ...]]) -> float:
    """Shannon entropy (nats) of the empirical distribution of distinct sequences."""
    if not sequences:
        return 0.0
    counts = Counter(sequences)
    total = len(sequences)
    return -sum(c / total * math.log(c / total) for c in counts.values())


def trial_metrics(trials: Sequence[Trial], num_attempts: int) -> dict[str, float]:
    """Success and behaviour metrics of a batch of trials (keys without a prefix).

    - ``pass@k``: solved within the first k attempts, k = 1..num_attempts;
    - ``success_attempt_k``: solved exactly at attempt k (their sum is pass@N);
    - ``mean_turns``: play turns per attempt played;
    - ``invalid_action_rate``: invalid play turns / play turns;
    - ``reflection_valid_rate``: valid reflections / reflections (absent if none);
    - ``trajectory_entropy``: per group, the entropy (nats) of the distinct action
      sequences of all its attempts, averaged over groups (0 = every attempt identical);
    - ``num_trials``: trials played (the n of the pass@k intervals, :func:`wilson_interval`).
    """
    if not trials:
        return {}
    n = len(trials)
    won_at = [t.won_at for t in trials]
    metrics: dict[str, float] = {"num_trials": float(n)}
    for k in range(1, num_attempts + 1):
        metrics[f"pass@{k}"] = sum(w is not None and w < k for w in won_at) / n
    for k in range(1, num_attempts + 1):
        metrics[f"success_attempt_{k}"] = sum(w == k - 1 for w in won_at) / n
    plays = [turn for t in trials for turn in t.turns if turn.phase == "play"]
    reflects = [turn for t in trials for turn in t.turns if turn.phase == "reflect"]
    attempts_played = sum(t.num_attempts for t in trials)
    metrics["mean_turns"] = len(plays) / max(attempts_played, 1)
    metrics["invalid_action_rate"] = sum(not p.action_is_valid for p in plays) / max(len(plays), 1)
    if reflects:
        metrics["reflection_valid_rate"] = sum(r.action_is_valid for r in reflects) / len(reflects)
    by_group: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    for trial in trials:
        for attempt in range(trial.num_attempts):
            actions = tuple(str(turn.action) for turn in trial.attempt_turns(attempt, "play"))
            by_group[trial.group_id].append(actions)
    metrics["trajectory_entropy"] = sum(
        action_sequence_entropy(seqs) for seqs in by_group.values()
    ) / len(by_group)
    return metrics


def wilson_interval(rate: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (95% for ``z=1.96``) of a success rate over ``n`` trials.

    Unlike the normal approximation it stays inside [0, 1] and is not empty at rates
    of 0 or 1, which small evaluations hit often. Trials of the same task (group size
    > 1) are not independent, so the interval is then too narrow.
    """
    if n <= 0:
        return (0.0, 1.0)
    denominator = 1 + z * z / n
    centre = (rate + z * z / (2 * n)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def pass_at_k_intervals(metrics: dict[str, float]) -> dict[str, list[float]]:
    """``pass@k_ci95: [low, high]`` for every ``pass@k`` of one eval set's metrics
    (keys without a prefix, with ``num_trials``); empty without ``num_trials``."""
    n = int(metrics.get("num_trials", 0))
    if n <= 0:
        return {}
    return {
        f"{key}_ci95": [round(v, 4) for v in wilson_interval(value, n)]
        for key, value in metrics.items()
        if key.startswith("pass@") and "_" not in key
    }


def evaluate(
    setup: RolloutSetup,
    *,
    set_name: str,
    run_seed: int,
    num_tasks: int,
    group_size: int,
    schedule: str = "lockstep",
    on_wave: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, float], list[Trial], RolloutStats]:
    """Play the held-out tasks of eval set ``set_name``; returns its metrics (keys
    ``eval/<set_name>/<metric>``), the trials and stats.

    The sampling seeds depend on the set but not on the iteration, so evaluations at
    different iterations differ only through the weights. ``schedule``: ``"lockstep"``
    waves or ``"async"`` trials (:mod:`lamer_train.async_trials`).
    """
    tasks = grouped_tasks(eval_task_seeds(run_seed, num_tasks), group_size)
    trials, stats = play_trials(
        setup,
        tasks,
        schedule=schedule,
        run_seed=run_seed,
        seed_key=("eval-sampling", set_name),
        on_wave=on_wave,
    )
    metrics = {
        f"eval/{set_name}/{k}": v
        for k, v in trial_metrics(trials, setup.settings.num_attempts).items()
    }
    return metrics, trials, stats
