"""The one-line iteration summary."""

from __future__ import annotations

from lamer_train.progress import IterationProgress, summary_line


def test_summary_line_shows_reward_pass_at_k_loss_kl_speed_and_time_split():
    metrics = {
        "rollout/episode_reward_mean": 1.5, "rollout/success_rate": 0.25,
        "eval/held_out/pass@1": 0.125, "eval/held_out/pass@3": 0.5,
        "eval/held_out/mean_turns": 2.0, "eval/harder/pass@1": 0.0, "eval/harder/pass@3": 0.25,
        "actor/pg_loss": -0.01, "actor/ppo_kl": 0.002,
        "speed/tokens_per_s": 420.0,
        "time/generation_s": 3.0, "time/update_s": 6.0, "time/env_s": 0.5, "time/prompt_s": 0.5,
        "time/iteration_s": 10.0,
    }  # fmt: skip
    line = summary_line(2, 6, metrics)
    assert line.startswith(
        "iter 3/6 | reward +1.50 | success 0.25 | "
        "held_out pass@1 0.125 pass@3 0.500, harder pass@1 0.000 pass@3 0.250 | "
    )
    assert "mean_turns" not in line and "kl_ref" not in line
    assert "loss -0.0100" in line and "ppo_kl +0.0020" in line and "420 tok/s" in line
    assert line.endswith("10.0s (gen 30% upd 60% env 10%)")


def test_progress_without_console_is_silent():
    with IterationProgress(None) as progress:
        progress.phase("rollout", 0)
        progress.advance(1, 2)
