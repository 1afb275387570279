"""Asynchronous trials on the real Sokoban env: trials advance independently, turns are
recorded as in the lock-step loop, and the same seeds give the same trials."""

from __future__ import annotations

import pytest

import lamer_envs
from lamer_envs.pool import make_pool
from lamer_memory.config import PromptConfig
from lamer_train.async_trials import run_trials_async
from lamer_train.engines.base import Completion, SamplingConfig
from lamer_train.engines.hf import HFEngine
from lamer_train.prompting import MemoryPrompts
from lamer_train.trial_loop import RolloutSetup, Task, TrialSettings, run_trials

SAMPLING = SamplingConfig(temperature=1.0, max_new_tokens=16)
SETTINGS = TrialSettings(num_attempts=3, max_turns=2, reflection=True)


class SlowAndFastEngine:
    """A continuous-batching engine whose request for trial ``i`` takes ``1 + 5 i`` steps
    and answers with an invalid action (reflections: a remark)."""

    def __init__(self) -> None:
        self.running: dict[str, int] = {}
        self.seeds: dict[str, int] = {}
        self.finished_order: list[str] = []

    def submit(self, key, prompt, sampling, seed):
        trial = int(key.split("/")[0])
        self.running[key] = 1 + 5 * trial
        self.seeds[key] = seed

    def step(self):
        done = []
        for key in list(self.running):
            self.running[key] -= 1
            if self.running[key] == 0:
                del self.running[key]
                self.finished_order.append(key)
                done.append((key, Completion("<remark>try again</remark>", [1], [2], None, "stop")))
        return done

    def has_unfinished(self):
        return bool(self.running)

    def generate(self, prompts, sampling, seed):
        raise AssertionError("the async loop must use submit/step")

    def load_weights(self, state_dict):
        pass


def _setup(count: int):
    lamer_envs.register_envs()
    pool = make_pool("lamer/Sokoban-v0", count)
    prompts = MemoryPrompts(PromptConfig(max_turns=2, num_attempts=3))
    tasks = [Task(seed=500 + i // 2, group_id=i // 2) for i in range(count)]
    return pool, prompts, tasks


def test_a_fast_trial_finishes_before_a_slow_trials_first_response():
    pool, prompts, tasks = _setup(2)
    engine = SlowAndFastEngine()
    setup = RolloutSetup(pool, engine, prompts, SETTINGS, SAMPLING)
    trials, stats = run_trials_async(setup, tasks, request_seed=lambda i, k: 100 * i + k)
    # Trial 0 (1 step per response) does not wait for trial 1 (6 steps per response).
    order = engine.finished_order
    assert order.index("0/4") < order.index("1/1")
    assert [len(t.turns) for t in trials] == [8, 8]
    assert [t.phase for t in trials[0].turns] == ["play", "play", "reflect"] * 2 + ["play"] * 2
    assert engine.seeds == {key: 100 * int(key[0]) + int(key[2:]) for key in engine.seeds}
    assert stats.responses == 16


@pytest.fixture(scope="module")
def hf_engine(build_model, tokenizer):
    model = build_model(seed=0, tiny_num_layers=1, tiny_num_heads=1, tiny_num_kv_heads=1)
    return HFEngine(model, tokenizer)


def test_the_same_seeds_give_the_same_async_trials_with_a_batch_only_engine(hf_engine):
    pool, prompts, tasks = _setup(4)
    setup = RolloutSetup(pool, hf_engine, prompts, SETTINGS, SAMPLING)

    def rollout(offset: int):
        return run_trials_async(setup, tasks, request_seed=lambda i, k: offset + 10 * i + k)[0]

    first = rollout(0)
    assert first == rollout(0)
    assert first != rollout(1)
    # Same structure as the lock-step loop: attempts in order, reflections between.
    lockstep, _ = run_trials(setup, tasks, lambda w: w)
    for async_trial, wave_trial in zip(first, lockstep, strict=True):
        assert async_trial.seed == wave_trial.seed
        attempts = [turn.attempt for turn in async_trial.turns]
        assert attempts == sorted(attempts)
        for turn in async_trial.turns:
            assert turn.prompt_ids and turn.response_ids
