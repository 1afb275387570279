"""``lamer-train experiment <spec.yaml>``: LaMer against RL baselines, over training seeds.

An experiment spec names methods (each a config plus overrides) and training seeds; the
runner trains one ordinary ``lamer-train`` run per (method, seed) **cell**, each in its
own run folder, then writes a report comparing the methods
(:mod:`lamer_train.experiment_report`). The cells are plain runs: the same trainer,
configs, overrides and ``--resume`` as ``lamer-train`` itself.

Layout::

    <output_dir>/<name>/
      spec.yaml              the spec as run
      cells/<method>-seed<k>/  one run folder per cell (config.yaml, metrics.jsonl, ...)
      cells/<method>-seed<k>.yaml     the cell's resolved config, as its run started
      cells/<method>-seed<k>.wall_s   wall seconds spent in that cell (summed over runs)
      report.md, *.png       the report

A cell's config is layered: its method's config file (or the spec's ``config``) <- the
spec's ``overrides`` <- the method's ``overrides`` <- ``seed=<k>`` and its run folder.
Before any training, every cell's config is resolved and checked, and the methods must be
comparable: the same env, eval sets (tasks, attempts, turns, sampling) and first-attempt
prompt, and (``equal_episodes``) the same number of sampled episodes. Only reflection and
memory may differ at evaluation, which is how the paper evaluates its baselines (3 plain
retries).

Rerunning the same command skips finished cells (their ``eval_summary.json`` exists) and
resumes an interrupted one from its newest checkpoint.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lamer_train.config import (
    ConfigError,
    LaMerConfig,
    config_to_yaml,
    format_validation_error,
    load_config,
    parse_yaml_mapping,
)
from lamer_train.eval_sets import resolve_eval_sets
from lamer_train.preflight import check_before_run
from lamer_train.progress import format_duration
from lamer_train.run_config import CONFIG_FILE, load_run_config

#: Shipped experiment specs (package data): ``lamer-train experiment sokoban_small``.
SHIPPED_SPECS = Path(__file__).parent / "experiment_specs"
CELLS = "cells"
WALL_SECONDS = ".wall_s"
"""Suffix of ``cells/<cell>.wall_s``: wall seconds spent in that cell, summed over runs."""
SUMMARY = "eval_summary.json"


class MethodSpec(BaseModel):
    """One method of the comparison: a config and what it changes."""

    model_config = ConfigDict(extra="forbid")

    config: str | None = Field(
        None,
        description="Shipped config name or YAML path this method starts from (a relative "
        "path is read from the spec's folder first); unset = the spec's `config`.",
    )
    overrides: list[str] = Field(
        default_factory=list,
        description="`section.field=value` overrides of this method, applied after the "
        "spec's `overrides`.",
    )


class ExperimentSpec(BaseModel):
    """Which methods to train, on which seeds, from which common settings."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        "", description="Experiment folder name under output_dir; empty = the spec file's stem."
    )
    output_dir: str = Field("experiments", description="Parent folder of experiment folders.")
    config: str | None = Field(
        None,
        description="Config every method starts from unless it names its own (shipped name "
        "or YAML path); unset = the CPU default run.",
    )
    overrides: list[str] = Field(
        default_factory=list,
        description="Overrides of every cell, after the method's config (e.g. the warm "
        "start: model.name_or_path=<folder>, and the common budget).",
    )
    methods: dict[str, MethodSpec] = Field(
        description="Methods by name (letters, digits, '_' and '-'), trained on every seed."
    )
    reference_method: str = Field(
        "lamer",
        description="The meta-RL method; the report compares every other method with it.",
    )
    seeds: list[int] = Field(
        default_factory=lambda: [0, 1, 2],
        min_length=1,
        description="Training seeds: every method is trained once per seed (the run's "
        "`seed`, which also draws the held-out tasks, so the methods of one seed are "
        "evaluated on the same tasks with the same sampling seeds).",
    )
    equal_episodes: bool = Field(
        True,
        description="Require the same sampled episodes for every method: equal iterations, "
        "tasks per iteration and group_size x num_attempts per task (LaMer's 8 trials x "
        "3 attempts = a baseline's 24 single-attempt episodes).",
    )

    @model_validator(mode="after")
    def _names_and_seeds(self) -> ExperimentSpec:
        if not self.methods:
            raise ValueError("methods: name at least one method")
        for name in self.methods:
            if not name.replace("_", "").replace("-", "").isalnum():
                raise ValueError(f"methods: name {name!r} may only hold letters, digits, _ and -")
        if self.reference_method not in self.methods:
            raise ValueError(
                f"reference_method {self.reference_method!r} is not one of the methods "
                f"{list(self.methods)}"
            )
        if len(set(self.seeds)) != len(self.seeds) or min(self.seeds) < 0:
            raise ValueError(f"seeds must be distinct and >= 0, got {self.seeds}")
        return self


@dataclass(frozen=True, slots=True)
class Cell:
    """One run of the experiment: a method trained with one seed."""

    method: str
    seed: int
    config: LaMerConfig

    @property
    def name(self) -> str:
        return f"{self.method}-seed{self.seed}"


@dataclass(frozen=True, slots=True)
class Experiment:
    """A checked spec with every cell's config resolved."""

    spec: ExperimentSpec
    spec_text: str
    folder: Path
    cells: list[Cell]

    def cell_dir(self, cell: Cell) -> Path:
        return self.folder / CELLS / cell.name


# -- loading and checking -------------------------------------------------------------------
def resolve_spec_path(name_or_path: str) -> Path:
    """A spec YAML path, or the name of a shipped spec (``minesweeper_small``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = SHIPPED_SPECS / (name_or_path.removesuffix(".yaml") + ".yaml")
    if shipped.is_file():
        return shipped
    names = sorted(p.stem for p in SHIPPED_SPECS.glob("*.yaml"))
    raise ConfigError(f"experiment spec {name_or_path!r} not found; shipped specs: {names}")


def _method_config_path(config: str | None, spec_folder: Path) -> str | None:
    if config is None:
        return None
    beside = spec_folder / config
    return str(beside) if beside.is_file() else config


def load_experiment(name_or_path: str, extra_overrides: list[str] = ()) -> Experiment:
    """Read and check a spec, and resolve the config of every cell; raises
    :class:`ConfigError` naming the spec field, method or cell, before any work.
    ``extra_overrides`` are applied to every cell after the spec's own."""
    path = resolve_spec_path(name_or_path)
    text = path.read_text(encoding="utf-8")
    raw = parse_yaml_mapping(text, path, holds="spec fields (name, methods, seeds, ...)")
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"{path}: " + format_validation_error(error)) from None
    folder = Path(spec.output_dir) / (spec.name or path.stem)
    cells = []
    for method, entry in spec.methods.items():
        base = _method_config_path(entry.config or spec.config, path.parent)
        for seed in spec.seeds:
            overrides = [
                *spec.overrides,
                *entry.overrides,
                *extra_overrides,
                f"seed={seed}",
                f"run.output_dir={folder / CELLS}",
                f"run.name={method}-seed{seed}",
            ]
            try:
                config = load_config(base, overrides)
            except ConfigError as error:
                raise ConfigError(f"{path}: method {method!r}, seed {seed}: {error}") from None
            cells.append(Cell(method, seed, config))
    experiment = Experiment(spec, text, folder, cells)
    check_comparable(experiment)
    return experiment


def _eval_shape(config: LaMerConfig) -> dict:
    """What must match between methods for their pass@k to be compared."""
    sets = {
        s.name: (s.num_tasks, s.group_size, s.num_attempts, s.max_turns, s.env_kwargs)
        for s in resolve_eval_sets(config)
    }
    return {
        "env.id": config.env.id,
        "env.kwargs": config.env.kwargs,
        "env.max_turns": config.env.max_turns,
        "eval.sets (tasks, trials per task, attempts, turns, env kwargs)": sets,
        "eval.sampling": config.eval.sampling.model_dump(),
        "model.name_or_path": config.model.name_or_path,
    }


def episodes_per_iteration(config: LaMerConfig) -> int:
    """Episodes (attempts) a training iteration samples at most: tasks x trials x attempts
    (fewer are played when a trial is solved before its last attempt)."""
    trial = config.trial
    return trial.tasks_per_iteration * trial.group_size * trial.num_attempts


def check_comparable(experiment: Experiment) -> None:
    """The methods differ only where a comparison allows (see the module docstring)."""
    first_of = {}
    for cell in experiment.cells:
        first_of.setdefault(cell.method, cell)
    reference = first_of[experiment.spec.reference_method]
    want = _eval_shape(reference.config)
    for method, cell in first_of.items():
        got = _eval_shape(cell.config)
        for key, value in want.items():
            if got[key] != value:
                raise ConfigError(
                    f"method {method!r} is not comparable with {reference.method!r}: {key} "
                    f"is {got[key]!r}, not {value!r} (only reflection and memory may differ "
                    "at evaluation)"
                )
        if experiment.spec.equal_episodes:
            ours = (cell.config.run.iterations, episodes_per_iteration(cell.config))
            theirs = (reference.config.run.iterations, episodes_per_iteration(reference.config))
            if ours != theirs or (
                cell.config.trial.tasks_per_iteration != reference.config.trial.tasks_per_iteration
            ):
                raise ConfigError(
                    f"method {method!r} samples {ours[1]} episodes per iteration for "
                    f"{ours[0]} iterations, {reference.method!r} {theirs[1]} for {theirs[0]} "
                    "(tasks_per_iteration x group_size x num_attempts); make them equal or "
                    "set equal_episodes: false"
                )
    check_first_prompts_equal({m: c.config for m, c in first_of.items()})


def check_first_prompts_equal(configs: dict[str, LaMerConfig]) -> None:
    """Every method's first-attempt prompt of the first held-out task of each eval set is
    the same text (what LaMer adds appears only from attempt 2 on)."""
    import gymnasium

    import lamer_envs
    from lamer_memory.prompts import build_play_prompt
    from lamer_memory.trial_memory import TrialMemory
    from lamer_train.components import prompt_config
    from lamer_train.task_seeds import eval_task_seeds

    lamer_envs.register_envs()
    texts: dict[tuple[str, str], str] = {}
    for method, config in configs.items():
        for eval_set in resolve_eval_sets(config):
            env = gymnasium.make(config.env.id, **eval_set.env_kwargs)
            observation, _ = env.reset(seed=eval_task_seeds(config.seed, 1)[0])
            settings = prompt_config(
                config, eval_set.memory_mode, eval_set.num_attempts, eval_set.max_turns
            )
            prompt = build_play_prompt(
                TrialMemory(observation),
                rules=env.unwrapped.rules,
                action_format=env.unwrapped.action_format,
                config=settings,
            )
            env.close()
            texts[(method, eval_set.name)] = json.dumps(prompt.messages)
    for (method, set_name), text in texts.items():
        for (other, other_set), other_text in texts.items():
            if set_name == other_set and text != other_text:
                raise ConfigError(
                    f"methods {method!r} and {other!r} see different first-attempt prompts "
                    f"on eval set {set_name!r} (the comparison needs the same first attempt)"
                )


# -- running --------------------------------------------------------------------------------
def cell_status(experiment: Experiment, cell: Cell) -> str:
    """``"done"`` (its evaluation summary exists), ``"partial"`` (a run folder to resume)
    or ``"new"``. A run folder whose config differs from the cell's is an error: the
    spec changed since it ran."""
    run_dir = experiment.cell_dir(cell)
    if not (run_dir / CONFIG_FILE).is_file():
        return "new"
    stored = load_run_config(run_dir)
    # How a cell is shown and how many threads it uses may change between invocations.
    ignored = {"run": {"progress", "torch_threads"}}
    if stored.model_dump(exclude=ignored) != cell.config.model_dump(exclude=ignored):
        raise ConfigError(
            f"cell {cell.name} in {run_dir} was run with another config than the spec now "
            "gives; use a new experiment name (or remove that cell's folder to rerun it)"
        )
    return "done" if (run_dir / SUMMARY).is_file() else "partial"


def _cell_arguments(experiment: Experiment, cell: Cell, status: str) -> list[str]:
    run_dir = experiment.cell_dir(cell)
    if status == "partial":
        run = cell.config.run
        return [
            "--resume", str(run_dir),
            f"run.torch_threads={run.torch_threads}", f"run.progress={str(run.progress).lower()}",
        ]  # fmt: skip
    # The resolved config, written once so the fresh run reads exactly what was checked.
    config_path = experiment.folder / CELLS / f"{cell.name}.yaml"
    config_path.write_text(config_to_yaml(cell.config), encoding="utf-8")
    return ["--config", str(config_path)]


def machine_description() -> str:
    """CPU count and platform, for the report's 'where it ran' line."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return f"{cores} CPU cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def cell_times(experiment: Experiment) -> dict[str, float]:
    """Wall seconds spent in each cell so far (summed over invocations)."""
    times = {}
    for cell in experiment.cells:
        path = experiment.folder / CELLS / f"{cell.name}{WALL_SECONDS}"
        if path.is_file():
            times[cell.name] = float(path.read_text(encoding="utf-8"))
    return times


def run_experiment(
    experiment: Experiment,
    run_cell: Callable[[list[str]], int],
    log: Callable[[str], None] = print,
    seeds: list[int] | None = None,
) -> None:
    """Train every unfinished cell (``run_cell(lamer-train arguments) -> exit code``), in
    seed-major order so that a partial experiment has every method of the first seeds.
    ``seeds``: only the cells of these seeds (e.g. one process or machine per seed;
    each cell keeps its own files, so such runs do not interfere)."""
    folder = experiment.folder
    spec_seeds = experiment.spec.seeds
    order = sorted(
        (c for c in experiment.cells if seeds is None or c.seed in seeds),
        key=lambda c: spec_seeds.index(c.seed),
    )
    total = len(order)
    statuses = {cell.name: cell_status(experiment, cell) for cell in order}
    for cell in order:  # what each run checks at its start, for every cell before any work
        if statuses[cell.name] == "new":
            check_before_run(cell.config, experiment.cell_dir(cell))
    (folder / CELLS).mkdir(parents=True, exist_ok=True)
    (folder / "spec.yaml").write_text(experiment.spec_text, encoding="utf-8")
    known = cell_times(experiment)
    durations = [known[c.name] for c in order if statuses[c.name] == "done" and c.name in known]
    log(
        f"experiment {folder}: {total} cells ({len(experiment.spec.methods)} methods x "
        f"{total // len(experiment.spec.methods)} seeds), "
        f"{sum(s == 'done' for s in statuses.values())} already done"
    )
    for number, cell in enumerate(order, start=1):
        status = statuses[cell.name]
        head = f"cell {number}/{total} {cell.name}"
        if status == "done":
            log(f"{head}: done, skipped")
            continue
        remaining = sum(1 for c in order[number - 1 :] if statuses[c.name] != "done")
        eta = ""
        if durations:  # finished cells' mean wall time
            eta = f", ETA {format_duration(remaining * sum(durations) / len(durations))}"
        log(f"{head}: {'resuming' if status == 'partial' else 'training'}{eta}")
        started = time.perf_counter()
        code = run_cell(_cell_arguments(experiment, cell, status))
        spent = time.perf_counter() - started
        path = folder / CELLS / f"{cell.name}{WALL_SECONDS}"
        path.write_text(f"{cell_times(experiment).get(cell.name, 0.0) + spent:.1f}\n")
        if code != 0:
            raise RuntimeError(
                f"{head} failed (exit code {code}); rerun the same command to resume it"
            )
        durations.append(spent)
        log(f"{head}: finished in {format_duration(spent)}")


# -- command line ---------------------------------------------------------------------------
def main(argv: list[str]) -> int:
    """``lamer-train experiment <spec> [overrides] [--report-only] [--seeds 0,1]``."""
    import argparse
    import shlex

    from rich.console import Console

    from lamer_train import cli

    parser = argparse.ArgumentParser(
        prog="lamer-train experiment",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("spec", help="experiment spec: a YAML path or a shipped spec's name")
    parser.add_argument(
        "overrides", nargs="*", help="section.field=value, applied to every cell last"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="write the report from the cells run so far, train nothing",
    )
    parser.add_argument(
        "--seeds",
        type=lambda text: [int(v) for v in text.split(",")],
        help="train only the cells of these spec seeds, e.g. 0,2 (one process or machine "
        "per seed); the report covers every cell",
    )
    args = parser.parse_intermixed_args(argv)  # overrides before or after the options
    console = Console()
    # The command that trains it (the same with or without --report-only).
    command = shlex.join(["lamer-train", "experiment", *(a for a in argv if a != "--report-only")])
    try:
        experiment = load_experiment(args.spec, args.overrides)
        if args.report_only:
            if not (experiment.folder / CELLS).is_dir():
                raise ConfigError(f"--report-only: no cells have run in {experiment.folder} yet")
            for cell in experiment.cells:
                cell_status(experiment, cell)  # a cell run with another config stops here
        else:
            unknown = sorted(set(args.seeds or []) - set(experiment.spec.seeds))
            if unknown:
                raise ConfigError(
                    f"--seeds: {unknown} not in the spec's seeds {experiment.spec.seeds}"
                )
            run_experiment(
                experiment,
                cli.main,
                log=lambda line: console.print(line, soft_wrap=True),
                seeds=args.seeds,
            )
    except ConfigError as error:
        cli._print_error("config error", error)
        return 2
    except RuntimeError as error:
        cli._print_error("experiment stopped", error)
        return 1
    from lamer_train.experiment_report import write_report

    path = write_report(experiment, command, cell_times(experiment))
    console.print(f"report: {path}", soft_wrap=True)
    return 0
