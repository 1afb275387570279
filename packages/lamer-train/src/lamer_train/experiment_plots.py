"""The experiment report's PNGs: one figure per question, methods side by side.

Means are over training seeds; bands and error bars are two-sided 95% Student-t
intervals over seeds (:func:`lamer_train.intervals.t_interval`), drawn only
with two or more seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lamer_train.experiment_analysis import CellResult, metric_over_seeds
from lamer_train.intervals import t_interval


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _curve(cells: Sequence[CellResult], key: str) -> tuple[list[int], list, list, list]:
    """Per iteration logged by every cell that has it: mean, low, high over cells."""
    by_iteration: dict[int, list[float]] = {}
    for cell in cells:
        for row in cell.rows:
            if row.get(key) is not None:
                by_iteration.setdefault(row["iteration"], []).append(float(row[key]))
    xs, means, lows, highs = [], [], [], []
    for iteration in sorted(by_iteration):
        interval = t_interval(by_iteration[iteration])
        xs.append(iteration)
        means.append(interval.mean)
        lows.append(interval.mean if interval.low is None else interval.low)
        highs.append(interval.mean if interval.high is None else interval.high)
    return xs, means, lows, highs


def plot_learning_curves(
    by_method: dict[str, list[CellResult]], path: Path, num_attempts: int
) -> Path | None:
    """Training first-attempt success, success within the trial, and reward per attempt,
    plus held-out pass@N at every evaluation; one line per method."""
    panels = (
        ("rollout/pass@1", "training: first-attempt success", "fraction of trials"),
        ("rollout/success_rate", "training: success within the trial", "fraction of trials"),
        ("rollout/episode_reward_mean", "training: reward per attempt", "env reward"),
        (None, f"held-out pass@{num_attempts}", "fraction of trials"),
    )
    if not any(cell.rows for cells in by_method.values() for cell in cells):
        return None
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (key, title, unit) in zip(axes[0], panels, strict=True):
        for index, (method, cells) in enumerate(by_method.items()):
            if not cells:
                continue
            metric = key
            if metric is None:  # the first eval set's pass@N
                names = sorted(
                    k
                    for c in cells
                    for r in c.rows
                    for k in r
                    if k.endswith(f"/pass@{num_attempts}")
                )
                if not names:
                    continue
                metric = names[0]
                title = f"{metric.split('/')[1]}: pass@{num_attempts}"
            xs, means, lows, highs = _curve(cells, metric)
            if not xs:
                continue
            color = f"C{index}"  # one color per method in every figure
            label = f"{method} (n={len(cells)})"
            ax.plot(xs, means, marker="o", markersize=3, color=color, label=label)
            ax.fill_between(xs, lows, highs, color=color, alpha=0.2)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("iteration (0 = before training)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(unit)
        _grid_and_legend(ax)
    return _save(plt, fig, path)


def plot_pass_at_k(
    done: dict[str, list[CellResult]], set_names: Sequence[str], num_attempts: int, path: Path
) -> Path | None:
    """pass@1..N after training (solid, 95% t error bars) and before (dotted), per set."""
    if not any(done.values()):
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(set_names), figsize=(4.2 * len(set_names), 3.4), squeeze=False)
    ks = list(range(1, num_attempts + 1))
    for ax, set_name in zip(axes[0], set_names, strict=True):
        for offset, (method, cells) in enumerate(done.items()):
            if not cells:
                continue
            end = [
                t_interval(list(metric_over_seeds(cells, set_name, f"pass@{k}").values()))
                for k in ks
            ]
            start = [
                t_interval(list(metric_over_seeds(cells, set_name, f"pass@{k}", "start").values()))
                for k in ks
            ]
            xs = [k + 0.06 * (offset - 1) for k in ks]
            errors = [0.0 if i.half_width is None else i.half_width for i in end]
            ax.errorbar(
                xs, [i.mean for i in end], yerr=errors, marker="o", capsize=3,
                color=f"C{offset}", label=f"{method} (n={len(cells)})",
            )  # fmt: skip
            if any(i.n for i in start):
                ax.plot(
                    xs, [i.mean for i in start], linestyle=":", color=f"C{offset}", alpha=0.7
                )  # fmt: skip
        ax.set_title(f"{set_name}: after training (dotted: before)", fontsize=9)
        ax.set_xticks(ks, [f"pass@{k}" for k in ks])
        ax.set_ylabel("fraction of trials")
        _grid_and_legend(ax)
    return _save(plt, fig, path)


def _bars(
    done: dict[str, list[CellResult]],
    set_names: Sequence[str],
    metrics: Sequence[tuple[str, str, str]],
    path: Path,
) -> Path | None:
    """Grouped bars: per (set, metric) panel, one bar per method, 95% t error bars."""
    if not any(done.values()):
        return None
    plt = _pyplot()
    panels = [(s, m, label, unit) for m, label, unit in metrics for s in set_names]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3.2), squeeze=False)
    for ax, (set_name, metric, label, unit) in zip(axes[0], panels, strict=True):
        names, means, errors, colors = [], [], [], []
        for index, (method, cells) in enumerate(done.items()):
            interval = t_interval(list(metric_over_seeds(cells, set_name, metric).values()))
            if interval.n == 0:
                continue
            names.append(method)
            means.append(interval.mean)
            errors.append(0.0 if interval.half_width is None else interval.half_width)
            colors.append(f"C{index}")  # one color per method in every figure
        ax.bar(names, means, yerr=errors, capsize=4, color=colors)
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_title(f"{set_name}: {label}", fontsize=9)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3, axis="y")
    return _save(plt, fig, path)


def plot_gap(done: dict[str, list[CellResult]], set_names: Sequence[str], path: Path):
    """pass@N - pass@1 per method and set."""
    return _bars(done, set_names, [("gap", "pass@N - pass@1", "fraction of trials")], path)


def plot_diversity(done: dict[str, list[CellResult]], set_names: Sequence[str], path: Path):
    """Distinct retry rate and attempt entropy per method and set."""
    return _bars(
        done,
        set_names,
        [
            ("distinct_retry_rate", "distinct retry rate", "fraction of retries"),
            ("attempt_entropy", "attempt entropy", "nats"),
        ],
        path,
    )


def _grid_and_legend(ax) -> None:
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def _save(plt, fig, path: Path) -> Path:
    """Write ``fig`` to ``path`` (PNG) and free it."""
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
