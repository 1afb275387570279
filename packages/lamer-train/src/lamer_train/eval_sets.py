"""Named eval sets: which env settings a run is evaluated on, resolved from the config.

``eval.sets`` maps a name to the settings that differ from the ``eval`` section (env
kwargs, task count, group size, attempts, reflection, memory mode, turns); a field a set
leaves unset takes the ``eval`` section's value. ``eval.every``, ``eval.at_start`` and
``eval.sampling`` are shared by every set. Metrics of set ``S`` are logged as
``eval/S/<metric>`` (e.g. ``eval/held_out/pass@3``).

Every set plays the first ``num_tasks`` seeds of the run's ``eval`` seed stream, and
training seeds skip the longest such prefix (:mod:`lamer_train.task_seeds`), so no set
ever evaluates a task that was trained on, whatever its env settings.

This module does not import torch: the CLI resolves and checks the sets before any
model is built.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lamer_train.config import ConfigError, LaMerConfig

EVAL_PREFIX = "eval/"


@dataclass(frozen=True, slots=True)
class EvalSet:
    """One eval set with every setting resolved (nothing left unset)."""

    name: str
    env_kwargs: dict[str, Any]
    """Full env constructor arguments: env.kwargs <- eval.env_kwargs <- the set's."""
    num_tasks: int
    group_size: int
    num_attempts: int
    reflection: bool
    memory_mode: str
    max_turns: int

    @property
    def num_trials(self) -> int:
        return self.num_tasks * self.group_size

    def metric_key(self, metric: str) -> str:
        """``eval/<set>/<metric>``."""
        return f"{EVAL_PREFIX}{self.name}/{metric}"


def resolve_eval_sets(config: LaMerConfig, names: Sequence[str] | None = None) -> list[EvalSet]:
    """The configured eval sets (in config order), or only ``names`` (in the order given).

    Raises :class:`ConfigError` for a name that is not configured.
    """
    section = config.eval
    if names:
        unknown = [n for n in names if n not in section.sets]
        if unknown:
            raise ConfigError(
                f"eval set(s) {unknown} not in eval.sets; configured sets: {list(section.sets)}"
            )
        chosen = list(dict.fromkeys(names))
    else:
        chosen = list(section.sets)
    resolved = []
    for name in chosen:
        entry = section.sets[name]

        def pick(field: str, entry=entry) -> Any:
            value = getattr(entry, field)
            return getattr(section, field) if value is None else value

        resolved.append(
            EvalSet(
                name=name,
                env_kwargs={**config.env.kwargs, **section.env_kwargs, **entry.env_kwargs},
                num_tasks=pick("num_tasks"),
                group_size=pick("group_size"),
                num_attempts=pick("num_attempts"),
                reflection=pick("reflection"),
                memory_mode=pick("memory_mode"),
                max_turns=entry.max_turns if entry.max_turns is not None else config.env.max_turns,
            )
        )
    return resolved


def kwargs_key(kwargs: dict[str, Any]) -> str:
    """A canonical text of env kwargs: equal kwargs, equal key (used to share env pools)."""
    return json.dumps(kwargs, sort_keys=True, default=repr)


def check_eval_envs(config: LaMerConfig, names: Sequence[str] | None = None) -> None:
    """Build one env per eval set whose kwargs differ from ``env.kwargs``, so a bad
    ``env_kwargs`` stops the run before any work, naming the set."""
    import gymnasium

    import lamer_envs

    lamer_envs.register_envs()
    train_key = kwargs_key(config.env.kwargs)
    for eval_set in resolve_eval_sets(config, names):
        if kwargs_key(eval_set.env_kwargs) == train_key:
            continue  # the same env as training, checked with env.kwargs
        try:
            env = gymnasium.make(config.env.id, **eval_set.env_kwargs)
        except Exception as error:
            raise ConfigError(
                f"eval.sets.{eval_set.name}.env_kwargs: env {config.env.id!r} cannot be built "
                f"with {eval_set.env_kwargs!r} (env.kwargs, then eval.env_kwargs, then the "
                f"set's env_kwargs): {type(error).__name__}: {error}"
            ) from None
        env.close()


def metrics_by_set(metrics: dict[str, float] | None) -> dict[str, dict[str, float]]:
    """``{"eval/S/m": x}`` -> ``{"S": {"m": x}}`` (other keys are dropped)."""
    grouped: dict[str, dict[str, float]] = {}
    for key, value in (metrics or {}).items():
        parts = key.split("/", 2)
        if len(parts) == 3 and key.startswith(EVAL_PREFIX):
            grouped.setdefault(parts[1], {})[parts[2]] = value
    return grouped
