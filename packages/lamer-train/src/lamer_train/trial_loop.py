"""The trial loop: many agents play up to N attempts at their tasks, in lock-step waves.

One *instance* is one trial: an env (an index into a :class:`lamer_envs.pool.EnvPool`),
the task seed, and the agent's memory. Each wave asks the engine for one response per
unfinished instance (play or reflect turns mixed in one batch), steps the envs of the
play turns in one pool call, then advances every instance:

- play turn: ``env.step(response)``; the attempt ends when the task is won, the env
  terminates or truncates, or ``max_turns`` play turns were played;
- an attempt that ended without a win, with attempts left: a reflect turn (when
  ``reflection`` is on), then the next attempt from ``env.reset(seed=same seed)``;
- a won trial stops: its later attempts (and their reflections) are absent.

Every model response becomes one :class:`lamer_core.Turn` (one training row) holding
the prompt/response token ids, reward, attempt, phase and the anchor (the env state
*before* the turn; reflect turns use :data:`lamer_core.REFLECTION_ANCHOR`). A reflect
turn belongs to the attempt it precedes, as in the reference's rollout. The same step
feeds the agent's memory (:class:`lamer_memory.TrialMemory`, which the prompts are built
from); why that is a record of its own is said in :mod:`lamer_memory.trial_memory`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from lamer_core.records import REFLECTION_ANCHOR, Trial, Turn
from lamer_envs.pool import EnvPool
from lamer_envs.protocol import ACTION, ACTION_IS_VALID, ANCHOR, INVALID_ACTION, WON
from lamer_memory.prompts import render_messages
from lamer_memory.trial_memory import TrialMemory
from lamer_train.engines.base import ChatMessage, Completion, Engine, SamplingConfig


@dataclass(frozen=True, slots=True)
class Task:
    """One trial to play: the env seed of its task and its group."""

    seed: int
    """Env seed; every attempt restarts with ``reset(seed=seed)``."""
    group_id: int
    """Trials of the same task share it (GRPO/GiGPO groups)."""


@dataclass(frozen=True, slots=True)
class EnvText:
    """What a prompt needs from an env besides its observations."""

    rules: str
    """The env's rules text (``env.rules``)."""
    action_format: str
    """How to write an action (``env.action_format``)."""


def pool_texts(pool: EnvPool, count: int) -> list[EnvText]:
    """Rules and action format of envs ``0..count-1`` of a pool."""
    indices = list(range(count))
    rules = pool.get_attr("rules", indices)
    formats = pool.get_attr("action_format", indices)
    return [EnvText(r, f) for r, f in zip(rules, formats, strict=True)]


class PromptBuilder(Protocol):
    """How the trial loop talks to the agent: prompts out, reflections in.

    :class:`lamer_train.prompting.MemoryPrompts` implements it on top of lamer-memory; a
    different prompt format is a different object with these three methods.
    """

    def play_messages(
        self,
        memory: TrialMemory,
        env: EnvText,
        available_actions: Sequence[str] | None = None,
    ) -> list[ChatMessage]:
        """Chat prompt of the next play turn (``available_actions``: for envs that list
        their valid commands, e.g. WebShop and ALFWorld)."""
        ...

    def reflect_messages(self, memory: TrialMemory, env: EnvText) -> list[ChatMessage]:
        """Chat prompt asking for a reflection on the attempt that just ended."""
        ...

    def parse_reflection(self, response: str) -> tuple[str, bool]:
        """``(reflection text, is_valid)`` read from a reflect-turn response."""
        ...


@dataclass(frozen=True, slots=True)
class TrialSettings:
    """Shape of one rollout (see :class:`lamer_train.config.TrialSection`)."""

    num_attempts: int
    max_turns: int
    reflection: bool


@dataclass(frozen=True, slots=True)
class RolloutSetup:
    """What playing a batch of trials needs besides its tasks and sampling seeds: the
    same for both schedules (:func:`run_trials`, and
    :func:`lamer_train.async_trials.run_trials_async`)."""

    pool: EnvPool
    """Env ``i`` plays task ``i``; needs at least as many envs as tasks."""
    engine: Engine
    prompts: PromptBuilder
    settings: TrialSettings
    sampling: SamplingConfig


@dataclass(slots=True)
class RolloutStats:
    """Where the time of a rollout went, and how much was generated."""

    generation_s: float = 0.0
    env_s: float = 0.0
    prompt_s: float = 0.0
    waves: int = 0
    responses: int = 0
    response_tokens: int = 0
    prompt_tokens: int = 0


#: What an instance does in the next wave (a turn's ``phase`` is only play or reflect).
NextStep = Literal["play", "reflect", "restart", "done"]


@dataclass(slots=True)
class _Instance:
    env: int
    text: EnvText
    trial: Trial
    memory: TrialMemory
    anchor: str
    available_actions: list[str] | None = None
    attempt: int = 0
    next_step: NextStep = "play"


#: ``info`` keys under which envs list their currently valid commands.
LISTED_ACTION_KEYS = ("available_actions", "admissible_actions")


def listed_actions(info: dict) -> list[str] | None:
    """The env's list of valid commands for the next turn, when it gives one."""
    for key in LISTED_ACTION_KEYS:
        if info.get(key) is not None:
            return [str(action) for action in info[key]]
    return None


def run_trials(
    setup: RolloutSetup,
    tasks: Sequence[Task],
    wave_seed: Callable[[int], int],
    on_wave: Callable[[int, int], None] | None = None,
) -> tuple[list[Trial], RolloutStats]:
    """Play every task to the end of its trial; returns the trials (trial id = index
    in ``tasks``) and the rollout's time split.

    Env ``i`` of ``setup.pool`` plays ``tasks[i]``; ``wave_seed(w)`` is the engine's
    sampling seed of wave ``w`` (so a rollout is reproducible from the run seed).
    ``on_wave(finished, total)`` is called after every wave (progress display).
    """
    pool, engine, prompts, settings = setup.pool, setup.engine, setup.prompts, setup.settings
    if pool.num_envs < len(tasks):
        raise ValueError(f"run_trials: {len(tasks)} tasks but only {pool.num_envs} envs")
    stats = RolloutStats()
    instances = _start_instances(pool, tasks, stats)

    wave = 0
    while active := [inst for inst in instances if inst.next_step != "done"]:
        start = time.perf_counter()
        messages = [
            prompts.play_messages(inst.memory, inst.text, inst.available_actions)
            if inst.next_step == "play"
            else prompts.reflect_messages(inst.memory, inst.text)
            for inst in active
        ]
        stats.prompt_s += time.perf_counter() - start

        start = time.perf_counter()
        completions = engine.generate(messages, setup.sampling, seed=wave_seed(wave))
        stats.generation_s += time.perf_counter() - start
        if len(completions) != len(active):
            raise RuntimeError(
                f"engine returned {len(completions)} completions for {len(active)} prompts"
            )
        stats.waves += 1
        stats.responses += len(completions)
        stats.response_tokens += sum(len(c.response_ids) for c in completions)
        stats.prompt_tokens += sum(len(c.prompt_ids) for c in completions)

        start = time.perf_counter()
        plays = [k for k, inst in enumerate(active) if inst.next_step == "play"]
        reflects = [k for k, inst in enumerate(active) if inst.next_step == "reflect"]
        if plays:
            results = pool.step(
                [completions[k].text for k in plays], [active[k].env for k in plays]
            )
            for j, k in enumerate(plays):
                _play_turn(active[k], messages[k], completions[k], results[j], settings)
        for k in reflects:
            _reflect_turn(active[k], messages[k], completions[k], prompts)
        _restart(pool, [inst for inst in active if inst.next_step == "restart"])
        stats.env_s += time.perf_counter() - start
        wave += 1
        if on_wave is not None:
            on_wave(sum(inst.next_step == "done" for inst in instances), len(instances))
    return [inst.trial for inst in instances], stats


def _start_instances(pool: EnvPool, tasks: Sequence[Task], stats: RolloutStats) -> list[_Instance]:
    """First attempt of every task: env ``i`` of ``pool`` resets to ``tasks[i].seed``."""
    start = time.perf_counter()
    texts = pool_texts(pool, len(tasks))
    observations, infos = pool.reset([task.seed for task in tasks], list(range(len(tasks))))
    instances = [
        _Instance(
            env=index,
            text=texts[index],
            trial=Trial(group_id=task.group_id, trial_id=index, seed=task.seed),
            memory=TrialMemory(observation),
            anchor=str(info[ANCHOR]),
            available_actions=listed_actions(info),
        )
        for index, (task, observation, info) in enumerate(
            zip(tasks, observations, infos, strict=True)
        )
    ]
    stats.env_s += time.perf_counter() - start
    return instances


def _play_turn(
    inst: _Instance,
    prompt: list[ChatMessage],
    completion: Completion,
    step: tuple,
    settings: TrialSettings,
) -> None:
    observation, reward, terminated, truncated, info = step
    won = bool(info[WON])
    turn_index = inst.memory.turn
    attempt_over = won or terminated or truncated or turn_index + 1 >= settings.max_turns
    action = info.get(ACTION) or INVALID_ACTION
    inst.trial.turns.append(
        Turn(
            attempt=inst.attempt,
            phase="play",
            turn=turn_index,
            prompt=render_messages(prompt),
            response=completion.text,
            action=action,
            reward=float(reward),
            done=attempt_over,
            won=won,
            action_is_valid=bool(info[ACTION_IS_VALID]),
            anchor=inst.anchor,
            prompt_ids=completion.prompt_ids,
            response_ids=completion.response_ids,
            response_log_probs=completion.log_probs,
        )
    )
    # An invalid turn is shown to the model as "no valid action", not as the marker.
    inst.memory.record_turn(action, observation, float(reward), valid=bool(info[ACTION_IS_VALID]))
    inst.anchor = str(info[ANCHOR])
    inst.available_actions = listed_actions(info)
    if not attempt_over:
        return
    inst.memory.end_attempt(won=won)
    if won or inst.attempt + 1 >= settings.num_attempts:
        inst.next_step = "done"
    else:
        inst.next_step = "reflect" if settings.reflection else "restart"


def _reflect_turn(
    inst: _Instance, prompt: list[ChatMessage], completion: Completion, prompts: PromptBuilder
) -> None:
    reflection, is_valid = prompts.parse_reflection(completion.text)
    inst.trial.turns.append(
        Turn(
            attempt=inst.attempt + 1,
            phase="reflect",
            turn=len(inst.memory.last_finished_attempt.turns),
            prompt=render_messages(prompt),
            response=completion.text,
            action=None,
            reward=0.0,
            action_is_valid=is_valid,
            anchor=REFLECTION_ANCHOR,
            prompt_ids=completion.prompt_ids,
            response_ids=completion.response_ids,
            response_log_probs=completion.log_probs,
        )
    )
    inst.memory.record_reflection(reflection)
    inst.next_step = "restart"


def _restart(pool: EnvPool, restarting: list[_Instance]) -> None:
    """Next attempt of each instance, from ``reset(seed=same seed)`` (one pool call)."""
    if not restarting:
        return
    observations, infos = pool.reset(
        [inst.trial.seed for inst in restarting], [inst.env for inst in restarting]
    )
    for inst, observation, info in zip(restarting, observations, infos, strict=True):
        if observation != inst.memory.initial_observation:
            # The method rests on it: every attempt restarts the *same* task.
            raise RuntimeError(
                f"env {inst.env}: reset(seed={inst.trial.seed}) gave a different initial "
                "observation on restart; envs must reset deterministically per seed"
            )
        inst.anchor = str(info[ANCHOR])
        inst.available_actions = listed_actions(info)
        inst.attempt += 1
        inst.next_step = "play"
