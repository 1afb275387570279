"""What one agent has seen and written so far in one trial (one task instance).

A trial is up to N attempts at the same task, each starting from the same initial
observation. :class:`TrialMemory` keeps, per attempt, the turns played (canonical action,
resulting observation, reward) and the reflection written after it. Appending is O(1)
and nothing is rendered here: prompt text is built on demand by :mod:`lamer_memory.prompts`.

Life cycle, as the trial loop drives it::

    memory = TrialMemory(initial_observation)
    memory.record_turn(action, observation, reward)   # every play turn
    memory.end_attempt(won=False)                       # attempt over
    memory.record_reflection(text)                      # reflection on that attempt
    memory.record_turn(...)                             # next attempt, same initial state

Why a record of its own, next to the trial loop's ``lamer_core.Turn`` rows: the two hold
different things about the same turns. A ``Turn`` is a training row: the prompt the
model saw, its raw response with token ids and log-probs, the state *before* the turn
(GiGPO's anchor) and the flags the estimators read. The memory is what later prompts
show: the observation the env returned *after* each action, the action as the agent may
see it (``None`` for an invalid one, shown as "no valid action") and the parsed
reflection text. No training row carries the post-action observations or the parsed
reflections, and lamer-memory depends on nothing (not even lamer-core), so any loop can
drive it. The overlap (each play turn's action, reward and win) is appended to both in
the same step of the trial loop. Nothing else is written onto the memory: prompt text is
rebuilt from it on every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One play turn: the action the env executed and what it returned."""

    action: str | None
    """Canonical action text (the env's ``info["action"]``); ``None`` when the response
    held no valid action."""
    observation: str
    """Observation returned by the env after the action."""
    reward: float
    """Env reward of the turn."""


@dataclass(slots=True)
class AttemptRecord:
    """One attempt: its turns, whether it solved the task, and the reflection on it."""

    turns: list[TurnRecord] = field(default_factory=list)
    won: bool = False
    """The attempt solved the task."""
    reflection: str | None = None
    """Reflection written after the attempt; ``None`` until recorded."""


class TrialMemory:
    """Memory of one trial: the initial observation and every attempt so far.

    ``attempt`` is the 0-based index of the attempt being played, ``turn`` the number of
    turns already played in it (so the 0-based index of the next turn).
    """

    __slots__ = ("_attempts", "_current", "initial_observation")

    def __init__(self, initial_observation: str) -> None:
        if not isinstance(initial_observation, str):
            raise TypeError(
                f"initial_observation must be a str, got {type(initial_observation).__name__}"
            )
        self.initial_observation = initial_observation
        self._attempts: list[AttemptRecord] = []
        self._current = AttemptRecord()

    # -- recording ---------------------------------------------------------------------
    def record_turn(
        self, action: str | None, observation: str, reward: float, *, valid: bool = True
    ) -> None:
        """Append one play turn to the current attempt.

        Pass the env's ``info["action"]`` and ``valid=info["action_is_valid"]``; an invalid
        turn (or ``action=None``) is stored with ``action=None`` and shown to the model as
        a turn without a valid action.
        """
        if (action is not None and not isinstance(action, str)) or not isinstance(observation, str):
            raise TypeError("record_turn: action must be str or None, observation str")
        stored = action if valid else None
        self._current.turns.append(TurnRecord(stored, observation, float(reward)))

    def end_attempt(self, *, won: bool = False) -> None:
        """Close the current attempt; the next ``record_turn`` starts a new one."""
        self._current.won = bool(won)
        self._attempts.append(self._current)
        self._current = AttemptRecord()

    def record_reflection(self, text: str) -> None:
        """Store the reflection on the most recently finished attempt.

        Raises ``ValueError`` when no attempt has finished or the current one already has
        turns (the reflection would land on the wrong attempt).
        """
        if not isinstance(text, str):
            raise TypeError(f"reflection must be a str, got {type(text).__name__}")
        if not self._attempts:
            raise ValueError("record_reflection: no finished attempt; call end_attempt() first")
        if self._current.turns:
            raise ValueError("record_reflection: the next attempt has already started")
        self._attempts[-1].reflection = text

    # -- reading -----------------------------------------------------------------------
    @property
    def attempt(self) -> int:
        """0-based index of the attempt being played (= number of finished attempts)."""
        return len(self._attempts)

    @property
    def turn(self) -> int:
        """Turns already played in the current attempt."""
        return len(self._current.turns)

    @property
    def finished_attempts(self) -> Sequence[AttemptRecord]:
        """Finished attempts, oldest first (read-only view; do not mutate)."""
        return self._attempts

    @property
    def current_turns(self) -> Sequence[TurnRecord]:
        """Turns of the attempt being played, oldest first."""
        return self._current.turns

    @property
    def current_observation(self) -> str:
        """What the agent sees now: the last turn's observation, or the initial one."""
        turns = self._current.turns
        return turns[-1].observation if turns else self.initial_observation

    @property
    def last_finished_attempt(self) -> AttemptRecord:
        """The attempt a reflection is written about. ``ValueError`` when none finished."""
        if not self._attempts:
            raise ValueError("no finished attempt yet; call end_attempt() first")
        return self._attempts[-1]

    @property
    def won(self) -> bool:
        """Some finished attempt solved the task."""
        return any(a.won for a in self._attempts)

    def reflections(self) -> list[str]:
        """Reflections of finished attempts, oldest first (missing ones skipped)."""
        return [a.reflection for a in self._attempts if a.reflection is not None]

    def __repr__(self) -> str:
        return f"TrialMemory(attempt={self.attempt}, turn={self.turn})"
