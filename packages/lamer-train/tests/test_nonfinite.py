"""Non-finite training values never reach the weights or a checkpoint: the actor skips
the step or update (counted, explained), the run reports it, stops after N skipped
updates in a row, and its checkpoints stay finite. Fault injection on the real trainer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import lamer_train.actor as actor_module
import lamer_train.trainer as trainer_module
from lamer_train.actor import Actor, ActorConfig
from lamer_train.checkpoint import list_checkpoints, load_checkpoint
from lamer_train.checkpoint_files import verify_checkpoint
from lamer_train.cli import main
from lamer_train.nonfinite import SkipGuard, TrainingStopped
from lamer_train.report import read_metrics

#: The shared tiny run, longer and with smaller mini-batches.
RUN_CHANGES = [
    "run.iterations=4", "run.keep_checkpoints=0",
    "actor.mini_batch_size=4", "actor.micro_batch_size=4",
]  # fmt: skip


def _samples(tokenizer, count: int = 4) -> list[tuple[list[int], list[int]]]:
    ids = tokenizer("Push the box onto the goal.", add_special_tokens=False)["input_ids"]
    return [(ids, ids[: 3 + i]) for i in range(count)]


def _weights(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize(
    ("advantages", "reason"),
    [
        ([1.0, float("nan"), -1.0, 0.5], "1 of 4 advantages are NaN or inf"),
        ([1.0, float("inf"), -1.0, 0.5], "NaN or inf"),
        ([1e300, -1e300, 1e300, -1e300], "overflow float32"),
    ],
)
def test_non_finite_advantages_skip_the_update_and_say_why(
    build_model, tokenizer, advantages, reason
):
    model = build_model(seed=0, tiny_num_layers=1)
    actor = Actor(model, ActorConfig(lr=0.1, mini_batch_size=2, micro_batch_size=2))
    before = _weights(model)
    metrics = actor.update(_samples(tokenizer), advantages)
    assert all(torch.equal(a, b) for a, b in zip(before, _weights(model), strict=True))
    assert metrics["optimizer_steps"] == 0 and metrics["skipped_steps"] == 2
    assert metrics["skipped_updates"] == 1
    assert any(reason in line for line in actor.skip_reasons)
    assert not actor.optimizer.state  # AdamW's moments were never touched


def test_a_nan_loss_skips_only_that_step_and_clears_its_gradients(
    build_model, tokenizer, monkeypatch
):
    real_loss = actor_module.ppo_policy_loss
    calls = {"n": 0}

    def nan_in_first_mini_batch(*args, **kwargs):
        calls["n"] += 1
        out = real_loss(*args, **kwargs)
        if calls["n"] == 1:
            out = dataclasses.replace(out, pg_loss=out.pg_loss * float("nan"))
        return out

    monkeypatch.setattr(actor_module, "ppo_policy_loss", nan_in_first_mini_batch)
    model = build_model(seed=0, tiny_num_layers=1)
    actor = Actor(model, ActorConfig(lr=0.1, mini_batch_size=2, micro_batch_size=2))
    metrics = actor.update(_samples(tokenizer), [1.0, -1.0, 1.0, -1.0])
    assert metrics["optimizer_steps"] == 1 and metrics["skipped_steps"] == 1
    assert metrics["skipped_updates"] == 0  # one step still trained
    assert "non-finite loss" in actor.skip_reasons[0]
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert all(p.grad is None for p in model.parameters())


def test_skip_guard_stops_after_n_consecutive_skipped_updates_and_resets_on_success():
    guard = SkipGuard(max_consecutive=2)
    params = [("w", torch.ones(2))]
    skipped, trained = {"skipped_updates": 1.0, "skipped_steps": 3.0}, {"skipped_updates": 0.0}
    assert guard.after_update(0, dict(skipped), ["loss nan"], params)
    guard.after_update(1, dict(trained), [], params)
    guard.after_update(2, dict(skipped), ["loss nan"], params)
    with pytest.raises(TrainingStopped, match=r"2 consecutive updates skipped.*loss nan"):
        guard.after_update(3, dict(skipped), ["loss nan"], params)
    with pytest.raises(TrainingStopped, match=r"weights became NaN or inf.*first: w"):
        SkipGuard(5).after_update(0, dict(trained), [], [("w", torch.tensor([float("nan")]))])


def test_injected_nan_loss_and_nan_advantages_are_skipped_reported_and_checkpoints_stay_finite(
    tiny_run, tmp_path, monkeypatch, capsys
):
    """Iteration 2 gets NaN advantages, iteration 3 a NaN loss; the run goes on."""
    real_advantages = trainer_module.compute_advantages
    real_loss = actor_module.ppo_policy_loss
    iteration = {"n": -1}

    def advantages_with_nan(*args, **kwargs):
        iteration["n"] += 1
        estimate = real_advantages(*args, **kwargs)
        if iteration["n"] == 1:
            advantages = estimate.advantages.copy()
            advantages[0] = np.nan
            estimate = dataclasses.replace(estimate, advantages=advantages)
        return estimate

    def loss_with_nan(*args, **kwargs):
        out = real_loss(*args, **kwargs)
        if iteration["n"] == 2:
            out = dataclasses.replace(out, pg_loss=out.pg_loss * float("nan"))
        return out

    monkeypatch.setattr(trainer_module, "compute_advantages", advantages_with_nan)
    monkeypatch.setattr(actor_module, "ppo_policy_loss", loss_with_nan)
    run_dir = tmp_path / "run"
    assert main([f"run.output_dir={tmp_path}", "run.name=run", *tiny_run, *RUN_CHANGES]) == 0
    out = capsys.readouterr().out
    assert "iteration 2: update skipped: 1 of" in out and "NaN or inf" in out
    assert "iteration 3: update skipped" in out and "non-finite loss" in out

    rows = read_metrics(run_dir / "metrics.jsonl")
    assert [r["actor/skipped_updates"] for r in rows] == [0.0, 1.0, 1.0, 0.0]
    assert rows[-1]["actor/skipped_updates_total"] == 2.0
    assert rows[0]["actor/optimizer_steps"] >= 1 and rows[3]["actor/optimizer_steps"] >= 1
    checkpoints = list_checkpoints(run_dir)
    assert [p.name for p in checkpoints] == [f"iter_00000{i}" for i in (1, 2, 3, 4)]
    for folder in checkpoints:
        assert verify_checkpoint(folder) is None
        for name, tensor in load_checkpoint(folder).actor_state["model"].items():
            assert torch.isfinite(tensor).all(), (folder.name, name)
    # The skipped iterations left the weights exactly as they were.
    weights = [load_checkpoint(p).actor_state["model"] for p in checkpoints[:3]]
    assert all(torch.equal(weights[0][k], weights[2][k]) for k in weights[0])


def test_consecutive_skipped_updates_stop_the_run_with_an_error(
    tiny_run, tmp_path, monkeypatch, capsys
):
    real_loss = actor_module.ppo_policy_loss

    def always_nan(*args, **kwargs):
        out = real_loss(*args, **kwargs)
        return dataclasses.replace(out, pg_loss=out.pg_loss * float("nan"))

    monkeypatch.setattr(actor_module, "ppo_policy_loss", always_nan)
    code = main(
        [
            f"run.output_dir={tmp_path}",
            "run.name=run",
            *tiny_run,
            *RUN_CHANGES,
            "run.max_consecutive_skipped_updates=2",
        ]
    )
    err = capsys.readouterr().err
    assert code == 4
    assert "training stopped:" in err and "2 consecutive updates skipped" in err
    assert "Traceback" not in err
    # Iteration 1 was checkpointed (weights untouched, finite); iteration 2 stopped the run.
    assert [p.name for p in list_checkpoints(tmp_path / "run")] == ["iter_000001"]
