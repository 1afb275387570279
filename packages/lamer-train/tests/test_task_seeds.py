"""Task seeds: training never plays a held-out seed, the same position always gives the
same seed, and groups are task-major."""

from __future__ import annotations

from lamer_train.task_seeds import eval_task_seeds, grouped_tasks, train_task_seeds


def test_training_seeds_never_hit_held_out_seeds():
    held_out = set(eval_task_seeds(0, 8))
    train = train_task_seeds(0, 0, 8, held_out)
    assert held_out.isdisjoint(train)
    # Force a collision: holding out the first training seed makes it redrawn.
    forced = train_task_seeds(0, 0, 3, {train[0]})
    assert forced[0] != train[0] and forced[1:] == train[1:3]
    # The same position always gives the same seed (resume-safe).
    assert train_task_seeds(0, 4, 4, held_out) == train[4:]


def test_grouped_tasks_are_task_major():
    tasks = grouped_tasks([5, 9], group_size=2)
    assert [(t.seed, t.group_id) for t in tasks] == [(5, 0), (5, 0), (9, 1), (9, 1)]
