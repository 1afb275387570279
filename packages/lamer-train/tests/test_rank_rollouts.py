"""Rollouts across ranks, the one-process side (the 2-rank side runs in
test_torchrun_runs.py): a single process plays every task under its own index, and the
statistics of ranks playing at the same time merge as counts summed, seconds maxed."""

from __future__ import annotations

from lamer_core.records import Trial
from lamer_train.rank_rollouts import merge_stats, play_across_ranks, rank_key
from lamer_train.trial_loop import RolloutStats, Task


def test_one_process_plays_every_task_with_its_own_index():
    tasks = [Task(seed=s, group_id=g) for g, s in enumerate([11, 22, 33]) for _ in range(2)]
    calls = []

    def play(share, indices):
        calls.append((list(share), list(indices)))
        trials = [Trial(group_id=t.group_id, trial_id=i, seed=t.seed) for i, t in enumerate(share)]
        return trials, RolloutStats(responses=len(share))

    trials, stats = play_across_ranks(tasks, play)
    assert calls == [(tasks, [0, 1, 2, 3, 4, 5])]
    assert [(t.group_id, t.seed, t.trial_id) for t in trials] == [
        (0, 11, 0), (0, 11, 1), (1, 22, 2), (1, 22, 3), (2, 33, 4), (2, 33, 5)
    ]  # fmt: skip
    assert stats.responses == 6
    assert rank_key() == ()  # one process: the seed keys of a single-process run


def test_rank_statistics_add_counts_and_keep_the_slowest_seconds():
    merged = merge_stats(
        [
            RolloutStats(generation_s=2.0, env_s=0.5, prompt_s=0.1, waves=3, responses=4,
                         response_tokens=40, prompt_tokens=400),
            RolloutStats(generation_s=1.0, env_s=0.7, prompt_s=0.3, waves=5, responses=6,
                         response_tokens=60, prompt_tokens=600),
        ]
    )  # fmt: skip
    assert merged == RolloutStats(
        generation_s=2.0, env_s=0.7, prompt_s=0.3, waves=5, responses=10,
        response_tokens=100, prompt_tokens=1000,
    )  # fmt: skip
