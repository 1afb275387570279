"""The experiment report: ``report.md`` and its PNGs, in the experiment folder.

Read from the cells' run folders (:mod:`lamer_train.experiment_analysis`); a cell that
has not finished is left out of the tables and the report says so at the top.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from lamer_train.eval_sets import resolve_eval_sets
from lamer_train.experiment import (
    SUMMARY,
    Experiment,
    episodes_per_iteration,
    machine_description,
)
from lamer_train.experiment_analysis import (
    CellResult,
    changed_reflections,
    metric_over_seeds,
    read_cell,
    verdict,
)
from lamer_train.experiment_plots import (
    plot_diversity,
    plot_gap,
    plot_learning_curves,
    plot_pass_at_k,
)
from lamer_train.intervals import paired_difference, t_interval
from lamer_train.progress import format_duration

DIVERSITY = ("distinct_retry_rate", "attempt_entropy", "first_attempt_entropy")


def collect(experiment: Experiment) -> dict[str, list[CellResult]]:
    """Per method, its cells' results (every cell with a run folder)."""
    by_method: dict[str, list[CellResult]] = {m: [] for m in experiment.spec.methods}
    for cell in experiment.cells:
        run_dir = experiment.cell_dir(cell)
        if (run_dir / "metrics.jsonl").is_file():
            finished = (run_dir / SUMMARY).is_file()
            by_method[cell.method].append(read_cell(run_dir, cell.method, cell.seed, finished))
    return by_method


def _finished(by_method: dict[str, list[CellResult]]) -> dict[str, list[CellResult]]:
    return {m: [c for c in cells if c.finished] for m, cells in by_method.items()}


def _method_rows(experiment: Experiment) -> list[str]:
    rows = [
        "| method | estimator | trials per task x attempts (train) | episodes / iteration | "
        "reflection (train / eval) | memory (eval) | iterations |",
        "|---|---|---|---|---|---|---|",
    ]
    seen = set()
    for cell in experiment.cells:
        if cell.method in seen:
            continue
        seen.add(cell.method)
        c = cell.config
        first_set = resolve_eval_sets(c)[0]
        rows.append(
            f"| {cell.method} | {c.algorithm.estimator} | {c.trial.group_size} x "
            f"{c.trial.num_attempts} | {episodes_per_iteration(c)} | "
            f"{'yes' if c.trial.reflection else 'no'} / "
            f"{'yes' if first_set.reflection else 'no'} | {first_set.memory_mode} | "
            f"{c.run.iterations} |"
        )
    return rows


def _eval_set_rows(experiment: Experiment) -> list[str]:
    config = experiment.cells[0].config
    rows = [
        "| eval set | env kwargs | tasks | trials per task | attempts | turns per attempt |",
        "|---|---|---|---|---|---|",
    ]
    for s in resolve_eval_sets(config):
        rows.append(
            f"| {s.name} | `{s.env_kwargs}` | {s.num_tasks} | {s.group_size} | "
            f"{s.num_attempts} | {s.max_turns} |"
        )
    return rows


def _pass_rows(
    experiment: Experiment, done: dict[str, list[CellResult]], set_name: str, attempts: int
) -> list[str]:
    keys = [f"pass@{k}" for k in range(1, attempts + 1)] + (["gap"] if attempts > 1 else [])
    heads = [k if k != "gap" else f"pass@{attempts} - pass@1" for k in keys]
    rows = [
        "| method | seeds | " + " | ".join(heads) + " | before training: "
        + " / ".join(heads[:attempts]) + " |",
        "|---|---|" + "---|" * len(keys) + "---|",
    ]  # fmt: skip
    for method, cells in done.items():
        if not cells:
            rows.append(f"| {method} | 0 | " + " | ".join("-" for _ in keys) + " | - |")
            continue
        end = [t_interval(list(metric_over_seeds(cells, set_name, k).values())) for k in keys]
        start = [
            t_interval(list(metric_over_seeds(cells, set_name, k, "start").values())).text()
            for k in keys[:attempts]
        ]
        rows.append(
            f"| {method} | {len(cells)} | "
            + " | ".join(i.text() for i in end)
            + f" | {' / '.join(start)} |"
        )
    return rows


CLAIMS = (
    ("gap", "pass@N - pass@1 gap larger (gains more from retries)"),
    ("pass@N", "pass@N higher"),
    ("pass@1", "pass@1 higher (the paper finds LaMer *lower* than GiGPO on MineSweeper)"),
    ("distinct_retry_rate", "retries differ more often from earlier attempts"),
    ("attempt_entropy", "higher action-sequence entropy across attempts"),
)


def _claims(
    experiment: Experiment, done: dict[str, list[CellResult]], set_names: Sequence[str], n: int
) -> tuple[list[str], list[str]]:
    """The paired-difference table and one plain sentence per (set, baseline, claim)."""
    reference = experiment.spec.reference_method
    rows = [
        f"| eval set | {reference} vs | claim about {reference} | paired difference "
        "(mean ± 95% t) | seeds | verdict |",
        "|---|---|---|---|---|---|",
    ]
    sentences = []
    for set_name in set_names:
        for other in experiment.spec.methods:
            if other == reference:
                continue
            for metric, claim in CLAIMS:
                key = metric.replace("pass@N", f"pass@{n}")
                ours = metric_over_seeds(done[reference], set_name, key)
                theirs = metric_over_seeds(done[other], set_name, key)
                diff = paired_difference(ours, theirs)
                if diff.n == 0:
                    continue
                said = verdict(diff)
                rows.append(
                    f"| {set_name} | {other} | {claim.replace('pass@N', f'pass@{n}')} | "
                    f"{diff.text()} | {diff.n} | **{said}** |"
                )
                if metric in ("gap", "pass@N", "distinct_retry_rate"):
                    sentences.append(
                        f"- {set_name}, {reference} vs {other}: "
                        f"{claim.replace('pass@N', f'pass@{n}')}: **{said}** "
                        f"(difference {diff.text()} over {diff.n} seeds)."
                    )
    return rows, sentences


def _reflection_lines(experiment: Experiment, done: dict[str, list[CellResult]], limit: int = 4):
    reference = experiment.spec.reference_method
    set_name = resolve_eval_sets(experiment.cells[0].config)[0].name
    found = []
    for cell in done[reference]:
        found += changed_reflections(
            f"{cell.method}-seed{cell.seed}", cell.end_records.get(set_name, []), limit
        )
    found.sort(key=lambda c: not c.solved_next)
    lines = []
    for item in found[:limit]:
        outcome = "solved" if item.solved_next else "not solved"
        lines += [
            f"- **{item.cell}**, task seed {item.seed}: attempt {item.attempt} played "
            f"`{' → '.join(item.before) or '(no valid action)'}` and failed; reflection: "
            f"“{item.reflection.strip()}”; attempt {item.attempt + 1} played "
            f"`{' → '.join(item.after) or '(no valid action)'}` ({outcome}).",
        ]
    if not lines:
        lines = [
            f"- none found: no {reference} retry on {set_name} changed its actions after a reflection."
        ]
    return lines, set_name


def write_report(
    experiment: Experiment,
    command: str,
    times: dict[str, float],
    notes: Sequence[str] = (),
) -> Path:
    """Write ``report.md`` and the PNGs into the experiment folder; returns the report."""
    folder = experiment.folder
    by_method = collect(experiment)
    done = _finished(by_method)
    finished = sum(len(c) for c in done.values())
    total = len(experiment.cells)
    config = experiment.cells[0].config
    eval_sets = resolve_eval_sets(config)
    n = eval_sets[0].num_attempts
    spec = experiment.spec

    figures = {
        "learning curves": plot_learning_curves(by_method, folder / "learning_curves.png", n),
        "pass@k": plot_pass_at_k(done, [s.name for s in eval_sets], n, folder / "pass_at_k.png"),
        "gap": plot_gap(done, [s.name for s in eval_sets], folder / "gap.png"),
        "diversity": plot_diversity(done, [s.name for s in eval_sets], folder / "diversity.png"),
    }
    claim_rows, sentences = _claims(experiment, done, [s.name for s in eval_sets], n)
    reflections, reflection_set = _reflection_lines(experiment, done)
    status = (
        "complete"
        if finished == total
        else f"**PARTIAL: {finished} of {total} cells finished**; unfinished cells are left "
        "out of every table (learning curves show what they logged)"
    )
    lines = [
        f"# Experiment `{folder.name}`: {' vs '.join(spec.methods)}",
        "",
        f"Status: {status}. Written {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        "## What held and what did not",
        "",
        "Verdicts compare the paired per-seed difference with 0: **held** = its 95% "
        "t-interval lies above 0, **reversed** = below 0, **not shown** = it contains 0, "
        "**untested** = fewer than 2 seeds.",
        "",
        *(sentences or ["- nothing to compare yet (no finished cells of two methods)."]),
        *notes,
        "",
        "## Setup",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine_description()}; wall time of the cells: "
        f"{format_duration(sum(times.values()))} in all "
        f"({', '.join(f'{k} {format_duration(v)}' for k, v in times.items())}).",
        f"- Training seeds: {spec.seeds}; every method starts from "
        f"`model.name_or_path={config.model.name_or_path}` "
        f"(format warm-up steps: {config.warmup.steps}).",
        f"- Env: `{config.env.id}` `{config.env.kwargs}`, at most {config.env.max_turns} "
        "play turns per attempt.",
        "- Held-out tasks: for training seed *s*, every eval set plays the first `num_tasks` "
        "seeds of the `eval` stream of *s* (`lamer_core.seeding.task_seeds(s, 'eval', n)`), "
        "and training draws its tasks from the `train` stream, redrawing any seed that is "
        "held out; so no method trains on an evaluation task, and all methods of one seed "
        "are evaluated on the same tasks with the same sampling seeds. Nothing was tuned "
        "on these seeds.",
        f"- Evaluation sampling: {config.eval.sampling.model_dump()}.",
        "",
        *_method_rows(experiment),
        "",
        *_eval_set_rows(experiment),
        "",
        "## pass@k on held-out tasks",
        "",
        "Mean over training seeds ± half-width of the two-sided 95% Student-t interval "
        "(n-1 degrees of freedom); a single seed shows the mean only.",
        "",
    ]
    for eval_set in eval_sets:
        lines += [f"### {eval_set.name}", "", *_pass_rows(experiment, done, eval_set.name, n), ""]
    lines += [
        f"![pass@k]({figures['pass@k'].name})" if figures["pass@k"] else "",
        "",
        f"![pass@{n} - pass@1]({figures['gap'].name})" if figures["gap"] else "",
        "",
        "Per cell (before → after training):",
        "",
        *_per_seed_rows(done, [s.name for s in eval_sets], n),
        "",
        "## Paired comparisons",
        "",
        *claim_rows,
        "",
        "## Learning curves",
        "",
        "Training rollouts per iteration, mean over seeds; the band is the 95% t-interval "
        "over seeds. First-attempt success is comparable across methods (same first "
        "prompt); success within the trial counts every attempt a method trains with.",
        "",
        f"![learning curves]({figures['learning curves'].name})"
        if figures["learning curves"]
        else "",
        "",
        "## Trajectory diversity",
        "",
        "At the last evaluation. **distinct retry rate**: of the attempts played after a "
        "failed attempt, the fraction whose action sequence differs from every earlier "
        "attempt of the same trial. **attempt entropy**: per task, the Shannon entropy "
        "(nats) of the action sequences of all its attempts, averaged over tasks. "
        "**first-attempt entropy** (only with several trials per task): the same over the "
        "first attempts of a task's trials (with two trials: ln 2 = 0.69 when they differ, "
        "0 when they are the same).",
        "",
        *_diversity_rows(done, [s.name for s in eval_sets]),
        "",
        f"![diversity]({figures['diversity'].name})" if figures["diversity"] else "",
        "",
        f"## Reflections that changed the next attempt ({reflection_set}, last evaluation)",
        "",
        *reflections,
        "",
        "## Spec",
        "",
        "```yaml",
        experiment.spec_text.rstrip(),
        "```",
        "",
    ]
    path = folder / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _per_seed_rows(
    done: dict[str, list[CellResult]], set_names: Sequence[str], num_attempts: int
) -> list[str]:
    """Every finished cell's pass@1 and pass@N, before -> after training."""
    rows = [
        f"| method | seed | {' | '.join(f'{s}: pass@1, pass@{num_attempts}' for s in set_names)} |",
        "|---|---|" + "---|" * len(set_names),
    ]
    for method, cells in done.items():
        for cell in sorted(cells, key=lambda c: c.seed):
            values = []
            for set_name in set_names:
                pair = []
                for key in ("pass@1", f"pass@{num_attempts}"):
                    before = cell.start.get(set_name, {}).get(key)
                    after = cell.end.get(set_name, {}).get(key)
                    shown = "-" if after is None else f"{after:.3f}"
                    pair.append(shown if before is None else f"{before:.3f} → {shown}")
                values.append(", ".join(pair))
            rows.append(f"| {method} | {cell.seed} | " + " | ".join(values) + " |")
    return rows


def _diversity_rows(done: dict[str, list[CellResult]], set_names: Sequence[str]) -> list[str]:
    rows = [
        "| eval set | method | " + " | ".join(m.replace("_", " ") for m in DIVERSITY) + " |",
        "|---|---|" + "---|" * len(DIVERSITY),
    ]
    for set_name in set_names:
        for method, cells in done.items():
            values = [
                t_interval(list(metric_over_seeds(cells, set_name, m).values())).text()
                for m in DIVERSITY
            ]
            rows.append(f"| {set_name} | {method} | " + " | ".join(values) + " |")
    return rows
