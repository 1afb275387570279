"""Records of what happened in a trial, and the flat batch view the trainer learns from.

A **trial** is up to N **attempts** at one task, every attempt starting from the same
initial state. Between attempts the agent writes a **reflection**. Every model response
(a play turn or a reflect turn) becomes one :class:`Turn`; one row of a :class:`StepBatch`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Phase = Literal["play", "reflect"]
PHASES: tuple[Phase, ...] = ("play", "reflect")

#: Anchor given to reflect turns: they never share a state with a play turn.
REFLECTION_ANCHOR = "reflection"


@dataclass(slots=True)
class Turn:
    """One model response and what it led to."""

    attempt: int
    """0-based attempt index inside the trial. A reflect turn belongs to the attempt it
    prepares (the next one), as in the reference rollout: attempt 0 has no reflect turn."""
    phase: Phase
    """``"play"`` (an action in the env) or ``"reflect"`` (a reflection between attempts)."""
    turn: int
    """0-based play-turn index inside the attempt; a reflect turn uses the number of play
    turns of the attempt it reflects on."""
    prompt: str
    """The prompt text the model saw (chat template applied by the engine, not here)."""
    response: str
    """The model's raw response text."""
    action: str | None = None
    """Canonical action the env executed (``info["action"]``); ``None`` for reflect turns."""
    reward: float = 0.0
    """Env reward of this turn (0 for reflect turns)."""
    done: bool = False
    """The attempt ended with this turn (terminated or truncated)."""
    won: bool = False
    """The task was solved with this turn."""
    action_is_valid: bool = True
    """The response held a well-formed action (play) or reflection (reflect)."""
    anchor: str = REFLECTION_ANCHOR
    """Key of the raw env state *before* this turn; GiGPO groups identical anchors."""
    prompt_ids: list[int] | None = None
    """Token ids of the prompt, when an engine produced them."""
    response_ids: list[int] | None = None
    """Token ids of the response, when an engine produced them."""
    response_log_probs: list[float] | None = None
    """Sampling log-probabilities of ``response_ids`` (rollout policy), when available."""

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"Turn.phase must be one of {PHASES}, got {self.phase!r}")
        if self.attempt < 0 or self.turn < 0:
            raise ValueError(
                f"Turn.attempt and Turn.turn must be >= 0, got {self.attempt}, {self.turn}"
            )


@dataclass(slots=True)
class Trial:
    """All attempts of one agent at one task instance, in order."""

    group_id: int
    """Tasks sharing an initial state (same env seed) share a group id."""
    trial_id: int
    """Unique id of this trial in its batch."""
    seed: int
    """Env seed: every attempt calls ``reset(seed=seed)``."""
    turns: list[Turn] = field(default_factory=list)

    @property
    def num_attempts(self) -> int:
        """Attempts that were started (later attempts are absent once the task is won)."""
        return 1 + max((t.attempt for t in self.turns), default=-1)

    @property
    def won_at(self) -> int | None:
        """Index of the attempt that solved the task, or ``None``."""
        return next((t.attempt for t in self.turns if t.phase == "play" and t.won), None)

    def attempt_turns(self, attempt: int, phase: Phase = "play") -> list[Turn]:
        return [t for t in self.turns if t.attempt == attempt and t.phase == phase]

    def reflections(self) -> list[str]:
        return [t.response for t in self.turns if t.phase == "reflect"]


@dataclass(slots=True, frozen=True)
class StepBatch:
    """Columnar view of many trials: row ``i`` of every array is one model response.

    All arrays have shape ``(n,)``. This is the input format of ``lamer_algos``.
    """

    group_id: np.ndarray
    """int64: task group (same initial state)."""
    trajectory_id: np.ndarray
    """int64: the row's ``Trial.trial_id``; covers every attempt (and reflect turn) of one
    trial (the estimators' name, the reference's ``traj_uid``)."""
    attempt: np.ndarray
    """int64: attempt index."""
    is_reflect: np.ndarray
    """bool: True for reflect rows, False for play rows."""
    turn: np.ndarray
    """int64: turn index inside the attempt."""
    reward: np.ndarray
    """float64: per-row env reward."""
    done: np.ndarray
    """bool: the attempt ended at this row."""
    won: np.ndarray
    """bool: the task was solved at this row."""
    action_is_valid: np.ndarray
    """bool: well-formed action / reflection."""
    anchor: np.ndarray
    """object (str): anchor state key."""
    prompt_ids: np.ndarray | None = None
    """object: row ``i`` holds the int64 token ids of its prompt; ``None`` when some turn
    has no ids (an engine that returns text only)."""
    response_ids: np.ndarray | None = None
    """object: row ``i`` holds the int64 token ids of its response (may be empty); ``None``
    as for ``prompt_ids``."""
    rollout_log_probs: np.ndarray | None = None
    """object: row ``i`` holds the float64 sampling log-probs of its response tokens (the
    rollout policy, as the engine computed them); ``None`` when some turn has none."""

    def __post_init__(self) -> None:
        n = len(self.group_id)
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value is None and name in _TOKEN_COLUMNS:
                continue
            if not isinstance(value, np.ndarray) or value.shape != (n,):
                raise ValueError(f"StepBatch.{name} must be a 1-D array of length {n}")
        if self.rollout_log_probs is not None and self.response_ids is not None:
            for row, (ids, log_probs) in enumerate(
                zip(self.response_ids, self.rollout_log_probs, strict=True)
            ):
                if len(ids) != len(log_probs):
                    raise ValueError(
                        f"StepBatch row {row}: {len(log_probs)} rollout log-probs for "
                        f"{len(ids)} response tokens"
                    )

    def __len__(self) -> int:
        return len(self.group_id)

    @classmethod
    def from_trials(cls, trials: Sequence[Trial]) -> StepBatch:
        """Flatten trials (in order, turns in order) into one batch."""
        rows = [(trial, t) for trial in trials for t in trial.turns]
        return cls(
            group_id=np.array([tr.group_id for tr, _ in rows], dtype=np.int64),
            trajectory_id=np.array([tr.trial_id for tr, _ in rows], dtype=np.int64),
            attempt=np.array([t.attempt for _, t in rows], dtype=np.int64),
            is_reflect=np.array([t.phase == "reflect" for _, t in rows], dtype=bool),
            turn=np.array([t.turn for _, t in rows], dtype=np.int64),
            reward=np.array([t.reward for _, t in rows], dtype=np.float64),
            done=np.array([t.done for _, t in rows], dtype=bool),
            won=np.array([t.won for _, t in rows], dtype=bool),
            action_is_valid=np.array([t.action_is_valid for _, t in rows], dtype=bool),
            anchor=np.array([t.anchor for _, t in rows], dtype=object).reshape(len(rows)),
            prompt_ids=_ragged([t.prompt_ids for _, t in rows], np.int64),
            response_ids=_ragged([t.response_ids for _, t in rows], np.int64),
            rollout_log_probs=_ragged([t.response_log_probs for _, t in rows], np.float64),
        )

    def take(self, rows: np.ndarray) -> StepBatch:
        """A new batch holding only ``rows`` (an index array or boolean mask), in that order."""
        columns = {
            name: None if getattr(self, name) is None else getattr(self, name)[rows]
            for name in self.__dataclass_fields__
        }
        return StepBatch(**columns)

    def response_lengths(self) -> np.ndarray:
        """int64 ``(n,)``: response tokens per row (needs ``response_ids``)."""
        if self.response_ids is None:
            raise ValueError("StepBatch.response_ids is None: the rows carry no token ids")
        return np.array([len(ids) for ids in self.response_ids], dtype=np.int64)


_TOKEN_COLUMNS = ("prompt_ids", "response_ids", "rollout_log_probs")


def _ragged(rows: list[list[int] | list[float] | None], dtype: type) -> np.ndarray | None:
    """One object array holding a typed array per row, or ``None`` if any row is missing."""
    if any(row is None for row in rows):
        return None
    column = np.empty(len(rows), dtype=object)
    for index, row in enumerate(rows):
        column[index] = np.asarray(row, dtype=dtype)
    return column
