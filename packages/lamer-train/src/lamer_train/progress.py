"""What a run shows while it works.

On a terminal: a whole-run bar (iterations done, elapsed time, ETA) above a bar of the
current phase (warm-up steps, rollout trials, optimizer steps, eval trials), each with
its real total. Elsewhere (a log file, a pipe, CI): no bars, one plain line per
iteration that never wraps, whatever the width. Both print the one-line iteration
summary and the start-up messages.
"""

from __future__ import annotations

import time

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
    """One line per iteration (``iteration`` counts from 1): reward, success, pass@k,
    loss, KL, tokens/s, time split."""
    timed = {
        "gen": m.get("time/generation_s", 0.0),
        "upd": m.get("time/update_s", 0.0),
        "env": m.get("time/env_s", 0.0) + m.get("time/prompt_s", 0.0),
        "eval": m.get("time/eval_s", 0.0),
    }
    whole = max(m.get("time/iteration_s", 0.0), 1e-9)
    split = " ".join(f"{k} {100 * v / whole:.0f}%" for k, v in timed.items() if v)
    parts = [
        f"iter {iteration}/{total}",
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


def format_duration(seconds: float) -> str:
    hours, rest = divmod(max(round(seconds), 0), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class IterationProgress:
    """The run's progress display.

    Args:
        console: where to print; ``None`` = silent (tests, library use).
        iterations: iterations of the whole run.
        done: iterations already done (a resumed run).
        bars: draw live bars; they are drawn only on a terminal in any case.
    """

    def __init__(
        self, console: Console | None, iterations: int = 0, done: int = 0, bars: bool = True
    ) -> None:
        self.console = console
        self.iterations = iterations
        self.done = done
        self._durations: list[float] = []
        self._iteration_started: float | None = None
        self._progress = None
        self._run_task = None
        self._phase_task = None
        if console is not None and bars and console.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description:<22}"),
                BarColumn(),
                TextColumn("{task.completed:>4.0f}/{task.total:.0f} {task.fields[unit]:<15}"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[eta]}"),
                console=console,
                transient=True,
            )
            self._run_task = self._progress.add_task(
                "run", total=max(iterations, 1), completed=done, unit="iterations", eta=""
            )

    def __enter__(self) -> IterationProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    @property
    def bars(self):  # -> rich.progress.Progress | None
        """The rich display (tasks: the run, then the current phase); None without bars."""
        return self._progress

    def print(self, line: str) -> None:
        """A line above the bars; never wrapped or cropped (copyable paths, grep-able logs)."""
        if self.console is not None:
            self.console.print(line, soft_wrap=True, highlight=False)

    def phase(self, name: str, iteration: int, total: int, unit: str) -> None:
        """Start a phase bar: ``name`` of iteration ``iteration`` (0 = before training)
        with ``total`` ``unit`` to do."""
        if self._progress is None:
            return
        label = "start" if iteration == 0 else f"iter {iteration}/{self.iterations}"
        if self._phase_task is not None:
            self._progress.remove_task(self._phase_task)
        self._phase_task = self._progress.add_task(
            f"{label}: {name}", total=max(total, 1), unit=unit, eta=""
        )

    def advance(self, finished: int, total: int | None = None) -> None:
        """The current phase reached ``finished`` (of ``total`` when it changed)."""
        if self._progress is not None and self._phase_task is not None:
            if total is not None:
                self._progress.update(self._phase_task, completed=finished, total=max(total, 1))
            else:
                self._progress.update(self._phase_task, completed=finished)

    def iteration_started(self) -> None:
        self._iteration_started = time.perf_counter()

    def iteration_done(self, iteration: int) -> None:
        """Iteration ``iteration`` (counting from 1) is complete."""
        if self._iteration_started is not None:
            self._durations.append(time.perf_counter() - self._iteration_started)
            self._iteration_started = None
        self.done = iteration
        if self._progress is not None:
            eta = self.eta_seconds()
            text = "" if eta is None else f"ETA {format_duration(eta)}"
            self._progress.update(self._run_task, completed=iteration, eta=text)

    def eta_seconds(self) -> float | None:
        """Remaining time: the mean duration of this session's iterations (start-up,
        warm-up and the first evaluation excluded) times the iterations left."""
        if not self._durations:
            return None
        mean = sum(self._durations) / len(self._durations)
        return mean * max(self.iterations - self.done, 0)
