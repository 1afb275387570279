"""Checkpoint integrity: manifests, falling back over every kind of damaged file, refusing
non-finite weights, a full disk, and leftovers of a killed save."""

from __future__ import annotations

import errno
import json
import os

import pytest
import torch

import lamer_train.checkpoint as checkpoint_module
from lamer_train.checkpoint import (
    CheckpointError,
    TrainerState,
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from lamer_train.checkpoint_files import (
    MANIFEST,
    find_resume_checkpoint,
    verify_checkpoint,
    write_manifest,
)

FILES = ("actor.pt", "rng.pt", "trainer_state.json", MANIFEST)


def _actor_state(value: float) -> dict:
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.fill_(value)
    return {"model": model.state_dict(), "updates_done": 1}


def _two_checkpoints(run_dir):
    save_checkpoint(run_dir, TrainerState(1, 2), _actor_state(1.0), keep_last=0)
    return save_checkpoint(run_dir, TrainerState(2, 4), _actor_state(2.0), keep_last=0)


def _damage(path, how: str) -> None:
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flipped":  # same size, one byte changed: only the checksum sees it
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif how == "garbage":
        path.write_bytes(b"\x00not what was written\xff" * 3)
    elif how == "deleted":
        path.unlink()


def test_manifest_lists_every_file_of_the_folder_recursively(tmp_path):
    newest = _two_checkpoints(tmp_path)
    listed = json.loads((newest / MANIFEST).read_text())["files"]
    assert set(listed) == {"actor.pt", "rng.pt", "trainer_state.json"}
    assert listed["actor.pt"]["size"] == (newest / "actor.pt").stat().st_size
    # A layout with sub-folders (e.g. a model/ folder of weight shards) is covered too.
    folder = tmp_path / "other"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "shard.safetensors").write_bytes(b"weights")
    (folder / "trainer_state.json").write_text("{}")
    write_manifest(folder)
    assert verify_checkpoint(folder) is None
    (folder / "model" / "shard.safetensors").write_bytes(b"weightz")
    assert "model/shard.safetensors" in verify_checkpoint(folder)


@pytest.mark.parametrize("how", ["empty", "truncated", "flipped", "garbage", "deleted"])
@pytest.mark.parametrize("name", FILES)
def test_resume_falls_back_to_the_newest_intact_checkpoint(tmp_path, name, how):
    newest = _two_checkpoints(tmp_path)
    _damage(newest / name, how)
    found = find_resume_checkpoint(tmp_path)
    assert found.checkpoint.name == "iter_000001"
    [(skipped, reason)] = found.skipped
    assert skipped == newest and name in reason
    loaded = load_checkpoint(tmp_path)
    assert loaded.state.iteration == 1
    assert torch.all(loaded.actor_state["model"]["weight"] == 1.0)


@pytest.mark.parametrize("how", ["empty", "truncated", "flipped", "garbage", "deleted"])
@pytest.mark.parametrize("name", FILES)
def test_a_damaged_checkpoint_folder_is_a_clear_error_naming_the_file(tmp_path, name, how):
    newest = _two_checkpoints(tmp_path)
    _damage(newest / name, how)
    with pytest.raises(CheckpointError, match=name.replace(".", r"\.")):
        load_checkpoint(newest)


def test_no_intact_checkpoint_is_an_error_naming_every_damaged_file(tmp_path):
    newest = _two_checkpoints(tmp_path)
    _damage(newest / "actor.pt", "empty")
    _damage(tmp_path / "checkpoints" / "iter_000001" / "trainer_state.json", "truncated")
    with pytest.raises(CheckpointError) as error:
        find_resume_checkpoint(tmp_path)
    message = str(error.value)
    assert "iter_000002" in message and "actor.pt" in message
    assert "iter_000001" in message and "trainer_state.json" in message


def test_an_unlisted_file_or_a_missing_manifest_makes_a_checkpoint_not_intact(tmp_path):
    newest = _two_checkpoints(tmp_path)
    (newest / "stray.bin").write_bytes(b"x")
    assert "stray.bin" in verify_checkpoint(newest)
    (newest / "stray.bin").unlink()
    (newest / MANIFEST).unlink()
    assert MANIFEST in verify_checkpoint(newest)


def test_non_finite_weights_are_never_saved_and_the_last_finite_checkpoint_stays(tmp_path):
    save_checkpoint(tmp_path, TrainerState(1, 2), _actor_state(1.0), keep_last=1)
    state = _actor_state(1.0)
    state["model"]["bias"][0] = float("nan")
    with pytest.raises(CheckpointError, match=r"iter_000002 not written.*model\.bias.*iter_000001"):
        save_checkpoint(tmp_path, TrainerState(2, 4), state, keep_last=1)
    assert latest_checkpoint(tmp_path).name == "iter_000001"
    assert find_resume_checkpoint(tmp_path).checkpoint.name == "iter_000001"
    assert not any(p.name.startswith(".tmp") for p in (tmp_path / "checkpoints").iterdir())


def test_a_full_disk_is_one_error_naming_the_folder_and_the_space_needed(tmp_path, monkeypatch):
    save_checkpoint(tmp_path, TrainerState(1, 2), _actor_state(1.0))
    real_save = torch.save

    def disk_full(obj, file, *args, **kwargs):
        real_save(obj, file, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device", str(file))

    monkeypatch.setattr(checkpoint_module.torch, "save", disk_full)
    with pytest.raises(CheckpointError) as error:
        save_checkpoint(tmp_path, TrainerState(2, 4), _actor_state(2.0))
    message = str(error.value)
    assert "no space left" in message and "iter_000002" in message and "GB" in message
    assert "\n" not in message
    root = tmp_path / "checkpoints"
    assert sorted(p.name for p in root.iterdir()) == ["iter_000001", "latest"]


def test_leftover_temporary_folders_of_a_dead_process_are_removed_at_the_next_save(tmp_path):
    save_checkpoint(tmp_path, TrainerState(1, 2), _actor_state(1.0))
    root = tmp_path / "checkpoints"
    dead = os.getpid() + 1_000_000  # no such process
    (root / f".tmp-iter_000002-{dead}").mkdir()
    (root / f".tmp-iter_000002-{dead}" / "actor.pt").write_bytes(b"half")
    (root / f".tmp-latest-{dead}").write_text("iter_000002")
    (root / "notes.txt").write_text("a user's file stays")
    save_checkpoint(tmp_path, TrainerState(2, 4), _actor_state(2.0))
    assert sorted(p.name for p in root.iterdir()) == [
        "iter_000001",
        "iter_000002",
        "latest",
        "notes.txt",
    ]


def test_a_damaged_latest_pointer_does_not_hide_the_checkpoints(tmp_path):
    _two_checkpoints(tmp_path)
    (tmp_path / "checkpoints" / "latest").write_bytes(b"\xff\xfe")
    assert find_resume_checkpoint(tmp_path).checkpoint.name == "iter_000002"
    assert latest_checkpoint(tmp_path).name == "iter_000002"
