"""The progress display and the one-line iteration summary."""

from __future__ import annotations

import io

from rich.console import Console

from lamer_train import progress as progress_module
from lamer_train.progress import IterationProgress, format_duration, summary_line

METRICS = {
    "rollout/episode_reward_mean": 1.5, "rollout/success_rate": 0.25,
    "eval/held_out/pass@1": 0.125, "eval/held_out/pass@3": 0.5,
    "eval/held_out/mean_turns": 2.0, "eval/harder/pass@1": 0.0, "eval/harder/pass@3": 0.25,
    "actor/pg_loss": -0.01, "actor/ppo_kl": 0.002,
    "speed/tokens_per_s": 420.0,
    "time/generation_s": 3.0, "time/update_s": 6.0, "time/env_s": 0.5, "time/prompt_s": 0.5,
    "time/iteration_s": 10.0,
}  # fmt: skip


def test_summary_line_shows_reward_pass_at_k_loss_kl_speed_and_time_split():
    line = summary_line(3, 6, METRICS)
    assert line.startswith(
        "iter 3/6 | reward +1.50 | success 0.25 | "
        "held_out pass@1 0.125 pass@3 0.500, harder pass@1 0.000 pass@3 0.250 | "
    )
    assert "mean_turns" not in line and "kl_ref" not in line
    assert "loss -0.0100" in line and "ppo_kl +0.0020" in line and "420 tok/s" in line
    assert line.endswith("10.0s (gen 30% upd 60% env 10%)")


def test_progress_without_console_is_silent():
    with IterationProgress(None, iterations=2) as progress:
        progress.phase("rollout", 1, 4, "trials")
        progress.advance(1, 4)
        progress.print("nothing")
        progress.iteration_done(1)
    assert progress.bars is None


def test_without_a_terminal_each_iteration_is_one_unwrapped_line_and_no_bars():
    out = io.StringIO()
    console = Console(file=out, width=80)  # a pipe or log file: 80 columns, no terminal
    assert not console.is_terminal
    with IterationProgress(console, iterations=2) as progress:
        assert progress.bars is None
        progress.phase("rollout", 1, 4, "trials")
        progress.advance(2, 4)
        progress.print(summary_line(1, 2, METRICS))
        progress.iteration_done(1)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and len(lines[0]) > 80
    assert lines[0] == summary_line(1, 2, METRICS)


def test_on_a_terminal_the_run_bar_and_phase_bar_show_real_totals():
    out = io.StringIO()
    console = Console(file=out, width=140, force_terminal=True)
    with IterationProgress(console, iterations=5, done=1) as progress:
        progress.phase("rollout", 2, 8, "trials")
        progress.advance(3, 8)
        run, phase = progress.bars.tasks
        assert (run.completed, run.total) == (1, 5)
        assert (phase.description, phase.completed, phase.total) == ("iter 2/5: rollout", 3, 8)
        progress.phase("update", 2, 6, "optimizer steps")
        (run, phase) = progress.bars.tasks
        assert (phase.description, phase.total, phase.fields["unit"]) == (
            "iter 2/5: update", 6, "optimizer steps"
        )  # fmt: skip
        screen = Console(file=io.StringIO(), width=140, record=True)
        screen.print(progress.bars.get_renderable())
        text = screen.export_text()
    assert "1/5 iterations" in text and "0/6 optimizer steps" in text
    assert "None" not in text


def test_eta_is_the_mean_iteration_time_times_the_iterations_left(monkeypatch):
    clock = iter([100.0, 130.0, 130.0, 140.0])  # iteration 3 takes 30 s, iteration 4 10 s
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: next(clock))
    progress = IterationProgress(None, iterations=10, done=2)
    assert progress.eta_seconds() is None  # no iteration timed yet: no guess
    progress.iteration_started()
    progress.iteration_done(3)
    assert progress.eta_seconds() == 30.0 * 7
    progress.iteration_started()
    progress.iteration_done(4)
    assert progress.eta_seconds() == 20.0 * 6
    assert format_duration(20.0 * 6) == "2:00" and format_duration(3725) == "1:02:05"
