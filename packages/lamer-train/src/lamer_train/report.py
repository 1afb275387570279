"""What a run leaves behind: metrics (JSONL, TensorBoard, wandb), sample trajectories,
learning-curve plots, and the final pass@k table.

Run folder layout::

    config.yaml            the resolved config
    metrics.jsonl          one JSON object per iteration: {"iteration": k, "<group>/<name>": x}
    tensorboard/           the same scalars, and the samples as text
    samples/iter_000003.txt, .html   sampled trials of iteration 3 (eval_iter_...: held-out)
    plots/*.png            learning curves
    checkpoints/           see :mod:`lamer_train.checkpoint`

Iterations are numbered from 1 everywhere (console, metrics, samples, TensorBoard steps,
checkpoints): iteration ``k`` is logged once ``k`` iterations are done, and checkpoint
``iter_00000k`` holds the weights after them. Iteration 0 is the run before training:
the held-out evaluation at start (``eval.at_start``) is logged as iteration 0.
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamer_core.records import Trial
from lamer_train.checkpoint import write_text_atomic
from lamer_train.intervals import Interval
from lamer_train.samples import ReflectionReader, sample_trials, trials_as_html, trials_as_text

METRICS_FILE = "metrics.jsonl"


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a metrics file (a torn last line from a kill is skipped)."""
    path = Path(path)
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def truncate_metrics(path: Path, first_missing_iteration: int) -> None:
    """Drop rows of iterations ``>= first_missing_iteration`` (logged after the checkpoint a
    run resumes from), so the resumed run neither repeats nor skips an iteration."""
    rows = [r for r in read_metrics(path) if r.get("iteration", -1) < first_missing_iteration]
    write_text_atomic(Path(path), "".join(json.dumps(r) + "\n" for r in rows))


class RunReport:
    """Writes one run's metrics and artifacts. ``resume_iteration`` (the first iteration the
    run will log: the checkpoint's iteration + 1, or 0 without a checkpoint) trims rows
    logged after the checkpoint it resumed from."""

    def __init__(
        self,
        run_dir: Path,
        *,
        tensorboard: bool = True,
        wandb_project: str | None = None,
        run_name: str = "",
        config: dict[str, Any] | None = None,
        resume_iteration: int | None = None,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.metrics_path = self.run_dir / METRICS_FILE
        if resume_iteration is not None:
            truncate_metrics(self.metrics_path, resume_iteration)
        self._tb = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            # purge_step drops events a killed run wrote after its last checkpoint.
            self._tb = SummaryWriter(
                str(self.run_dir / "tensorboard"),
                purge_step=resume_iteration,
            )
        self._wandb = None
        if wandb_project:
            try:
                import wandb
            except ImportError:
                wandb = None
                warnings.warn(
                    f"run.wandb_project={wandb_project!r} is set but wandb is not installed: "
                    "nothing goes to Weights & Biases (metrics.jsonl and TensorBoard still "
                    "do). Install the lamer-train[wandb] extra or `pip install wandb`.",
                    UserWarning,
                    stacklevel=2,
                )
            if wandb is not None:
                self._wandb = wandb.init(
                    project=wandb_project, name=run_name or None, config=config, resume="allow"
                )

    def log(self, iteration: int, metrics: dict[str, float]) -> None:
        """Append one iteration's scalars (NaN and inf are written as null in JSONL)."""
        clean = {k: _json_number(v) for k, v in metrics.items()}
        line = json.dumps({"iteration": iteration, **clean}) + "\n"
        with open(self.metrics_path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        if self._tb is not None:
            for key, value in metrics.items():
                if isinstance(value, int | float) and math.isfinite(value):
                    self._tb.add_scalar(key, value, iteration)
            self._tb.flush()
        if self._wandb is not None:
            self._wandb.log(dict(metrics), step=iteration)

    def write_samples(
        self,
        name: str,
        trials: Sequence[Trial],
        *,
        iteration: int | None = None,
        returns: Sequence[float] | None = None,
        advantages: Sequence[float] | None = None,
        read_reflection: ReflectionReader | None = None,
        limit: int = 4,
    ) -> Path:
        """Write up to ``limit`` trials of different tasks as text and HTML under
        ``samples/`` (and as TensorBoard text at step ``iteration``); returns the HTML
        path. ``returns``/``advantages``: one value per row of ``trials``."""
        folder = self.run_dir / "samples"
        folder.mkdir(exist_ok=True)
        chosen = sample_trials(trials, limit, returns, advantages)
        text = trials_as_text(chosen, read_reflection)
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        path = folder / f"{name}.html"
        title = sample_title(name)
        path.write_text(trials_as_html(chosen, title, read_reflection), encoding="utf-8")
        if self._tb is not None:
            # Markdown: four leading spaces keep the transcript verbatim.
            body = "\n".join("    " + line for line in text.splitlines())
            self._tb.add_text(sample_tag(name), body, iteration)
            self._tb.flush()
        return path

    def plot(self) -> list[Path]:
        """Learning-curve PNGs from ``metrics.jsonl``; returns the files written."""
        return plot_metrics(read_metrics(self.metrics_path), self.run_dir / "plots")

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
        if self._wandb is not None:
            self._wandb.finish()


class SilentReport:
    """The report of a torchrun rank other than 0: the same calls, nothing written
    (rank 0 writes the run's metrics, samples and plots)."""

    def log(self, iteration: int, metrics: dict[str, float]) -> None:
        pass

    def write_samples(self, name: str, trials: Sequence[Trial], **details: Any) -> None:
        pass

    def plot(self) -> list[Path]:
        return []

    def close(self) -> None:
        pass


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def sample_title(name: str) -> str:
    """``iter_000003`` -> ``iteration 3: training trials``; ``eval_iter_000000`` ->
    ``iteration 0 (before training): held-out evaluation``."""
    match = re.fullmatch(r"(eval_)?iter_(\d+)", name)
    if match is None:
        return name
    number = int(match[2])
    when = f"iteration {number}" + (" (before training)" if number == 0 else "")
    return f"{when}: {'held-out evaluation' if match[1] else 'training trials'}"


def sample_tag(name: str) -> str:
    """TensorBoard tag of a sample file: ``iter_000003`` -> ``samples/train``,
    ``eval_iter_000003`` -> ``samples/eval``."""
    kind = re.sub(r"_?iter_\d+$", "", name)
    return f"samples/{kind or 'train'}"


# -- plots and tables ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Panel:
    """One axes of a figure: series sharing a single unit (its y label)."""

    title: str
    unit: str
    keys: tuple[str, ...]


_PASS_AT_K = re.compile(r"eval/(?:(?P<set>[^/]+)/)?pass@(?P<k>\d+)")

# One PNG per family; every panel has one unit. The pass@k figure is built from the keys
# found (one panel per evaluation set).
_FIGURES: dict[str, tuple[Panel, ...]] = {
    "reward": (
        Panel(
            "reward per attempt (training trials)", "env reward", ("rollout/episode_reward_mean",)
        ),
        Panel("success (training trials)", "fraction of trials", ("rollout/success_rate",)),
    ),
    "pass_at_k": (),
    "loss": (
        Panel("policy-gradient loss", "loss", ("actor/pg_loss",)),
        Panel("KL", "nats per token", ("actor/ppo_kl", "actor/kl")),
        Panel("entropy", "nats per token", ("actor/entropy",)),
    ),
    "time": (
        Panel(
            "time per iteration",
            "seconds",
            ("time/iteration_s", "time/generation_s", "time/update_s", "time/eval_s"),
        ),
    ),
    "throughput": (Panel("generation throughput", "tokens per second", ("speed/tokens_per_s",)),),
}


def pass_at_k_panels(keys: Sequence[str]) -> tuple[Panel, ...]:
    """One panel per evaluation set: its ``eval[/<set>]/pass@k`` keys, by k."""
    by_set: dict[str, list[tuple[int, str]]] = {}
    for key in keys:
        match = _PASS_AT_K.fullmatch(key)
        if match:
            by_set.setdefault(match["set"] or "", []).append((int(match["k"]), key))
    return tuple(
        Panel(
            f"pass@k on held-out tasks{f' ({name})' if name else ''}",
            "fraction of trials",
            tuple(key for _, key in sorted(found)),
        )
        for name, found in sorted(by_set.items())
    )


Series = dict[str, list[tuple[int, float]]]


def plan_figures(rows: list[dict[str, Any]]) -> dict[str, list[tuple[Panel, Series]]]:
    """What :func:`plot_metrics` draws: per PNG, its panels with their ``(iteration,
    value)`` points (iteration 0 = the evaluation before training). Panels and figures
    without data are left out."""
    keys = sorted({k for row in rows for k in row})
    plan = {}
    for family, panels in _FIGURES.items():
        if family == "pass_at_k":
            panels = pass_at_k_panels(keys)
        drawn = []
        for panel in panels:
            series = {}
            for key in panel.keys:
                points = [(r["iteration"], r[key]) for r in rows if r.get(key) is not None]
                if points:
                    series[key] = points
            if series:
                drawn.append((panel, series))
        if drawn:
            plan[family] = drawn
    return plan


def plot_metrics(rows: list[dict[str, Any]], folder: Path) -> list[Path]:
    """One PNG per metric family, one unit per axes (:func:`plan_figures`)."""
    plan = plan_figures(rows)
    if not plan:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for family, drawn in plan.items():
        fig, axes = plt.subplots(
            1, len(drawn), figsize=(4.5 * len(drawn) + 1.5, 3.5), squeeze=False
        )
        for ax, (panel, series) in zip(axes[0], drawn, strict=True):
            for key, points in series.items():
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, marker="o", markersize=3, label=key)
            ax.set_title(panel.title, fontsize=9)
            ax.set_xlabel("iteration (0 = before training)")
            ax.set_ylabel(panel.unit)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(fontsize=7)
            ax.grid(alpha=0.3)
        fig.tight_layout()
        path = folder / f"{family}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def pass_at_k_table(
    start: dict[str, float] | None,
    end: dict[str, float],
    change: dict[str, dict[str, Interval]] | None = None,
):
    """A rich table of evaluation metrics (keys ``eval/<set>/<metric>``), one block of
    rows per eval set, start of training vs end; with ``change`` (per set, the paired
    change of each pass@k, :func:`~lamer_train.intervals.pass_at_k_change`)
    a column of it."""
    from rich.table import Table

    caption = r"\[low, high]: Wilson 95% interval over the set's trials"
    if change:
        caption += "; change: end - start per task, paired 95% t-interval over the tasks"
    table = Table(title="evaluation on held-out tasks", caption=caption)
    table.add_column("set")
    table.add_column("metric")
    table.add_column("start", justify="right")
    table.add_column("end", justify="right")
    if change:
        table.add_column("change", justify="right")
    previous = None
    for key in end:
        parts = key.split("/", 2)
        if len(parts) != 3 or parts[0] != "eval":
            continue
        set_name, metric = parts[1], parts[2]
        if previous is not None and set_name != previous:
            table.add_section()
        before = _with_interval(start, key) if start else "-"
        after = _with_interval(end, key)
        cells = [set_name if set_name != previous else "", metric, before, after]
        if change:
            delta = change.get(set_name, {}).get(metric)
            cells.append(_change_text(delta) if delta is not None else "")
        table.add_row(*cells)
        previous = set_name
    return table


def _change_text(delta: Interval) -> str:
    """``+0.141 [+0.05, +0.23]`` (no interval with fewer than two tasks)."""
    if delta.low is None or delta.high is None:
        return f"{delta.mean:+.3f}"
    return f"{delta.mean:+.3f} [{delta.low:+.2f}, {delta.high:+.2f}]"


def _with_interval(metrics: dict[str, float], key: str) -> str:
    """``0.250 [0.160, 0.370]`` for a pass@k with its set's ``num_trials``, else the value."""
    from lamer_train.evaluation import wilson_interval

    value = metrics.get(key)
    if value is None:
        return "-"
    trials = metrics.get(key.rsplit("/", 1)[0] + "/num_trials")
    if not key.rsplit("/", 1)[1].startswith("pass@") or not trials:
        return f"{value:.3f}"
    low, high = wilson_interval(value, int(trials))
    return f"{value:.3f} [{low:.2f}, {high:.2f}]"
