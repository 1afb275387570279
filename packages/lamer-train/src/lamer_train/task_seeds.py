"""Which tasks a run plays: env seeds for training iterations and for the eval sets.

A task is an env seed: ``env.reset(seed=s)`` builds the same initial state in any
process. Seeds come from three streams of the run seed (:func:`lamer_core.seeding.task_seeds`):

- ``eval``: every eval set plays the first ``num_tasks`` seeds of it
  (:func:`eval_task_seeds`); the longest such prefix is held out (:func:`held_out_seeds`);
- ``train``: training task ``i`` (counted over the whole run, so a resumed run continues
  where it stopped) takes the ``i``-th seed of it, redrawn if it is held out
  (:func:`train_task_seeds`), so no evaluation task is ever trained on;
- ``warmup``: the supervised warm-up's tasks (:func:`warmup_task_seed`; the warm-up
  skips held-out seeds, :mod:`lamer_train.warmup`).

Each task is played by a group of trials (:func:`grouped_tasks`), whose rows the
estimators compare.
"""

from __future__ import annotations

from collections.abc import Sequence

from lamer_core.seeding import derive_seed, task_seeds
from lamer_train.config import LaMerConfig
from lamer_train.eval_sets import resolve_eval_sets
from lamer_train.trial_loop import Task


def eval_task_seeds(run_seed: int, count: int) -> list[int]:
    """Env seeds of the held-out tasks."""
    return task_seeds(run_seed, "eval", count)


def held_out_seeds(config: LaMerConfig) -> set[int]:
    """Env seeds of every configured eval set's tasks (the longest prefix of the eval
    stream); training never uses one of them, whichever sets a command evaluates."""
    longest = max(s.num_tasks for s in resolve_eval_sets(config))
    return set(eval_task_seeds(config.seed, longest))


def train_task_seeds(run_seed: int, start: int, count: int, held_out: set[int]) -> list[int]:
    """Env seeds of training tasks ``start .. start+count-1``, never one of ``held_out``.

    A seed that collides with a held-out one is redrawn from a separate stream keyed by
    the task index, so the result depends only on (run seed, index, held-out set).
    """
    seeds = task_seeds(run_seed, "train", count, start=start)
    out = []
    for index, seed in zip(range(start, start + count), seeds, strict=True):
        redraw = 0
        while seed in held_out:
            redraw += 1
            seed = derive_seed(run_seed, "task", "train-redraw", index, redraw)
        out.append(seed)
    return out


def warmup_task_seed(run_seed: int, index: int) -> int:
    """Env seed of warm-up task ``index`` (the ``warmup`` stream of the run seed)."""
    return derive_seed(run_seed, "task", "warmup", index)


def grouped_tasks(seeds: Sequence[int], group_size: int) -> list[Task]:
    """``group_size`` trials per seed, task-major; group id = position of the seed."""
    return [Task(seed=s, group_id=g) for g, s in enumerate(seeds) for _ in range(group_size)]


def iteration_tasks(config: LaMerConfig, data_position: int, held_out: set[int]) -> list[Task]:
    """The trials of one training iteration: the ``trial.tasks_per_iteration`` training
    tasks from ``data_position`` on (tasks already trained on), each ``trial.group_size``
    times."""
    trial = config.trial
    seeds = train_task_seeds(config.seed, data_position, trial.tasks_per_iteration, held_out)
    return grouped_tasks(seeds, trial.group_size)
