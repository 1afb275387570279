"""The trial loop on the real Sokoban env and real lamer-memory prompts.

The policy is a :class:`ScriptedEngine` that answers each wave from a script, so the
outcome of every turn is known exactly; the winning responses are the env's own
shortest solution of the task, three moves per turn.
"""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import lamer_envs
from lamer_algos import cross_attempt_returns
from lamer_core.records import REFLECTION_ANCHOR, StepBatch
from lamer_envs.pool import make_pool
from lamer_memory.config import PromptConfig
from lamer_train.engines.base import Completion, SamplingConfig
from lamer_train.prompting import MemoryPrompts
from lamer_train.trial_loop import RolloutSetup, Task, TrialSettings, run_trials

SEED = 10810
INVALID = "I am not sure what to do."
REFLECT = "The boxes got stuck. <remark>Push the left box down first.</remark>"


def winning_responses(seed: int) -> list[str]:
    env = gymnasium.make("lamer/Sokoban-v0").unwrapped
    env.reset(seed=seed)
    moves = env.solution()
    assert moves, "the generated task must be solvable"
    chunks = [moves[i : i + 3] for i in range(0, len(moves), 3)]
    return [f"Plan it. <action>{', '.join(chunk)}</action>" for chunk in chunks]


class ScriptedEngine:
    """Engine whose wave ``w`` answers ``script[w]`` (one response per active prompt)."""

    def __init__(self, script: list[list[str]]) -> None:
        self.script = script
        self.prompts: list[list[list[dict[str, str]]]] = []
        self.seeds: list[int] = []

    def generate(self, prompts, sampling, seed):
        wave = len(self.prompts)
        self.prompts.append(prompts)
        self.seeds.append(seed)
        answers = self.script[wave]
        assert len(answers) == len(prompts), f"wave {wave}: {len(prompts)} prompts"
        return [
            Completion(text, [1, 2, 3], [ord(c) % 50 for c in text[:5]], None, "stop")
            for text in answers
        ]

    def load_weights(self, state_dict):
        pass


def _setup(num_attempts=3, max_turns=2, reflection=True):
    lamer_envs.register_envs()
    envs = make_pool("lamer/Sokoban-v0", 2)
    mode = "reflection_only" if reflection else "none"
    prompts = MemoryPrompts(PromptConfig(mode=mode, max_turns=max_turns, num_attempts=num_attempts))
    settings = TrialSettings(num_attempts=num_attempts, max_turns=max_turns, reflection=reflection)
    return envs, prompts, settings


def test_failed_attempts_reflect_and_restart_and_a_won_trial_stops():
    lamer_envs.register_envs()
    win = winning_responses(SEED)
    turns = max(len(win), 2)
    envs, prompts, settings = _setup(num_attempts=3, max_turns=turns)
    # Trial 0 never acts validly; trial 1 fails attempt 0, then plays the solution.
    script = [[INVALID, INVALID]] * turns + [[REFLECT, REFLECT]]
    script += [[INVALID, text] for text in win] + [[INVALID]] * (turns - len(win))
    script += [[REFLECT]] + [[INVALID]] * turns
    engine = ScriptedEngine(script)
    setup = RolloutSetup(envs, engine, prompts, settings, SamplingConfig())
    trials, stats = run_trials(setup, [Task(SEED, 0), Task(SEED, 0)], wave_seed=lambda w: 100 + w)
    assert engine.seeds == [100 + w for w in range(len(script))]
    assert stats.waves == len(script) and stats.responses == sum(map(len, script))

    lost, won = trials
    expected_lost = []
    for attempt in range(3):
        if attempt:
            expected_lost.append((attempt, "reflect", turns))
        expected_lost += [(attempt, "play", t) for t in range(turns)]
    assert [(t.attempt, t.phase, t.turn) for t in lost.turns] == expected_lost
    assert lost.won_at is None and lost.num_attempts == 3
    assert won.won_at == 1 and won.num_attempts == 2
    assert [(t.attempt, t.phase) for t in won.turns] == (
        [(0, "play")] * turns + [(1, "reflect")] + [(1, "play")] * len(win)
    )
    assert won.turns[-1].won and won.turns[-1].done
    assert [t.done for t in lost.turns if t.phase == "play"] == ([False] * (turns - 1) + [True]) * 3

    # Anchors: the state before each turn; invalid actions leave it unchanged, and every
    # attempt restarts from the same initial state.
    initial = lost.turns[0].anchor
    assert all(t.anchor == initial for t in lost.turns if t.phase == "play")
    first_win_row = turns + 1
    assert won.turns[first_win_row].anchor == initial
    if len(win) > 1:
        assert won.turns[first_win_row + 1].anchor != initial
    assert all(t.anchor == REFLECTION_ANCHOR for t in lost.turns if t.phase == "reflect")
    assert not any(t.action_is_valid for t in lost.turns if t.phase == "play")
    assert all(t.action_is_valid for t in lost.turns if t.phase == "reflect")
    assert lost.reflections() == [REFLECT, REFLECT]

    # The second attempt's prompt carries the first attempt's reflection; the first does not.
    assert "Push the left box down first." in won.turns[first_win_row].prompt
    assert "Push the left box down first." not in won.turns[0].prompt
    assert won.turns[first_win_row].prompt_ids == [1, 2, 3]

    # The flat batch feeds cross-attempt returns: the reflect row takes the return of the
    # first play row of the attempt it precedes.
    batch = StepBatch.from_trials(trials)
    returns, _ = cross_attempt_returns(batch, step_gamma=0.95, traj_gamma=0.6)
    rows = np.flatnonzero(batch.trajectory_id == 1)
    assert returns[rows[turns]] == pytest.approx(returns[rows[turns + 1]])
    expected = 0.0
    for turn in reversed(won.turns[first_win_row:]):
        expected = turn.reward + 0.95 * expected
    assert returns[rows[turns + 1]] == pytest.approx(expected)


def test_plain_retries_have_no_reflect_rows():
    envs, prompts, settings = _setup(num_attempts=2, max_turns=1, reflection=False)
    engine = ScriptedEngine([[INVALID, INVALID], [INVALID, INVALID]])
    setup = RolloutSetup(envs, engine, prompts, settings, SamplingConfig())
    trials, _ = run_trials(setup, [Task(SEED, 0), Task(SEED, 0)], wave_seed=lambda w: w)
    for trial in trials:
        assert [(t.attempt, t.phase) for t in trial.turns] == [(0, "play"), (1, "play")]
    # No memory: the retry's prompt is the first attempt's prompt.
    assert engine.prompts[0][0] == engine.prompts[1][0]


def test_too_few_envs_is_a_clear_error():
    envs, prompts, settings = _setup()
    with pytest.raises(ValueError, match="3 tasks but only 2 envs"):
        run_trials(
            RolloutSetup(envs, ScriptedEngine([]), prompts, settings, SamplingConfig()),
            [Task(SEED, 0)] * 3,
            wave_seed=lambda w: w,
        )


def test_env_worker_processes_give_the_same_trials():
    _, prompts, settings = _setup(num_attempts=2, max_turns=2)
    script = [[INVALID] * 2, ["<action>up, left</action>"] * 2, [REFLECT] * 2]
    script += [["<action>down</action>"] * 2, [INVALID] * 2]
    results = []
    for workers in (0, 2):
        pool = make_pool("lamer/Sokoban-v0", 2, num_workers=workers)
        try:
            setup = RolloutSetup(pool, ScriptedEngine(script), prompts, settings, SamplingConfig())
            trials, _ = run_trials(setup, [Task(SEED, 0), Task(SEED + 1, 1)], wave_seed=lambda w: w)
        finally:
            pool.close()
        results.append(
            [[(t.anchor, t.action, t.reward, t.prompt) for t in trial.turns] for trial in trials]
        )
    assert results[0] == results[1]


def test_listing_envs_show_their_commands_and_invalid_turns_read_as_no_action():
    # ALFWorld lists its admissible commands in info; the prompt must carry the current list,
    # and an invalid turn must reach the memory as "no valid action", not as the marker.
    lamer_envs.register_envs()
    envs = make_pool("lamer/ALFWorld-v0", 1)
    prompts = MemoryPrompts(PromptConfig(mode="reflection_only", max_turns=2, num_attempts=1))
    settings = TrialSettings(num_attempts=1, max_turns=2, reflection=True)
    _, first_info = envs.reset([3], [0])
    engine = ScriptedEngine([[INVALID], [INVALID]])
    setup = RolloutSetup(envs, engine, prompts, settings, SamplingConfig())
    trials, _ = run_trials(setup, [Task(3, 0)], wave_seed=lambda w: w)
    first_prompt = engine.prompts[0][0][-1]["content"]
    second_prompt = engine.prompts[1][0][-1]["content"]
    for command in first_info[0]["admissible_actions"]:
        assert command in first_prompt
    assert "(no valid action)" in second_prompt
    assert "<invalid>" not in second_prompt
    assert [t.action_is_valid for t in trials[0].turns] == [False, False]
