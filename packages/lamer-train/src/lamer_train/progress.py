"""What a run shows while it works: a rich progress bar of the current phase, and one
summary line per iteration."""

from __future__ import annotations

from rich.console import Console


def format_eval(metrics: dict[str, float]) -> str:
    """pass@k of each eval set: ``held_out pass@1 0.125 pass@3 0.500, harder ...``."""
    by_set: dict[str, list[str]] = {}
    for key, value in metrics.items():
        parts = key.split("/", 2)
        if len(parts) == 3 and parts[0] == "eval" and parts[2].startswith("pass@"):
            by_set.setdefault(parts[1], []).append(f"{parts[2]} {value:.3f}")
    return ", ".join(f"{name} {' '.join(items)}" for name, items in by_set.items())


def summary_line(iteration: int, total: int, m: dict[str, float]) -> str:
    """One line per iteration: reward, success, pass@k, loss, KL, tokens/s, time split."""
    timed = {
        "gen": m.get("time/generation_s", 0.0),
        "upd": m.get("time/update_s", 0.0),
        "env": m.get("time/env_s", 0.0) + m.get("time/prompt_s", 0.0),
        "eval": m.get("time/eval_s", 0.0),
    }
    whole = max(m.get("time/iteration_s", 0.0), 1e-9)
    split = " ".join(f"{k} {100 * v / whole:.0f}%" for k, v in timed.items() if v)
    parts = [
        f"iter {iteration + 1}/{total}",
        f"reward {m.get('rollout/episode_reward_mean', float('nan')):+.2f}",
        f"success {m.get('rollout/success_rate', float('nan')):.2f}",
    ]
    evaluated = format_eval(m)
    if evaluated:
        parts.append(evaluated)
    parts += [
        f"loss {m.get('actor/pg_loss', float('nan')):+.4f}",
        f"ppo_kl {m.get('actor/ppo_kl', float('nan')):+.4f}",
        *([f"kl_ref {m['actor/kl']:.4f}"] if "actor/kl" in m else []),
        f"{m.get('speed/tokens_per_s', 0.0):.0f} tok/s",
        f"{whole:.1f}s ({split})",
    ]
    return " | ".join(parts)


class IterationProgress:
    """Rich progress bar of the current phase (rollout, update, eval); silent without a
    console."""

    def __init__(self, console: Console | None) -> None:
        self._progress = None
        self._task = None
        if console is not None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} trials"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )

    def __enter__(self) -> IterationProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def phase(self, name: str, iteration: int) -> None:
        if self._progress is None:
            return
        label = "start" if iteration < 0 else f"iter {iteration + 1}"
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(f"{label}: {name}", total=None)

    def advance(self, finished: int, total: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=finished, total=total)
