"""The flat, typed input every estimator takes: one row per model response.

Two views of the same rollout:

- a :class:`TrialColumns` (e.g. :class:`lamer_core.StepBatch`): what happened, used by
  :func:`lamer_algos.cross_attempt_returns`;
- an :class:`AdvantageInput`: what the estimators need (episode score, discounted step
  return, group / trajectory / anchor keys, and token-level arrays for the token-level
  estimators). Build it directly or with :meth:`AdvantageInput.from_arrays`; a trainer
  composes returns -> invalid-action penalty -> input itself (lamer-train:
  ``lamer_train.advantages``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np


class TrialColumns(Protocol):
    """Columns of a rollout batch, each of shape ``(n,)`` (row ``i`` = one model response).

    :class:`lamer_core.StepBatch` satisfies it.
    """

    @property
    def trajectory_id(self) -> np.ndarray:
        """Trial id; covers every attempt and reflect row of one trial."""
        ...

    @property
    def attempt(self) -> np.ndarray:
        """0-based attempt index."""
        ...

    @property
    def is_reflect(self) -> np.ndarray:
        """True for reflect rows, False for play rows."""
        ...

    @property
    def turn(self) -> np.ndarray:
        """Turn index inside the attempt (orders play rows of one attempt)."""
        ...

    @property
    def reward(self) -> np.ndarray:
        """Env reward of the row (ignored on reflect rows)."""
        ...


@dataclass(frozen=True, slots=True)
class AdvantageInput:
    """Estimator input: ``n`` rows, optionally with ``T`` response tokens per row.

    Row-level estimators (GiGPO, GRPO, RLOO) read ``score`` and the keys; token-level ones
    (GAE, REINFORCE++) read the ``(n, T)`` arrays. Fields an estimator needs but that are
    ``None`` raise a :class:`ValueError` naming the field.
    """

    score: np.ndarray
    """float64 ``(n,)``: episode (attempt) score of the row: the undiscounted sum of the
    attempt's play rewards minus any invalid-action penalty (0 - penalty on reflect rows)."""
    group_id: np.ndarray
    """``(n,)`` ints or strings: rows of the same task and initial state (reference: ``uid``)."""
    trajectory_id: np.ndarray
    """``(n,)`` ints or strings: one trial, all its attempts (reference: ``traj_uid``)."""
    step_return: np.ndarray | None = None
    """float64 ``(n,)``: discounted cross-attempt return (:func:`cross_attempt_returns`)."""
    anchor: np.ndarray | None = None
    """``(n,)`` strings or ints: key of the raw env state before the row (GiGPO step groups)."""
    response_mask: np.ndarray | None = None
    """``(n, T)`` 0/1: valid response tokens."""
    token_rewards: np.ndarray | None = None
    """float64 ``(n, T)``: token-level rewards (GAE, REINFORCE++)."""
    values: np.ndarray | None = None
    """float64 ``(n, T)``: critic values (GAE)."""

    def __post_init__(self) -> None:
        n = _length_of(self.score, "score")
        for name in ("score", "step_return"):
            value = getattr(self, name)
            if value is not None:
                _check_float(value, name, (n,))
        for name in ("group_id", "trajectory_id", "anchor"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, np.ndarray) or value.shape != (n,)):
                raise ValueError(f"AdvantageInput.{name} must be an array of shape ({n},)")
        token_shape = None
        for name in ("response_mask", "token_rewards", "values"):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, np.ndarray) or value.ndim != 2 or value.shape[0] != n:
                raise ValueError(f"AdvantageInput.{name} must be an array of shape ({n}, T)")
            if token_shape is not None and value.shape != token_shape:
                raise ValueError(
                    f"AdvantageInput.{name} has shape {value.shape}, other token arrays {token_shape}"
                )
            token_shape = value.shape
            if name != "response_mask":
                _check_float(value, name, value.shape)

    def __len__(self) -> int:
        return len(self.score)

    def require(self, name: str) -> np.ndarray:
        """The field ``name``, or a clear error saying the estimator needs it."""
        value = getattr(self, name)
        if value is None:
            raise ValueError(f"this estimator needs AdvantageInput.{name}, which is None")
        return value

    def take(self, rows: np.ndarray) -> AdvantageInput:
        """A new input holding only ``rows`` (an index array or boolean mask), in that order."""
        picked = {}
        for field in fields(self):
            value = getattr(self, field.name)
            picked[field.name] = None if value is None else value[rows]
        return AdvantageInput(**picked)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any]) -> AdvantageInput:
        """Build from a mapping of array-likes (keys are the field names)."""
        unknown = set(arrays) - {field.name for field in fields(cls)}
        if unknown:
            raise ValueError(f"unknown AdvantageInput fields: {sorted(unknown)}")
        converted: dict[str, Any] = {}
        for name, value in arrays.items():
            if value is None:
                continue
            if name in ("score", "step_return", "token_rewards", "values"):
                converted[name] = np.asarray(value, dtype=np.float64)
            elif name == "response_mask":
                converted[name] = np.asarray(value)
            else:
                converted[name] = _key_array(value)
        return cls(**converted)


def as_advantage_input(batch: AdvantageInput | Mapping[str, Any]) -> AdvantageInput:
    """Accept an :class:`AdvantageInput` or a mapping of arrays (``{"score": ..., ...}``)."""
    if isinstance(batch, AdvantageInput):
        return batch
    if isinstance(batch, Mapping):
        return AdvantageInput.from_arrays(batch)
    raise TypeError(
        f"estimators take an AdvantageInput or a mapping of arrays, got {type(batch).__name__}"
    )


def _length_of(value: Any, name: str) -> int:
    if not isinstance(value, np.ndarray) or value.ndim != 1:
        raise ValueError(f"AdvantageInput.{name} must be a 1-D numpy array")
    return len(value)


def _check_float(value: np.ndarray, name: str, shape: tuple[int, ...]) -> None:
    if not isinstance(value, np.ndarray) or value.shape != shape:
        raise ValueError(f"AdvantageInput.{name} must be an array of shape {shape}")
    if not np.issubdtype(value.dtype, np.floating):
        raise ValueError(f"AdvantageInput.{name} must be a float array, got dtype {value.dtype}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"AdvantageInput.{name} holds NaN or infinite values")


def _key_array(value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"key columns must be 1-D, got shape {array.shape}")
    return array
