"""Asynchronous trials: each trial advances as soon as its own response returns.

The lock-step loop (:func:`lamer_train.trial_loop.run_trials`) waits, every wave, for
the longest response of the wave before any trial moves on, and the batch shrinks as
trials finish. Here every trial has at most one request in the engine, and the loop
turns over engine *steps* (one decode step of every running request on vLLM):

1. the play turns that finished in the previous step go to the env pool, in a helper
   thread, while
2. the engine makes its next step for every request still running;
3. the env results and finished reflect turns update their trials (turn records,
   memory, restarts exactly as in the lock-step loop), and each trial that needs a
   response submits its next prompt at once, joining the running batch.

Reproducible: a request's sampling seed is ``request_seed(trial, k)`` for the
trial's k-th response, never a wave's, and each round does exactly one engine step,
so the same seeds, tasks and weights give the same trials (with the same engine and
thread count). Engines without continuous batching (the HF engine) run through
:class:`BatchedAsContinuous`: one ``generate`` call over all pending requests per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from lamer_core.records import Trial
from lamer_core.seeding import derive_seed
from lamer_envs.pool import StepResults
from lamer_train.engines.base import (
    ChatMessage,
    Completion,
    ContinuousEngine,
    Engine,
    SamplingConfig,
)
from lamer_train.trial_loop import (
    RolloutSetup,
    RolloutStats,
    Task,
    _play_turn,
    _reflect_turn,
    _restart,
    _start_instances,
    run_trials,
)


class BatchedAsContinuous:
    """A :class:`ContinuousEngine` over a batch-only :class:`Engine`: each :meth:`step`
    generates every pending request in one call, seeded from the requests' seeds."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pending: list[tuple[str, list[ChatMessage], SamplingConfig, int]] = []

    def submit(
        self, key: str, prompt: list[ChatMessage], sampling: SamplingConfig, seed: int
    ) -> None:
        self.pending.append((key, prompt, sampling, seed))

    def step(self) -> list[tuple[str, Completion]]:
        if not self.pending:
            return []
        batch, self.pending = self.pending, []
        sampling = batch[0][2]
        if any(request[2] != sampling for request in batch):
            raise ValueError("one step of a batch-only engine samples with one SamplingConfig")
        seed = derive_seed(batch[0][3], "batch", *[request[3] for request in batch[1:]])
        completions = self.engine.generate([request[1] for request in batch], sampling, seed)
        return [(request[0], c) for request, c in zip(batch, completions, strict=True)]

    def has_unfinished(self) -> bool:
        return bool(self.pending)


def run_trials_async(
    setup: RolloutSetup,
    tasks: Sequence[Task],
    request_seed: Callable[[int, int], int],
    on_wave: Callable[[int, int], None] | None = None,
) -> tuple[list[Trial], RolloutStats]:
    """Play every task to the end of its trial, asynchronously; same contract as
    :func:`~lamer_train.trial_loop.run_trials` except the seeds: ``request_seed(i, k)``
    is the sampling seed of the k-th response of trial ``i`` (index in ``tasks``).
    ``on_wave(finished, total)`` is called whenever trials finish."""
    pool, engine, prompts, settings = setup.pool, setup.engine, setup.prompts, setup.settings
    if pool.num_envs < len(tasks):
        raise ValueError(f"run_trials_async: {len(tasks)} tasks but only {pool.num_envs} envs")
    stream: ContinuousEngine = (
        engine if isinstance(engine, ContinuousEngine) else BatchedAsContinuous(engine)
    )
    stats = RolloutStats()
    instances = _start_instances(pool, tasks, stats)
    responses = [0] * len(instances)  # responses requested per trial: the seed key
    in_flight: dict[str, tuple[int, list[ChatMessage]]] = {}

    def submit(indices: list[int]) -> None:
        started = time.perf_counter()
        for index in indices:
            inst = instances[index]
            if inst.next_step == "play":
                messages = prompts.play_messages(inst.memory, inst.text, inst.available_actions)
            else:
                messages = prompts.reflect_messages(inst.memory, inst.text)
            built = time.perf_counter()
            stats.prompt_s += built - started
            key = f"{index}/{responses[index]}"
            stream.submit(key, messages, setup.sampling, request_seed(index, responses[index]))
            responses[index] += 1
            in_flight[key] = (index, messages)
            started = time.perf_counter()
            stats.generation_s += started - built

    def step_envs(actions: list[str], envs: list[int]) -> tuple[StepResults, float]:
        started = time.perf_counter()
        return pool.step(actions, envs), time.perf_counter() - started

    submit(list(range(len(instances))))
    done = 0
    ready: list[tuple[int, list[ChatMessage], Completion]] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lamer-envs") as env_thread:
        while ready or in_flight:
            plays = [item for item in ready if instances[item[0]].next_step == "play"]
            reflects = [item for item in ready if instances[item[0]].next_step == "reflect"]
            job = (
                env_thread.submit(
                    step_envs,
                    [completion.text for _, _, completion in plays],
                    [instances[index].env for index, _, _ in plays],
                )
                if plays
                else None
            )
            finished: list[tuple[str, Completion]] = []
            if stream.has_unfinished():
                started = time.perf_counter()
                finished = stream.step()
                stats.generation_s += time.perf_counter() - started
                stats.waves += 1

            if job is not None:
                results, env_seconds = job.result()
                stats.env_s += env_seconds
                for j, (index, messages, completion) in enumerate(plays):
                    _play_turn(instances[index], messages, completion, results[j], settings)
            for index, messages, completion in reflects:
                _reflect_turn(instances[index], messages, completion, prompts)
            restart_started = time.perf_counter()
            _restart(
                pool, [instances[i] for i, _, _ in ready if instances[i].next_step == "restart"]
            )
            stats.env_s += time.perf_counter() - restart_started

            next_up = sorted(
                {index for index, _, _ in ready if instances[index].next_step != "done"}
            )
            now_done = sum(inst.next_step == "done" for inst in instances)
            if on_wave is not None and now_done != done:
                on_wave(now_done, len(instances))
            done = now_done
            submit(next_up)

            # Requests that finished in this step wait for the next round's env step.
            ready = []
            for key, completion in sorted(finished, key=lambda item: _key_order(item[0])):
                index, messages = in_flight.pop(key)
                ready.append((index, messages, completion))
                stats.responses += 1
                stats.response_tokens += len(completion.response_ids)
                stats.prompt_tokens += len(completion.prompt_ids)
    return [inst.trial for inst in instances], stats


def _key_order(key: str) -> tuple[int, int]:
    trial, _, response = key.partition("/")
    return int(trial), int(response)


def play_trials(
    setup: RolloutSetup,
    tasks: Sequence[Task],
    *,
    schedule: str,
    run_seed: int,
    seed_key: tuple,
    on_wave: Callable[[int, int], None] | None = None,
) -> tuple[list[Trial], RolloutStats]:
    """One rollout under ``schedule`` (``"lockstep"`` or ``"async"``), with sampling seeds
    derived from ``(run_seed, *seed_key)``: per wave in lock-step, per trial response in
    async (see the two loops for why the keys differ).

    Under torchrun each rank plays whole task groups and every rank returns all the
    trials (:mod:`lamer_train.rank_rollouts`)."""
    from lamer_train.rank_rollouts import play_across_ranks, rank_key

    def play(share: list[Task], indices: list[int]) -> tuple[list[Trial], RolloutStats]:
        if schedule == "async":  # a trial's seeds follow its index in the whole batch
            return run_trials_async(
                setup,
                share,
                request_seed=lambda i, k: derive_seed(run_seed, *seed_key, indices[i], k),
                on_wave=on_wave,
            )
        wave_key = (*seed_key, *rank_key())  # one process: seed_key itself
        return run_trials(
            setup,
            share,
            wave_seed=lambda wave: derive_seed(run_seed, *wave_key, wave),
            on_wave=on_wave,
        )

    return play_across_ranks(tasks, play)
