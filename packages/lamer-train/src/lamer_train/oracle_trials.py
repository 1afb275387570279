"""Supervised trials from an env's oracle: what the warm start (``lamer-train sft``) learns.

An oracle-played trial follows the trial loop's rules exactly (:mod:`lamer_train.trial_loop`:
``max_turns`` play turns per attempt, an attempt ends on a win, a terminal state or the
turn limit, up to ``num_attempts`` attempts of the same task, a reflection between
attempts), but the responses are written here instead of sampled from a model:

- a play turn is the oracle's action (Sokoban: the next moves of the shortest solution,
  ``env.solution()``; MineSweeper: the logical solver's click, ``env.solver_action()``),
  replaced with probability ``action_noise`` by a random valid action
  (``env.sample_action``), so the supervised policy is imperfect and diverse;
- a reflection after a failed attempt names the first turn that left the oracle's path
  (or the outcome when none did) and the plan for the next attempt (the oracle's first
  actions from the initial state), inside ``<remark></remark>``.

Every turn becomes one (chat messages, target response) example built with the
trainer's own :class:`~lamer_train.trial_loop.PromptBuilder`, so the model learns the
exact prompts it will see in RL: the first attempt's prompt, later attempts with the
memory of earlier ones, and the reflect prompt.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np

from lamer_envs.protocol import ACTION, ACTION_IS_VALID, WON
from lamer_memory.trial_memory import TrialMemory
from lamer_train.config import ReflectionStyle
from lamer_train.trial_loop import EnvText, PromptBuilder, TrialSettings

ACTION_OPEN, ACTION_CLOSE = "<action>", "</action>"
REMARK_OPEN, REMARK_CLOSE = "<remark>", "</remark>"

Example = tuple[list[dict[str, str]], str]
"""One supervised example: chat messages and the target response."""


REFLECTION_STYLES = get_args(ReflectionStyle)


def has_oracle(env: Any) -> bool:
    """The env exposes an oracle this module knows (``solver_action`` or ``solution``)."""
    unwrapped = env.unwrapped
    return callable(getattr(unwrapped, "solver_action", None)) or callable(
        getattr(unwrapped, "solution", None)
    )


def oracle_action(env: Any) -> str | None:
    """The oracle's next action from the env's current state (``None``: it has none)."""
    unwrapped = env.unwrapped
    solver = getattr(unwrapped, "solver_action", None)
    if callable(solver):
        return str(solver())
    moves = unwrapped.solution()[: getattr(unwrapped, "num_actions_per_turn", 1)]
    return ", ".join(moves) if moves else None


def tagged(action: str) -> str:
    """``action`` inside ``<action></action>`` (left as is when already tagged)."""
    action = str(action).strip()
    if ACTION_OPEN in action:
        return action
    return f"{ACTION_OPEN}{action}{ACTION_CLOSE}"


def untagged(action: str) -> str:
    """The text inside ``<action></action>`` (or ``action`` itself when untagged)."""
    if ACTION_OPEN not in action:
        return action.strip()
    return action.split(ACTION_OPEN, 1)[1].split(ACTION_CLOSE, 1)[0].strip()


@dataclass(slots=True)
class _Attempt:
    """What happened in one attempt, for its reflection."""

    actions: list[str] = field(default_factory=list)
    """Canonical action of every turn (the env's ``info["action"]``)."""
    off_path: int | None = None
    """0-based turn whose action was not the oracle's (first such turn)."""
    oracle_there: str | None = None
    """The oracle's action at that turn."""
    ended: str = ""
    """How the attempt ended, in words."""


def play_oracle_trial(
    env: Any,
    seed: int,
    prompts: PromptBuilder,
    settings: TrialSettings,
    rng: np.random.Generator,
    action_noise: float,
    *,
    scripted_plan: bool = True,
    reflection: ReflectionStyle = "oracle_plan",
) -> tuple[list[Example], list[bool]]:
    """One trial of task ``seed`` played by the noisy oracle; returns its examples and,
    per attempt played, whether it solved the task. ``scripted_plan=False``: no oracle
    at all (every action random, reflections name a random plan: format only).
    ``reflection``: what the reflections say (:func:`write_reflection`)."""
    if reflection not in REFLECTION_STYLES:
        raise ValueError(
            f"warmup.reflection must be one of {REFLECTION_STYLES}, got {reflection!r}"
        )
    observation, _ = env.reset(seed=seed)
    text = EnvText(env.unwrapped.rules, env.unwrapped.action_format)
    plan = _plan(env) if scripted_plan else untagged(env.unwrapped.sample_action(rng))
    memory = TrialMemory(observation)
    examples: list[Example] = []
    wins: list[bool] = []
    for attempt in range(settings.num_attempts):
        if attempt:
            env.reset(seed=seed)
        record = _Attempt()
        won = False
        for turn in range(settings.max_turns):
            best = oracle_action(env) if scripted_plan else None
            noisy = best is None or rng.random() < action_noise
            action = untagged(env.unwrapped.sample_action(rng)) if noisy else best
            examples.append((prompts.play_messages(memory, text), tagged(action)))
            observation, reward, terminated, truncated, info = env.step(tagged(action))
            executed = str(info.get(ACTION))
            if best is not None and record.off_path is None and executed != best:
                record.off_path, record.oracle_there = turn, best
            record.actions.append(executed)
            memory.record_turn(executed, observation, float(reward), valid=info[ACTION_IS_VALID])
            won = bool(info[WON])
            if won or terminated or truncated:
                record.ended = _ending(info, terminated)
                break
        memory.end_attempt(won=won)
        wins.append(won)
        if won or attempt + 1 >= settings.num_attempts:
            break
        if settings.reflection:
            remark = write_reflection(record, plan, reflection)
            examples.append(
                (prompts.reflect_messages(memory, text), f"{REMARK_OPEN}{remark}{REMARK_CLOSE}")
            )
            memory.record_reflection(remark)
    return examples, wins


def _plan(env: Any) -> str:
    """The oracle's first actions from the initial state: the next attempt's plan."""
    unwrapped = env.unwrapped
    if callable(getattr(unwrapped, "solver_action", None)):
        return f"open {unwrapped.solver_action()} first"
    moves = unwrapped.solution()
    return ", ".join(moves) if moves else "find another way"


def _ending(info: dict[str, Any], terminated: bool) -> str:
    if info.get("dead_state"):
        return "the box got stuck"
    if info.get("status") == "GAME_OVER":
        return "that click hit a mine"
    return "the turns ran out"


def write_reflection(attempt: _Attempt, plan: str, style: ReflectionStyle = "oracle_plan") -> str:
    """A short diagnosis of the failed attempt and, with ``style="oracle_plan"``, the
    oracle's move at the mistake and its plan for the next attempt. ``"mistake_only"``
    names the mistake alone: the turn and the moves played there, which the reflect
    prompt shows, so a model can write it without solving the task."""
    ended = attempt.ended or "the turns ran out"
    if attempt.off_path is None:
        diagnosis = f"The attempt failed: {ended}."
    else:
        number = attempt.off_path + 1
        better = "" if style == "mistake_only" else f", better was {attempt.oracle_there}"
        diagnosis = (
            f"Turn {number} ({attempt.actions[number - 1]}) was a mistake{better}; then {ended}."
        )
    return diagnosis if style == "mistake_only" else f"{diagnosis} Next: {plan}."


def _moves(action: str) -> list[str]:
    return [move.strip().lower() for move in untagged(action).split(",") if move.strip()]


def oracle_agreement(
    env: Any, seeds: list[int], prompts: PromptBuilder, engine: Any
) -> dict[str, float]:
    """How often the policy's greedy first action equals the oracle's on tasks ``seeds``.

    The check of a warm start: does it read the state, or only write the format? Each
    task's first-attempt, first-turn prompt is answered greedily (temperature 0) by
    ``engine``; ``action`` is the share of tasks whose whole action equals the oracle's
    (moves compared case- and space-insensitively), ``first_move`` the share whose
    first comma-separated move does. ``first_move_blind`` is the best a policy blind to
    the state can score on ``first_move``: the share of the most common oracle first move.
    """
    from lamer_train.engines.base import SamplingConfig

    text = EnvText(env.unwrapped.rules, env.unwrapped.action_format)
    messages, oracle = [], []
    for seed in seeds:
        observation, _ = env.reset(seed=seed)
        oracle.append(_moves(oracle_action(env) or ""))
        messages.append(prompts.play_messages(TrialMemory(observation), text))
    greedy = SamplingConfig(temperature=0.0, max_new_tokens=32)
    answers = [_moves(c.text) for c in engine.generate(messages, greedy, seed=0)]
    pairs = list(zip(answers, oracle, strict=True))
    count = max(len(pairs), 1)
    firsts = Counter(tuple(o[:1]) for o in oracle)
    return {
        "tasks": len(pairs),
        "action": sum(a == o for a, o in pairs) / count,
        "first_move": sum(a[:1] == o[:1] for a, o in pairs) / count,
        "first_move_blind": max(firsts.values(), default=0) / count,
    }
