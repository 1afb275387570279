"""The training loop: rollout -> returns and advantages -> PPO update -> eval -> checkpoint.

One iteration, top to bottom (:meth:`Trainer.train_iteration`):

1. take the next ``tasks_per_iteration`` training seeds (never a held-out one,
   :mod:`lamer_train.task_seeds`) and play ``group_size`` trials of each with the
   current policy (:func:`~lamer_train.async_trials.play_trials`);
2. flatten the trials once into the row table, a :class:`~lamer_core.StepBatch` (one
   row per response, with its token ids and rollout log-probs);
3. cross-attempt returns -> invalid-action penalty -> estimator
   (:func:`~lamer_train.advantages.compute_advantages`; GiGPO by default, the baselines
   differ only in config): one advantage per row or per response token; an estimator
   that learns from values (GAE) gets the critic's values, and the critic
   (:mod:`lamer_train.critic`) is updated towards the estimator's value targets;
4. one PPO update of the actor over the rows, then hand the new weights to the engine.

The parts (model, actor, engine, critic, envs, prompts, eval sets) are built from the
config in :mod:`lamer_train.components`; the metrics an iteration logs are assembled in
:mod:`lamer_train.iteration_metrics`.

Every ``eval.every`` iterations the policy plays the held-out tasks of every eval set
(:mod:`lamer_train.eval_sets`); every ``run.checkpoint_every`` iterations a checkpoint
lands (see :mod:`lamer_train.checkpoint`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium
import numpy as np
from rich.console import Console
from rich.markup import escape

import lamer_envs
from lamer_core.records import Trial
from lamer_train.advantages import Advantages, compute_advantages, rollout_batch, update_samples
from lamer_train.async_trials import play_trials
from lamer_train.checkpoint import (
    TrainerState,
    load_checkpoint,
    restore_rng_states,
    save_checkpoint,
)
from lamer_train.components import build_components
from lamer_train.config import LaMerConfig
from lamer_train.critic import value_metrics
from lamer_train.distributed import engine_weights, is_distributed, is_main_rank
from lamer_train.eval_sets import metrics_by_set
from lamer_train.evaluation import evaluate, pass_at_k_intervals
from lamer_train.intervals import Interval, pass_at_k_change
from lamer_train.iteration_metrics import StepTimes, iteration_metrics, row_advantages
from lamer_train.nonfinite import SkipGuard
from lamer_train.progress import IterationProgress, format_eval, summary_line
from lamer_train.report import RunReport
from lamer_train.sharded_checkpoint import restore_sharded, save_sharded
from lamer_train.task_seeds import iteration_tasks
from lamer_train.trial_loop import RolloutSetup, RolloutStats
from lamer_train.trial_records import eval_trial_files, read_trial_records, write_trial_records
from lamer_train.warmup import supervised_warmup, warmup_examples


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
        parts = build_components(config, log or (lambda line: None), eval_sets)
        self.tokenizer = parts.tokenizer
        self.actor = parts.actor
        self.engine = parts.engine
        self.estimator = parts.estimator
        self.critic = parts.critic
        self.train_prompts = parts.train_prompts
        self.train_settings = parts.train_settings
        self.envs = parts.envs
        self.eval_runners = parts.eval_runners
        self.held_out = parts.held_out
        self.state = TrainerState(iteration=0, data_position=0)
        self.skip_guard = SkipGuard(config.run.max_consecutive_skipped_updates)
        self.notices: list[str] = []  # lines for the console (skipped updates, ...)
        self.warmup_seeds: list[int] = []

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
        if is_distributed():  # every rank writes its shard (lamer_train.sharded_checkpoint)
            return save_sharded(
                self.run_dir,
                self.state,
                self.actor,
                self.critic,
                keep_last=self.config.run.keep_checkpoints,
            )
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
        # A sharded checkpoint, or any checkpoint into a sharded actor (torchrun).
        restored = restore_sharded(path, self.actor, self.critic, verify=not verified)
        if restored is not None:
            self.state = restored
            self.engine.load_weights(engine_weights(self.actor.model))
            return
        loaded = load_checkpoint(path, map_location=self.config.run.device, verify=not verified)
        self.actor.load_state_dict(loaded.actor_state)
        if self.critic is not None:
            if loaded.critic_state is None:
                raise ValueError(
                    f"{loaded.path} holds no critic state, but estimator "
                    f"{self.config.algorithm.estimator!r} trains a critic"
                )
            self.critic.load_state_dict(loaded.critic_state)
        self.engine.load_weights(engine_weights(self.actor.model))
        restore_rng_states(loaded.rng)
        self.state = loaded.state

    # -- one iteration ---------------------------------------------------------------
    def train_iteration(
        self, iteration: int, progress: IterationProgress | None = None
    ) -> IterationResult:
        """One iteration in equation order (the module docstring's steps 1-4), then the
        evaluation when it is due."""
        progress = progress or IterationProgress(None)
        times = StepTimes(started=time.perf_counter())

        # 1. This iteration's task seeds, played with the current policy.
        over_budget = self.train_prompts.over_budget
        trials, stats = self.rollout(iteration, progress)
        times.rollout_done = time.perf_counter()

        # 2. One row table: a row per response, with its token ids and rollout log-probs.
        batch = rollout_batch(trials)
        samples = update_samples(batch)

        # 3. Cross-attempt returns -> invalid-action penalty -> estimator (an estimator
        #    that learns from values gets the critic's values of these rows).
        values = self.critic.compute_values(samples) if self.critic is not None else None
        estimate = compute_advantages(batch, self.config.algorithm, self.estimator, values)
        times.advantages_done = time.perf_counter()

        # 4. Critic and actor updates, then the new weights to the engine.
        actor_metrics, critic_metrics = self.update(iteration, samples, estimate, values, progress)
        times.synced = time.perf_counter()
        self.engine.load_weights(engine_weights(self.actor.model))
        times.update_done = time.perf_counter()
        self.state.data_position += self.config.trial.tasks_per_iteration

        metrics = iteration_metrics(
            trials,
            batch,
            estimate,
            num_attempts=self.config.trial.num_attempts,
            prompts_over_budget=self.train_prompts.over_budget - over_budget,
            actor=actor_metrics,
            critic=critic_metrics,
            stats=stats,
            times=times,
        )
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

    def rollout(
        self, iteration: int, progress: IterationProgress | None = None
    ) -> tuple[list[Trial], RolloutStats]:
        """Play this iteration's training trials (step 1)."""
        progress = progress or IterationProgress(None)
        tasks = iteration_tasks(self.config, self.state.data_position, self.held_out)
        progress.phase("rollout", iteration + 1, len(tasks), "trials")
        over_budget = self.train_prompts.over_budget
        setup = RolloutSetup(
            self.envs,
            self.engine,
            self.train_prompts,
            self.train_settings,
            self.config.trial.sampling,
        )
        played = play_trials(
            setup,
            tasks,
            schedule=self.config.trial.schedule,
            run_seed=self.config.seed,
            seed_key=("rollout", iteration),
            on_wave=progress.advance,
        )
        if self.train_prompts.over_budget and not over_budget:  # said once per run
            self.notices.append(self.train_prompts.budget_warning())
        return played

    def update(
        self,
        iteration: int,
        samples: list[tuple[np.ndarray, ...]],
        estimate: Advantages,
        values: np.ndarray | None,
        progress: IterationProgress,
    ) -> tuple[dict[str, float], dict[str, float]]:
        """The critic's update (when one is trained) and the actor's PPO update on the
        rows (step 4); returns the actor's and the critic's metrics."""
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
        return actor_metrics, critic_metrics

    # -- evaluation and checkpoints: when they are due ------------------------------
    @property
    def num_eval_trials(self) -> int:
        """Trials of one evaluation, all eval sets together."""
        return sum(r.eval_set.num_trials for r in self.eval_runners)

    def eval_due(self, iteration: int) -> bool:
        return self._due(iteration, self.config.eval.every)

    def checkpoint_due(self, iteration: int) -> bool:
        return self._due(iteration, self.config.run.checkpoint_every)

    def _due(self, iteration: int, every: int) -> bool:
        """Every ``every`` iterations, and after the last one."""
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
            setup = RolloutSetup(
                runner.pool, self.engine, runner.prompts, runner.settings, self.config.eval.sampling
            )
            set_metrics, trials[name], _ = evaluate(
                setup,
                set_name=name,
                run_seed=self.config.seed,
                num_tasks=runner.eval_set.num_tasks,
                group_size=runner.eval_set.group_size,
                schedule=self.config.trial.schedule,
                on_wave=progress.advance if progress else None,
            )
            metrics.update(set_metrics)
        return metrics, trials

    def warmup(self, on_step: Callable[[int, int], None] | None = None) -> list[float]:
        """Supervised warm-up (:mod:`lamer_train.warmup`); returns the losses and keeps
        the task seeds it played in ``warmup_seeds``."""
        warm = self.config.warmup
        # Its own few envs, in this process: the warm-up calls the env's oracle.
        lamer_envs.register_envs()
        envs = [gymnasium.make(self.config.env.id, **self.config.env.kwargs) for _ in range(4)]
        examples, self.warmup_seeds = warmup_examples(
            envs,
            self.train_prompts,
            self.train_settings,
            count=warm.examples,
            run_seed=self.config.seed,
            held_out=self.held_out,
            policy=warm.policy,
            action_noise=warm.action_noise,
            reflection=warm.reflection,
        )
        losses = supervised_warmup(
            self.actor.model,
            self.tokenizer,
            self.engine.encode_prompt,
            examples,
            steps=warm.steps,
            batch_size=warm.batch_size,
            lr=warm.lr,
            lr_schedule=warm.lr_schedule,
            seed=self.config.seed,
            on_step=on_step,
        )
        self.engine.load_weights(engine_weights(self.actor.model))
        return losses

    # -- the whole run -------------------------------------------------------------
    def fit(self, report: RunReport, console: Console, show_progress: bool = True) -> RunSummary:
        """Run the remaining iterations (all of them, or those after a restored checkpoint):
        supervised warm-up and a first evaluation on a fresh run, then per iteration train,
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
                self._log(result, number, report)
                if number % self.config.run.samples_every == 0 or number == 1:
                    self._write_samples(report, number, result)
                self._print(result, number, progress)
                if self.checkpoint_due(index):
                    self.save()
                progress.iteration_done(number)
        return self._finish(report)

    def _warm_up_once(self, progress: IterationProgress) -> None:
        """Supervised warm-up of a fresh run (skipped when configured off or already done)."""
        steps, extra = self.config.warmup.steps, self.state.extra
        if not steps or "warmup_loss" in extra:
            return
        progress.print(f"warm-up ({self.config.warmup.policy} trials): {steps} steps")
        progress.phase("warm-up", 0, steps, "steps")
        extra["warmup_loss"] = self.warmup(on_step=progress.advance)
        if extra["warmup_loss"]:
            first, last = extra["warmup_loss"][0], extra["warmup_loss"][-1]
            progress.print(f"warm-up: loss {first:.2f} -> {last:.2f}")
        else:
            progress.print("warm-up skipped: the env has no sample_action (or no oracle)")

    def _evaluate_at_start_once(self, progress: IterationProgress, report: RunReport) -> None:
        """Iteration 0: every eval set before training (``eval.at_start``), logged once."""
        extra = self.state.extra
        if not self.config.eval.at_start or "eval_start" in extra:
            return
        progress.print(f"evaluating before training: {self.num_eval_trials} trials")
        metrics, trials = self.evaluate(progress, 0)
        extra["eval_start"] = metrics
        report.log(0, metrics)
        self._write_eval_trials(0, trials)
        self._write_samples(report, 0, IterationResult(metrics, trials=[], eval_trials=trials))
        total = self.config.run.iterations
        progress.print(f"iter 0/{total} (before training) | {format_eval(metrics)}")

    def _log(self, result: IterationResult, number: int, report: RunReport) -> None:
        """Iteration ``number``'s metrics; its eval metrics are kept for the summary."""
        report.log(number, result.metrics)
        if result.eval_trials:
            self.state.extra["eval_last"] = {
                k: v for k, v in result.metrics.items() if k.startswith("eval/")
            }
        self._write_eval_trials(number, result.eval_trials)

    def _write_eval_trials(self, number: int, eval_trials: dict[str, list[Trial]]) -> None:
        """Every trial of each eval set evaluated at iteration ``number`` (0: before
        training), as JSONL under ``eval_trials/`` (:mod:`lamer_train.trial_records`)."""
        for name, set_trials in eval_trials.items():
            write_trial_records(
                self.run_dir, f"eval_iter_{number:06d}_{name}", set_trials, self._reflection
            )

    def _write_samples(self, report: RunReport, number: int, result: IterationResult) -> None:
        """The trials of iteration ``number`` (0: only the evaluation before training)
        with their returns and advantages, and each eval set's trials."""
        if number > 0:
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

    def _print(self, result: IterationResult, number: int, progress: IterationProgress) -> None:
        """Iteration ``number``'s console line, then any notices it raised."""
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
        for sets in summary.values():  # Wilson 95% intervals of every pass@k
            for set_metrics in sets.values():
                set_metrics.update(pass_at_k_intervals(set_metrics))
        change = self._eval_change()
        summary["change"] = {
            name: {
                metric: {"mean": c.mean, "ci95": [c.low, c.high], "tasks": c.n}
                for metric, c in metrics.items()
            }
            for name, metrics in change.items()
        }
        if is_main_rank():
            (self.run_dir / "eval_summary.json").write_text(json.dumps(summary, indent=2))
        return RunSummary(
            run_dir=self.run_dir,
            eval_start=extra.get("eval_start"),
            eval_end=extra.get("eval_last"),
            change=change,
        )

    def _eval_change(self) -> dict[str, dict[str, Interval]]:
        """Per eval set, the paired change of pass@k from the evaluation before training
        to the last one, from their ``eval_trials/`` files (so a resumed run has it too);
        empty for a set without both."""
        change = {}
        for runner in self.eval_runners:
            name = runner.eval_set.name
            files = eval_trial_files(self.run_dir, name)
            last = max(files, default=0)
            if 0 in files and last > 0:
                change[name] = pass_at_k_change(
                    read_trial_records(files[0]),
                    read_trial_records(files[last]),
                    runner.eval_set.num_attempts,
                )
        return change

    def _reflection(self, response: str) -> tuple[str, bool]:
        return self.train_prompts.parse_reflection(response)


@dataclass(slots=True)
class RunSummary:
    run_dir: Path
    eval_start: dict[str, float] | None
    eval_end: dict[str, float] | None
    change: dict[str, dict[str, Interval]] = field(default_factory=dict)
    """Per eval set, the paired start-to-end change of each pass@k."""
