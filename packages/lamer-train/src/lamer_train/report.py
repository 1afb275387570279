"""What a run leaves behind: metrics (JSONL, TensorBoard, wandb), sample trajectories,
learning-curve plots, and the final pass@k table.

Run folder layout::

    config.yaml            the resolved config
    metrics.jsonl          one JSON object per iteration: {"iteration": i, "<group>/<name>": x}
    tensorboard/           the same scalars for TensorBoard
    samples/iter_000003.txt, .html   sampled trials with their reflections
    plots/*.png            learning curves
    checkpoints/           see :mod:`lamer_train.checkpoint`
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lamer_core.records import Trial
from lamer_train.checkpoint import write_text_atomic

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
    run will log) trims rows logged after the checkpoint it resumed from."""

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
                wandb = None  # documented: wandb is used only when installed
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

    def write_samples(self, name: str, trials: Sequence[Trial], limit: int = 4) -> Path:
        """Write the first ``limit`` trials as text and HTML under ``samples/``; returns the
        HTML path."""
        folder = self.run_dir / "samples"
        folder.mkdir(exist_ok=True)
        chosen = list(trials[:limit])
        (folder / f"{name}.txt").write_text(trials_as_text(chosen), encoding="utf-8")
        path = folder / f"{name}.html"
        path.write_text(trials_as_html(chosen, title=name), encoding="utf-8")
        return path

    def plot(self) -> list[Path]:
        """Learning-curve PNGs from ``metrics.jsonl``; returns the files written."""
        return plot_metrics(read_metrics(self.metrics_path), self.run_dir / "plots")

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
        if self._wandb is not None:
            self._wandb.finish()


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- trajectories -------------------------------------------------------------------------
def trials_as_text(trials: Iterable[Trial]) -> str:
    """Readable transcript: every turn's prompt tail, response, action and reward."""
    out: list[str] = []
    for trial in trials:
        won = "not solved" if trial.won_at is None else f"solved in attempt {trial.won_at + 1}"
        out.append(
            f"=== trial {trial.trajectory_id} (group {trial.group_id}, seed {trial.seed}): {won}"
        )
        for t in trial.turns:
            if t.phase == "reflect":
                head = f"--- reflection before attempt {t.attempt + 1} (valid={t.action_is_valid})"
            else:
                head = (
                    f"--- attempt {t.attempt + 1}, turn {t.turn + 1}: action={t.action!r} "
                    f"reward={t.reward:g} valid={t.action_is_valid} won={t.won}"
                )
            out += [head, "[prompt]", t.prompt, "[response]", t.response, ""]
    return "\n".join(out)


_CSS = """body{font-family:sans-serif;max-width:1100px;margin:auto}
.turn{border:1px solid #ccc;margin:6px 0;padding:6px}.reflect{background:#fff8e1}
.play{background:#f5f9ff}pre{white-space:pre-wrap;margin:2px 0}
details summary{cursor:pointer;color:#555}.bad{color:#b00}.won{color:#080;font-weight:bold}"""


def trials_as_html(trials: Iterable[Trial], title: str = "trajectories") -> str:
    """Self-contained HTML: prompts folded, responses and reflections shown."""
    esc = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>{esc(title)}</title>"]
    parts.append(f"<style>{_CSS}</style><h1>{esc(title)}</h1>")
    for trial in trials:
        won = "not solved" if trial.won_at is None else f"solved in attempt {trial.won_at + 1}"
        parts.append(
            f"<h2>trial {trial.trajectory_id} — group {trial.group_id}, seed {trial.seed}: "
            f"<span class='{'won' if trial.won_at is not None else 'bad'}'>{won}</span></h2>"
        )
        for t in trial.turns:
            if t.phase == "reflect":
                head = f"reflection before attempt {t.attempt + 1}"
            else:
                head = (
                    f"attempt {t.attempt + 1} · turn {t.turn + 1} · action {esc(str(t.action))}"
                    f" · reward {t.reward:g}" + (" · <span class='won'>won</span>" if t.won else "")
                )
            if not t.action_is_valid:
                head += " · <span class='bad'>invalid</span>"
            parts.append(
                f"<div class='turn {t.phase}'><b>{head}</b>"
                f"<details><summary>prompt</summary><pre>{esc(t.prompt)}</pre></details>"
                f"<pre>{esc(t.response)}</pre></div>"
            )
    return "\n".join(parts)


# -- plots and tables ------------------------------------------------------------------------
_PLOTS: dict[str, tuple[str, ...]] = {
    "reward": ("rollout/episode_reward_mean", "rollout/success_rate"),
    "pass_at_k": (),  # filled with every eval/<set>/pass@k key found
    "loss": ("actor/pg_loss", "actor/kl", "actor/entropy"),
    "speed": ("time/iteration_s", "speed/tokens_per_s"),
}


def plot_metrics(rows: list[dict[str, Any]], folder: Path) -> list[Path]:
    """One PNG per metric family (x = iteration); families with no data are skipped."""
    if not rows:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    keys = sorted({k for row in rows for k in row})
    written = []
    for family, wanted in _PLOTS.items():
        names = [k for k in keys if _is_pass_at_k(k)] if family == "pass_at_k" else wanted
        series = {}
        for name in names:
            points = [(r["iteration"], r[name]) for r in rows if r.get(name) is not None]
            if points:
                series[name] = points
        if not series:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for name, points in series.items():
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", markersize=3, label=name)
        ax.set_xlabel("iteration")
        ax.set_title(family)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path = folder / f"{family}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def _is_pass_at_k(key: str) -> bool:
    parts = key.split("/", 2)
    return len(parts) == 3 and parts[0] == "eval" and parts[2].startswith("pass@")


def pass_at_k_table(start: dict[str, float] | None, end: dict[str, float]):
    """A rich table of evaluation metrics (keys ``eval/<set>/<metric>``), one block of
    rows per eval set, start of training vs end."""
    from rich.table import Table

    table = Table(title="evaluation on held-out tasks")
    table.add_column("set")
    table.add_column("metric")
    table.add_column("start", justify="right")
    table.add_column("end", justify="right")
    previous = None
    for key in end:
        parts = key.split("/", 2)
        if len(parts) != 3 or parts[0] != "eval":
            continue
        set_name, metric = parts[1], parts[2]
        if previous is not None and set_name != previous:
            table.add_section()
        before = "-" if not start or start.get(key) is None else f"{start[key]:.3f}"
        after = "-" if end.get(key) is None else f"{end[key]:.3f}"
        table.add_row(set_name if set_name != previous else "", metric, before, after)
        previous = set_name
    return table
