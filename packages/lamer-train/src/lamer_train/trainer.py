"""The training loop: rollout -> returns and advantages -> PPO update -> eval -> checkpoint.

One iteration, top to bottom (:meth:`Trainer.train_iteration`):

1. take the next ``tasks_per_iteration`` training seeds (never a held-out one) and play
   ``group_size`` trials of each with the current policy (:func:`run_trials`);
2. flatten the trials once into the row table, a :class:`~lamer_core.StepBatch` (one
   row per response, with its token ids and rollout log-probs);
3. cross-attempt returns -> invalid-action penalty -> estimator
   (:func:`~lamer_train.advantages.compute_advantages`; GiGPO by default, the baselines
   differ only in config): one advantage per row or per response token; an estimator
   that learns from values (GAE) gets the critic's values, and the critic
   (:mod:`lamer_train.critic`) is updated towards the estimator's value targets;
4. one PPO update of the actor over the rows, then hand the new weights to the engine.

The metrics an iteration logs are assembled in :mod:`lamer_train.iteration_metrics`.

Every ``eval.every`` iterations the policy plays the held-out tasks of every eval set
(:mod:`lamer_train.eval_sets`); every ``run.checkpoint_every`` iterations a checkpoint
lands (see :mod:`lamer_train.checkpoint`).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import torch
from rich.console import Console
from rich.markup import escape

import lamer_envs
from lamer_algos import get_estimator, value_targets
from lamer_core.records import StepBatch, Trial
from lamer_core.seeding import derive_seed
from lamer_envs.pool import EnvPool, make_pool
from lamer_memory.config import PromptConfig
from lamer_train.actor import Actor
from lamer_train.advantages import compute_advantages, rollout_batch
from lamer_train.async_trials import play_trials
from lamer_train.checkpoint import (
    TrainerState,
    load_checkpoint,
    restore_rng_states,
    save_checkpoint,
)
from lamer_train.config import LaMerConfig
from lamer_train.critic import Critic, build_value_model, value_metrics
from lamer_train.engines.factory import build_engine
from lamer_train.eval_sets import (
    EvalSet,
    held_out_seeds,
    kwargs_key,
    metrics_by_set,
    resolve_eval_sets,
)
from lamer_train.evaluation import evaluate, grouped_tasks, train_task_seeds
from lamer_train.iteration_metrics import (
    StepTimes,
    advantage_metrics,
    rollout_metrics,
    row_advantages,
    time_metrics,
)
from lamer_train.model_factory import load_policy
from lamer_train.nonfinite import SkipGuard
from lamer_train.progress import IterationProgress, format_eval, summary_line
from lamer_train.prompting import MemoryPrompts, tokenizer_counter
from lamer_train.report import RunReport
from lamer_train.trial_loop import RolloutStats, TrialSettings
from lamer_train.trial_records import write_trial_records
from lamer_train.warmup import format_warmup, warmup_examples


@dataclass(slots=True)
class IterationResult:
    """What one iteration produced (metrics are what gets logged); ``returns`` and
    ``advantages`` hold one value per training row (for the samples report)."""

    metrics: dict[str, float]
    trials: list[Trial]
    eval_trials: dict[str, list[Trial]] = field(default_factory=dict)
    """Trials of each eval set (empty when no evaluation was due)."""
    returns: np.ndarray | None = None
    advantages: np.ndarray | None = None


@dataclass(slots=True)
class EvalRunner:
    """What evaluating one eval set needs: its settings, envs, prompts and trial shape."""

    eval_set: EvalSet
    pool: EnvPool
    prompts: MemoryPrompts
    settings: TrialSettings


def make_env_pools(
    config: LaMerConfig,
    needs: list[tuple[dict[str, Any], int]],
    log: Callable[[str], None] | None = None,
) -> list[EnvPool]:
    """One pool per distinct env kwargs in ``needs`` (``(kwargs, envs needed)`` pairs),
    sized for the largest need; returns the pool serving each need, in order. Training
    and the eval sets that play the training env share one pool."""
    sizes: dict[str, int] = {}
    kwargs_of: dict[str, dict[str, Any]] = {}
    for kwargs, count in needs:
        key = kwargs_key(kwargs)
        sizes[key] = max(sizes.get(key, 0), count)
        kwargs_of[key] = kwargs
    if log is not None:
        workers = config.env.num_workers
        where = f"{workers} worker processes" if workers else "this process"
        log(f"building {sum(sizes.values())} envs {config.env.id} in {where}")
    lamer_envs.register_envs()
    pools = {
        key: make_pool(config.env.id, size, num_workers=config.env.num_workers, **kwargs_of[key])
        for key, size in sizes.items()
    }
    return [pools[kwargs_key(kwargs)] for kwargs, _ in needs]


def set_torch_threads(threads: int) -> None:
    """0 = one thread per available core (the process's CPU affinity, not the machine's)."""
    import os

    if threads <= 0:
        try:
            threads = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            threads = os.cpu_count() or 1
    torch.set_num_threads(max(threads, 1))


def update_samples(batch: StepBatch) -> list[tuple[np.ndarray, ...]]:
    """The row table's ``(prompt_ids, response_ids[, rollout_log_probs])`` per row, the
    actor's and critic's input (the log-probs feed truncated importance sampling)."""
    columns = [batch.prompt_ids, batch.response_ids]
    if batch.rollout_log_probs is not None:
        columns.append(batch.rollout_log_probs)
    return list(zip(*columns, strict=True))


class Trainer:
    """Builds every part of a run from its config and drives the iterations.

    Iterations are numbered from 1 in everything a run writes (iteration ``k`` is logged
    once ``k`` are done; 0 is before training); methods taking ``iteration`` take the
    0-based index of the iteration being played, which also keys its seeds.
    """

    def __init__(
        self,
        config: LaMerConfig,
        run_dir: Path,
        log: Callable[[str], None] | None = None,
        eval_sets: list[str] | None = None,
    ) -> None:
        """``eval_sets``: evaluate only these sets (default: every configured set)."""
        self.config = config
        self.run_dir = Path(run_dir)
        log = log or (lambda line: None)
        set_torch_threads(config.run.torch_threads)
        seed = config.seed

        log(f"building the model: {config.model.name_or_path} on {config.run.device}")
        model, tokenizer = load_policy(config.model, seed=derive_seed(seed, "model-init"))
        model.to(config.run.device)
        parameters = sum(p.numel() for p in model.parameters())
        log(f"model ready: {parameters / 1e6:.1f}M parameters")
        ref_model = None
        if config.actor.kl_coef > 0:
            ref_model = copy.deepcopy(model).eval().requires_grad_(False)
        self.tokenizer = tokenizer
        compute_dtype = config.model.compute_dtype
        self.actor = Actor(model, config.actor, ref_model=ref_model, compute_dtype=compute_dtype)
        # hf: shares the actor's module (and its autocast); vllm: its own copy, synced.
        self.engine = build_engine(config, model, tokenizer)

        trial = config.trial
        count_tokens = tokenizer_counter(tokenizer)
        self.train_prompts = MemoryPrompts(
            _prompt_config(config, trial.memory_mode, trial.num_attempts),
            reflection_style=trial.reflection_style,
            count_tokens=count_tokens,
        )
        self.train_settings = TrialSettings(
            num_attempts=trial.num_attempts,
            max_turns=config.env.max_turns,
            reflection=trial.reflection,
        )
        chosen = resolve_eval_sets(config, eval_sets)
        pools = make_env_pools(
            config,
            [(config.env.kwargs, trial.tasks_per_iteration * trial.group_size)]
            + [(s.env_kwargs, s.num_trials) for s in chosen],
            log,
        )
        self.envs = pools[0]
        self.eval_runners = [
            EvalRunner(
                eval_set=s,
                pool=pool,
                prompts=MemoryPrompts(
                    _prompt_config(config, s.memory_mode, s.num_attempts, s.max_turns),
                    reflection_style=trial.reflection_style,
                    count_tokens=count_tokens,
                ),
                settings=TrialSettings(
                    num_attempts=s.num_attempts, max_turns=s.max_turns, reflection=s.reflection
                ),
            )
            for s, pool in zip(chosen, pools[1:], strict=True)
        ]
        # Every configured set's seeds, not only the chosen ones: training seeds do not
        # depend on which sets a command evaluates.
        self.held_out = held_out_seeds(config)
        self.estimator = get_estimator(config.algorithm.estimator)
        # An estimator that learns from values (GAE) switches the critic on.
        self.critic: Critic | None = None
        if value_targets(self.estimator) is not None:
            self.critic = Critic(
                build_value_model(model, config.critic, seed=derive_seed(seed, "critic-init")),
                config.critic,
                mini_batch_size=config.actor.mini_batch_size,
                micro_batch_size=config.actor.micro_batch_size,
                pad_id=self.actor.pad_id,
                compute_dtype=compute_dtype,
            )
        self.state = TrainerState(iteration=0, data_position=0)
        self.skip_guard = SkipGuard(config.run.max_consecutive_skipped_updates)
        self.notices: list[str] = []  # lines for the console (skipped updates, ...)

    def close(self) -> None:
        """Stop env worker processes (if any) and the engine."""
        close_engine = getattr(self.engine, "close", None)  # vLLM: its temporary model folder
        if close_engine is not None:
            close_engine()
        pools = {id(p): p for p in [self.envs, *(r.pool for r in self.eval_runners)]}
        for pool in pools.values():
            pool.close()

    # -- checkpoints -------------------------------------------------------------------
    def save(self) -> Path:
        return save_checkpoint(
            self.run_dir,
            self.state,
            self.actor.state_dict(),
            policy=self.actor.model,
            tokenizer=self.tokenizer,
            keep_last=self.config.run.keep_checkpoints,
            critic_state=self.critic.state_dict() if self.critic is not None else None,
        )

    def restore(self, path: Path, *, verified: bool = False) -> None:
        """Continue from a checkpoint (a checkpoint folder or a run folder); ``verified``:
        its manifest was just checked."""
        loaded = load_checkpoint(path, map_location=self.config.run.device, verify=not verified)
        self.actor.load_state_dict(loaded.actor_state)
        if self.critic is not None:
            if loaded.critic_state is None:
                raise ValueError(
                    f"{loaded.path} holds no critic state, but estimator "
                    f"{self.config.algorithm.estimator!r} trains a critic"
                )
            self.critic.load_state_dict(loaded.critic_state)
        self.engine.load_weights(self.actor.model.state_dict())
        restore_rng_states(loaded.rng)
        self.state = loaded.state

    # -- one iteration ---------------------------------------------------------------
    def rollout(self, iteration: int, on_wave=None) -> tuple[list[Trial], RolloutStats]:
        """Play this iteration's training trials."""
        trial = self.config.trial
        seeds = train_task_seeds(
            self.config.seed, self.state.data_position, trial.tasks_per_iteration, self.held_out
        )
        tasks = grouped_tasks(seeds, trial.group_size)
        return play_trials(
            self.envs,
            tasks,
            self.engine,
            self.train_prompts,
            self.train_settings,
            trial.sampling,
            schedule=trial.schedule,
            run_seed=self.config.seed,
            seed_key=("rollout", iteration),
            on_wave=on_wave,
        )

    def train_iteration(
        self, iteration: int, progress: IterationProgress | None = None
    ) -> IterationResult:
        """One iteration in equation order (the module docstring's steps 1-4), then the
        evaluation when it is due."""
        progress = progress or IterationProgress(None)
        times = StepTimes(started=time.perf_counter())
        trial = self.config.trial

        # 1. This iteration's task seeds, played with the current policy.
        progress.phase(
            "rollout", iteration + 1, trial.tasks_per_iteration * trial.group_size, "trials"
        )
        over_budget = self.train_prompts.over_budget
        trials, stats = self.rollout(iteration, on_wave=progress.advance)
        times.rollout_done = time.perf_counter()
        if self.train_prompts.over_budget and not over_budget:  # said once per run
            self.notices.append(self.train_prompts.budget_warning())

        # 2. One row table: a row per response, with its token ids and rollout log-probs.
        batch = rollout_batch(trials)
        samples = update_samples(batch)

        # 3. Cross-attempt returns -> invalid-action penalty -> estimator (an estimator
        #    that learns from values gets the critic's values of these rows).
        values = self.critic.compute_values(samples) if self.critic is not None else None
        estimate = compute_advantages(batch, self.config.algorithm, self.estimator, values)
        times.advantages_done = time.perf_counter()

        # 4. Critic and actor updates, then the new weights to the engine.
        progress.phase(
            "update", iteration + 1, self.actor.planned_steps(samples), "optimizer steps"
        )
        sleep = getattr(self.engine, "sleep", None)
        if sleep is not None:  # vLLM on GPU: free the KV cache while the actor trains
            sleep()
        critic_metrics: dict[str, float] = {}
        if self.critic is not None and values is not None:
            targets = estimate.value_targets
            critic_metrics = value_metrics(values, targets, estimate.inputs.response_mask)
            critic_metrics.update(self.critic.update(samples, values, targets))
        actor_metrics = self.actor.update(samples, estimate.advantages, on_step=progress.advance)
        self.notices += self.skip_guard.after_update(
            iteration, actor_metrics, self.actor.skip_reasons, self.actor.model.named_parameters()
        )
        times.synced = time.perf_counter()
        self.engine.load_weights(self.actor.model.state_dict())
        times.update_done = time.perf_counter()
        self.state.data_position += trial.tasks_per_iteration

        metrics = rollout_metrics(trials, batch, trial.num_attempts)
        metrics["rollout/prompts_over_budget"] = float(self.train_prompts.over_budget - over_budget)
        metrics.update(advantage_metrics(estimate))
        metrics.update({f"actor/{k}": float(v) for k, v in actor_metrics.items()})
        metrics.update({f"critic/{k}": float(v) for k, v in critic_metrics.items()})
        metrics.update(time_metrics(stats, times))
        result = IterationResult(
            metrics=metrics,
            trials=trials,
            returns=estimate.inputs.step_return,
            advantages=row_advantages(estimate),
        )
        if self.eval_due(iteration):
            eval_started = time.perf_counter()
            eval_metrics, result.eval_trials = self.evaluate(progress, iteration + 1)
            metrics.update(eval_metrics)
            metrics["time/eval_s"] = time.perf_counter() - eval_started
        metrics["time/iteration_s"] = time.perf_counter() - times.started
        self.state.iteration = iteration + 1
        return result

    @property
    def num_eval_trials(self) -> int:
        """Trials of one evaluation, all eval sets together."""
        return sum(r.eval_set.num_trials for r in self.eval_runners)

    def eval_due(self, iteration: int) -> bool:
        every = self.config.eval.every
        return (iteration + 1) % every == 0 or iteration + 1 == self.config.run.iterations

    def evaluate(
        self, progress: IterationProgress | None = None, iteration: int = 0
    ) -> tuple[dict[str, float], dict[str, list[Trial]]]:
        """pass@k and behaviour metrics of every eval set (keys ``eval/<set>/<metric>``),
        and each set's trials; ``iteration`` (0 = before training) labels the progress."""
        metrics: dict[str, float] = {}
        trials: dict[str, list[Trial]] = {}
        for runner in self.eval_runners:
            name = runner.eval_set.name
            if progress is not None:
                progress.phase(f"eval {name}", iteration, runner.eval_set.num_trials, "trials")
            set_metrics, trials[name], _ = evaluate(
                self.engine,
                runner.pool,
                runner.prompts,
                set_name=name,
                run_seed=self.config.seed,
                num_tasks=runner.eval_set.num_tasks,
                group_size=runner.eval_set.group_size,
                settings=runner.settings,
                sampling=self.config.eval.sampling,
                schedule=self.config.trial.schedule,
                on_wave=progress.advance if progress else None,
            )
            metrics.update(set_metrics)
        return metrics, trials

    def checkpoint_due(self, iteration: int) -> bool:
        every = self.config.run.checkpoint_every
        return (iteration + 1) % every == 0 or iteration + 1 == self.config.run.iterations

    def warmup(self, on_step: Callable[[int, int], None] | None = None) -> list[float]:
        """Format warm-up of a fresh model (:mod:`lamer_train.warmup`); returns the losses."""
        warm = self.config.warmup
        # Its own few envs, in this process: the warm-up calls the env's sample_action.
        lamer_envs.register_envs()
        envs = [gymnasium.make(self.config.env.id, **self.config.env.kwargs) for _ in range(4)]
        examples = warmup_examples(
            envs,
            self.train_prompts,
            count=warm.examples,
            run_seed=self.config.seed,
            held_out=self.held_out,
            max_turns=self.config.env.max_turns,
        )
        losses = format_warmup(
            self.actor.model,
            self.tokenizer,
            self.engine.encode_prompt,
            examples,
            steps=warm.steps,
            batch_size=warm.batch_size,
            lr=warm.lr,
            seed=self.config.seed,
            on_step=on_step,
        )
        self.engine.load_weights(self.actor.model.state_dict())
        return losses

    # -- the whole run -------------------------------------------------------------
    def fit(self, report: RunReport, console: Console, show_progress: bool = True) -> RunSummary:
        """Run the remaining iterations (all of them, or those after a restored checkpoint):
        format warm-up and a first evaluation on a fresh run, then per iteration train,
        log, write samples, checkpoint; at the end plots and the evaluation summary."""
        total = self.config.run.iterations
        progress = IterationProgress(console, total, self.state.iteration, bars=show_progress)
        with progress:
            if self.state.iteration == 0:
                self._warm_up_once(progress)
                self._evaluate_at_start_once(progress, report)
            for index in range(self.state.iteration, total):
                number = index + 1  # iterations count from 1 in every output
                progress.iteration_started()
                result = self.train_iteration(index, progress)
                self._record(result, number, report, progress)
                if self.checkpoint_due(index):
                    self.save()
                progress.iteration_done(number)
        return self._finish(report)

    def _warm_up_once(self, progress: IterationProgress) -> None:
        """Format warm-up of a fresh run (skipped when configured off or already done)."""
        steps, extra = self.config.warmup.steps, self.state.extra
        if not steps or "warmup_loss" in extra:
            return
        progress.print(f"format warm-up: {steps} steps")
        progress.phase("format warm-up", 0, steps, "steps")
        extra["warmup_loss"] = self.warmup(on_step=progress.advance)
        if extra["warmup_loss"]:
            first, last = extra["warmup_loss"][0], extra["warmup_loss"][-1]
            progress.print(f"format warm-up: loss {first:.2f} -> {last:.2f}")
        else:
            progress.print("format warm-up skipped: the env has no sample_action")

    def _evaluate_at_start_once(self, progress: IterationProgress, report: RunReport) -> None:
        """Iteration 0: every eval set before training (``eval.at_start``), logged once."""
        extra = self.state.extra
        if not self.config.eval.at_start or "eval_start" in extra:
            return
        progress.print(f"evaluating before training: {self.num_eval_trials} trials")
        metrics, trials = self.evaluate(progress, 0)
        extra["eval_start"] = metrics
        report.log(0, metrics)
        for name, set_trials in trials.items():
            report.write_samples(
                f"eval_iter_000000_{name}",
                set_trials,
                iteration=0,
                read_reflection=self._reflection,
            )
            write_trial_records(
                self.run_dir, f"eval_iter_000000_{name}", set_trials, self._reflection
            )
        total = self.config.run.iterations
        progress.print(f"iter 0/{total} (before training) | {format_eval(metrics)}")

    def _record(
        self, result: IterationResult, number: int, report: RunReport, progress: IterationProgress
    ) -> None:
        """Metrics, samples (every ``run.samples_every`` iterations and the first) and the
        console lines of iteration ``number``."""
        report.log(number, result.metrics)
        if result.eval_trials:
            self.state.extra["eval_last"] = {
                k: v for k, v in result.metrics.items() if k.startswith("eval/")
            }
        for name, set_trials in result.eval_trials.items():  # every trial, every evaluation
            write_trial_records(
                self.run_dir, f"eval_iter_{number:06d}_{name}", set_trials, self._reflection
            )
        if number % self.config.run.samples_every == 0 or number == 1:
            report.write_samples(
                f"iter_{number:06d}",
                result.trials,
                iteration=number,
                returns=result.returns,
                advantages=result.advantages,
                read_reflection=self._reflection,
            )
            for name, set_trials in result.eval_trials.items():
                report.write_samples(
                    f"eval_iter_{number:06d}_{name}",
                    set_trials,
                    iteration=number,
                    read_reflection=self._reflection,
                )
        progress.print(summary_line(number, self.config.run.iterations, result.metrics))
        for line in self.notices:
            progress.print(f"[yellow]{escape(line)}[/]")
        self.notices.clear()

    def _finish(self, report: RunReport) -> RunSummary:
        """Plots, ``eval_summary.json`` and the run's summary."""
        extra = self.state.extra
        report.plot()
        # {"eval_start": {set: {metric: value}}, "eval_end": {...}}
        summary = {
            "eval_start": metrics_by_set(extra.get("eval_start")),
            "eval_end": metrics_by_set(extra.get("eval_last")),
        }
        (self.run_dir / "eval_summary.json").write_text(json.dumps(summary, indent=2))
        return RunSummary(
            run_dir=self.run_dir,
            eval_start=extra.get("eval_start"),
            eval_end=extra.get("eval_last"),
        )

    def _reflection(self, response: str) -> tuple[str, bool]:
        return self.train_prompts.parse_reflection(response)


@dataclass(slots=True)
class RunSummary:
    run_dir: Path
    eval_start: dict[str, float] | None
    eval_end: dict[str, float] | None


def _prompt_config(
    config: LaMerConfig, mode: str, num_attempts: int, max_turns: int | None = None
) -> PromptConfig:
    return PromptConfig(
        mode=mode,
        history_window=config.trial.history_window,
        max_turns=config.env.max_turns if max_turns is None else max_turns,
        num_attempts=num_attempts,
        max_prompt_tokens=config.trial.max_prompt_tokens,
    )
