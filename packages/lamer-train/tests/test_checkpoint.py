"""Checkpoints: atomic write, RNG round trip, pruning, and what resume finds."""

from __future__ import annotations

import pytest
import torch

from lamer_train.checkpoint import (
    TrainerState,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    restore_rng_states,
    save_checkpoint,
)


def _actor_state(value: float) -> dict:
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.fill_(value)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict()}


def test_save_then_load_round_trips_state_weights_and_rng(tmp_path):
    torch.manual_seed(123)
    state = TrainerState(iteration=3, data_position=48, extra={"eval_start": {"eval/pass@1": 0.25}})
    save_checkpoint(tmp_path, state, _actor_state(0.5))
    expected_draw = torch.rand(4)  # the draw right after saving

    torch.manual_seed(999)
    loaded = load_checkpoint(tmp_path)
    assert loaded.path.name == "iter_000003"
    assert loaded.state == state
    # AdamW moved the weights away from 0.5; the saved tensors are the updated ones.
    weight = loaded.actor_state["model"]["weight"]
    assert weight.shape == (2, 3) and not torch.allclose(weight, torch.full((2, 3), 0.5))
    assert "state" in loaded.actor_state["optimizer"]
    restore_rng_states(loaded.rng)
    assert torch.equal(torch.rand(4), expected_draw)


def test_latest_points_to_newest_and_old_checkpoints_are_pruned(tmp_path):
    for iteration in (1, 2, 3, 4):
        save_checkpoint(
            tmp_path, TrainerState(iteration, iteration * 2), {"x": iteration}, keep_last=2
        )
    assert [p.name for p in list_checkpoints(tmp_path)] == ["iter_000003", "iter_000004"]
    assert latest_checkpoint(tmp_path).name == "iter_000004"
    assert load_checkpoint(tmp_path).actor_state == {"x": 4}


def test_half_written_checkpoint_is_ignored(tmp_path):
    save_checkpoint(tmp_path, TrainerState(1, 2), {"x": 1})
    # What a kill during the next save leaves: a hidden temporary folder, no rename.
    partial = tmp_path / "checkpoints" / ".tmp-iter_000002-1"
    partial.mkdir()
    (partial / "actor.pt").write_bytes(b"garbage")
    assert latest_checkpoint(tmp_path).name == "iter_000001"
    assert load_checkpoint(tmp_path).state.iteration == 1


def test_resaving_an_iteration_replaces_it(tmp_path):
    save_checkpoint(tmp_path, TrainerState(2, 4), {"x": "first"})
    save_checkpoint(tmp_path, TrainerState(2, 4), {"x": "second"})
    assert load_checkpoint(tmp_path / "checkpoints" / "iter_000002").actor_state == {"x": "second"}


def test_loading_a_folder_without_checkpoint_names_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"trainer_state\.json"):
        load_checkpoint(tmp_path)


def test_writing_the_hf_model_draws_no_transformers_progress_bar(model, tmp_path, capsys):
    from transformers.utils import logging as hf_logging

    from lamer_train.checkpoint import write_hf_model

    hf_logging.enable_progress_bar()
    write_hf_model(tmp_path / "model", model)
    captured = capsys.readouterr()
    assert "Writing model shards" not in captured.err + captured.out
    assert hf_logging.is_progress_bar_enabled()  # the global setting is restored
