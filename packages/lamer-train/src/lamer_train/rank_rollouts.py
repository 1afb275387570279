"""Rollouts of a torchrun job: each rank plays whole task groups, every rank gets every trial.

The task list is the single-process one (same seeds, same group ids); its groups are cut
into contiguous blocks, one per rank (:func:`lamer_train.distributed.group_share`), so
a GiGPO/GRPO group is never split. Each rank plays its block on its own engine, the
trials keep their index in the whole list as ``trial_id``, and the blocks are gathered
in rank order: every rank ends with the trials a single process would list, in the
same order, and computes the same returns, advantages and metrics from them. Only the
sampling differs: a rank's engine draws for its own block.

Sampling seeds: in async trials a request's seed follows the trial's index in the
whole list (as in one process); in lock-step waves each rank's wave seeds carry its
rank (two ranks must not draw the same random numbers for their waves).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lamer_core.records import Trial
from lamer_train.distributed import gather_objects, group_share, is_distributed, rank
from lamer_train.trial_loop import RolloutStats, Task

Play = Callable[[list[Task], list[int]], tuple[list[Trial], RolloutStats]]
"""``play(tasks, indices)``: play ``tasks`` (``indices``: their places in the whole list)."""


def rank_key() -> tuple:
    """What a rank adds to its lock-step seed keys: nothing in one process."""
    return ("rank", rank()) if is_distributed() else ()


def play_across_ranks(tasks: Sequence[Task], play: Play) -> tuple[list[Trial], RolloutStats]:
    """``play`` this rank's groups of ``tasks``; every rank gets all trials, in task order,
    and the rollout statistics of all ranks (counts summed, seconds of the slowest rank)."""
    if not is_distributed():
        return play(list(tasks), list(range(len(tasks))))
    groups = list(dict.fromkeys(task.group_id for task in tasks))
    mine = {groups[g] for g in group_share(len(groups))}
    indices = [i for i, task in enumerate(tasks) if task.group_id in mine]
    trials, stats = play([tasks[i] for i in indices], indices) if indices else ([], RolloutStats())
    for trial, index in zip(trials, indices, strict=True):
        trial.trial_id = index  # its place in the whole batch, as in one process
    parts = gather_objects((trials, stats))
    every = sorted((trial for part, _ in parts for trial in part), key=lambda t: t.trial_id)
    return every, merge_stats([part_stats for _, part_stats in parts])


def merge_stats(parts: Sequence[RolloutStats]) -> RolloutStats:
    """One rollout's statistics from its ranks': the ranks play at the same time, so the
    seconds (and waves) are the slowest rank's and the counts add up."""
    return RolloutStats(
        generation_s=max(p.generation_s for p in parts),
        env_s=max(p.env_s for p in parts),
        prompt_s=max(p.prompt_s for p in parts),
        waves=max(p.waves for p in parts),
        responses=sum(p.responses for p in parts),
        response_tokens=sum(p.response_tokens for p in parts),
        prompt_tokens=sum(p.prompt_tokens for p in parts),
    )
