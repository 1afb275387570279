"""Whole CPU runs with the token-level estimators: GAE (with its critic) and REINFORCE++
(with and without baseline) for two iterations each, and a killed GAE run that resumes
with its critic's state."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lamer_train.checkpoint import latest_checkpoint, load_checkpoint
from lamer_train.cli import main
from lamer_train.report import read_metrics

CRITIC_METRICS = {
    "critic/value_loss", "critic/explained_variance", "critic/values_mean",
    "critic/returns_mean", "critic/grad_norm",
}  # fmt: skip


@pytest.mark.parametrize("estimator", ["gae", "reinforce_pp", "reinforce_pp_baseline"])
def test_two_iterations_with_a_token_level_estimator(estimator, tmp_path, tiny_run):
    overrides = [f"algorithm.estimator={estimator}", "algorithm.estimator_params={}"]
    if estimator == "gae":
        overrides.append("algorithm.token_reward=step_return")
    code = main(
        [f"run.output_dir={tmp_path}", "run.name=run", *overrides, *tiny_run, "run.iterations=2"]
    )
    assert code == 0
    rows = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2]
    for row in rows:
        assert row["actor/optimizer_steps"] >= 1
        assert row["advantage/abs_mean"] > 0
    checkpoint = load_checkpoint(latest_checkpoint(tmp_path / "run"))
    if estimator == "gae":
        assert set(rows[0]) >= CRITIC_METRICS
        assert rows[0]["critic/value_loss"] > 0
        assert checkpoint.critic_state["updates_done"] == 2
    else:  # no critic without an estimator that needs values
        assert not any(key.startswith("critic/") for key in rows[0])
        assert checkpoint.critic_state is None


def test_killed_gae_run_resumes_with_its_critic(tmp_path, tiny_run, kill_after_first_checkpoint):
    run_dir = tmp_path / "run"
    arguments = [
        f"run.output_dir={tmp_path}", "run.name=run", "algorithm.estimator=gae",
        "algorithm.estimator_params={}", *tiny_run, "run.iterations=3",
    ]  # fmt: skip
    kill_after_first_checkpoint(arguments, run_dir)
    killed = load_checkpoint(run_dir)
    assert 1 <= killed.state.iteration < 3
    assert killed.critic_state["updates_done"] == killed.state.iteration
    saved_head = killed.critic_state["model"]["value_head.weight"].clone()

    assert main(["--resume", str(run_dir)]) == 0
    rows = read_metrics(Path(run_dir) / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2, 3]
    final = load_checkpoint(run_dir)
    # A critic rebuilt from scratch on resume would count fewer updates.
    assert final.critic_state["updates_done"] == 3
    assert not torch.equal(final.critic_state["model"]["value_head.weight"], saved_head)
