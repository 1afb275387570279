"""Estimators by name, through the entry-point group ``lamer.estimators``.

Built-ins register in this package's ``pyproject.toml`` exactly as a third-party package
would, so ``get_estimator("gigpo")`` and ``get_estimator("my_estimator")`` take the same
path. Nothing is imported until a name is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from lamer_algos.batch import AdvantageInput
from lamer_core.registry import PluginRegistry

ENTRY_POINT_GROUP = "lamer.estimators"


class Estimator(Protocol):
    """``fn(batch, **params) -> advantages``.

    ``batch`` is an :class:`~lamer_algos.batch.AdvantageInput` (or a mapping of its fields);
    the result is float64 of shape ``(n,)`` for row-level (outcome) estimators, which the
    trainer broadcasts over response tokens, or ``(n, T)`` for token-level ones. The function
    must be pure: same input, same output; inputs are not modified.

    An estimator that needs a critic's ``values`` (GAE) also carries a ``value_targets``
    attribute: a function with the same signature returning the critic's regression
    targets ``(n, T)``. Its presence is what switches a trainer's critic on.
    """

    def __call__(
        self, batch: AdvantageInput | Mapping[str, Any], /, **params: Any
    ) -> np.ndarray: ...


ESTIMATORS: PluginRegistry[Estimator] = PluginRegistry(ENTRY_POINT_GROUP)


def get_estimator(name: str) -> Estimator:
    """The estimator registered as ``name`` (raises ``UnknownPluginError`` listing the names)."""
    return ESTIMATORS.get(name)


def estimator_names() -> list[str]:
    """Sorted names of every installed estimator; imports none of them."""
    return ESTIMATORS.names()


def value_targets(estimator: Estimator) -> Estimator | None:
    """The estimator's critic-target function, or ``None`` if it needs no critic."""
    return getattr(estimator, "value_targets", None)


def register_estimator(name: str, fn: Estimator) -> Estimator:
    """Register ``fn`` in this process only (notebooks, tests); packages use entry points."""
    return ESTIMATORS.register(name, fn)
