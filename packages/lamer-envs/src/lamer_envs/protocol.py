"""The text-env protocol every LaMer environment follows.

An env is a :class:`gymnasium.Env` whose observations and actions are strings:

- ``reset(seed=s)`` is deterministic across processes: the same seed gives the same
  initial state. A new attempt of a trial restarts the task with the same seed.
- ``step(text)`` accepts a model's whole response (the action inside
  ``<action>...</action>`` is used) or a bare action, and returns
  ``(obs, reward, terminated, truncated, info)`` where ``info`` always holds the
  keys below.
- Malformed actions never raise: they are invalid, cost the env's documented
  penalty and leave the state unchanged.
- The env tells prompt builders its :attr:`TextEnv.rules`, its
  :attr:`TextEnv.action_format`, the :attr:`TextEnv.initial_observation` of the last
  reset and how it reads an action out of a response (:meth:`TextEnv.parse_action`).
- Optional: ``sample_action(rng: numpy.random.Generator) -> str``, a plausible random
  action; the contract tests (``lamer_envs.checker``) use it for their random rollouts.
- Stepping after the episode ended raises :class:`gymnasium.error.ResetNeeded`.

``lamer_envs.checker.check_text_env`` checks all of this.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from gymnasium import spaces

# -- keys every ``info`` dict carries (reset and step) --------------------------------
WON = "won"
"""bool: the task is solved."""
ACTION_IS_VALID = "action_is_valid"
"""bool: the action was well formed and applicable (reset: True)."""
ANCHOR = "anchor"
"""str: key of the raw state after the call; identical states give identical anchors
(GiGPO's step groups)."""
ACTION = "action"
"""str: canonical text of the action executed (``INVALID_ACTION`` when none; reset: "")."""

INFO_KEYS = (WON, ACTION_IS_VALID, ANCHOR, ACTION)

INVALID_ACTION = "<invalid>"
"""Marker recorded in ``info["action"]`` when the response held no usable action."""

#: Characters of the observation/action :class:`gymnasium.spaces.Text` spaces: printable
#: ASCII plus the few symbols the built-in envs render. Model output outside it is still
#: accepted by ``step`` (it is parsed, not space-checked).
TEXT_CHARSET = frozenset(string.printable) | frozenset("√•–—’“”…°×")


def text_space(max_length: int, min_length: int = 0) -> spaces.Text:
    """A :class:`gymnasium.spaces.Text` over :data:`TEXT_CHARSET`."""
    return spaces.Text(max_length=max_length, min_length=min_length, charset=TEXT_CHARSET)


@dataclass(frozen=True, slots=True)
class ParsedAction:
    """What an env read out of a model response."""

    action: str | None
    """Canonical action text (e.g. ``"up, left"``, ``"(2, 3)"``), ``None`` when invalid."""
    is_valid: bool
    """The response held a well-formed action."""
    thought: str = ""
    """Free text the model wrote besides the action (kept for logs)."""


@runtime_checkable
class TextEnv(Protocol):
    """Structural type of a LaMer text env (a ``gymnasium.Env[str, str]``)."""

    observation_space: spaces.Space[Any]
    action_space: spaces.Space[Any]

    @property
    def rules(self) -> str:
        """The task's rules, in plain words, for the system prompt."""
        ...

    @property
    def action_format(self) -> str:
        """How an action must be written inside ``<action></action>`` (with an example)."""
        ...

    @property
    def initial_observation(self) -> str:
        """The observation returned by the last ``reset`` (the task as first shown)."""
        ...

    def parse_action(self, response: str) -> ParsedAction:
        """Read the action out of a model response (or a bare action). Never raises."""
        ...

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]: ...

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]: ...

    def close(self) -> None: ...
