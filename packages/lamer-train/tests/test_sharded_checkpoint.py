"""Sharded checkpoints load at another world size: 2 ranks -> 1 process and 1 -> 2 ranks
give back the same weights, AdamW moments and update counter."""

from __future__ import annotations

import pytest
import torch

from lamer_train.checkpoint_files import find_resume_checkpoint
from lamer_train.sharded_checkpoint import SHARDED_DIR


@pytest.mark.parametrize(("saved_by", "loaded_by"), [(2, 1), (1, 2)])
def test_checkpoint_loads_at_another_world_size(
    updates, distributed_job, tmp_path, saved_by, loaded_by
):
    saved = updates[saved_by]["mini_batch"]
    run_dir = updates[saved_by]["run_dir"]
    checkpoint = find_resume_checkpoint(run_dir).checkpoint  # its manifest verifies
    assert checkpoint is not None
    assert (checkpoint / SHARDED_DIR).is_dir() == (saved_by > 1)
    loaded = distributed_job(tmp_path / "load", "load", str(run_dir), ranks=loaded_by)
    assert loaded["world_size"] == loaded_by
    assert loaded["state"] == 1 and loaded["updates"] == saved["updates"] == 1
    assert max_difference(saved["weights"], loaded["weights"]) == 0.0
    assert max_difference(moments(saved), moments(loaded)) == 0.0


def max_difference(left: dict[str, torch.Tensor], right: dict[str, torch.Tensor]) -> float:
    assert set(left) == set(right)
    return max(float((left[name] - right[name]).abs().max()) for name in left)


def moments(result: dict) -> dict[str, torch.Tensor]:
    """AdamW's step count and moments by parameter name."""
    state = result["optimizer"]
    return {f"{name}/{key}": torch.as_tensor(s[key]) for name, s in state.items() for key in s}


def test_export_turns_a_sharded_checkpoint_into_the_trained_hf_model(updates, tmp_path):
    """``lamer-train export`` of the 2-rank checkpoint: a Hugging Face folder holding
    exactly the weights the 2 ranks trained."""
    from safetensors.torch import load_file

    from lamer_train.config import load_config
    from lamer_train.export import export_checkpoint
    from lamer_train.run_config import write_run_config

    run_dir = updates[2]["run_dir"]
    shape = {
        "tiny_hidden_size": 32,
        "tiny_intermediate_size": 64,
        "tiny_num_layers": 2,
        "tiny_num_heads": 2,
        "tiny_num_kv_heads": 1,
    }  # the worker's model
    write_run_config(run_dir, load_config(None, [f"model.{k}={v}" for k, v in shape.items()]))
    folder = export_checkpoint(run_dir, tmp_path / "exported")
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()
    exported = load_file(folder / "model.safetensors")
    trained = updates[2]["mini_batch"]["weights"]
    shared = set(exported) & set(trained)  # a tied output head is stored once
    assert shared and set(trained) - shared <= {"lm_head.weight"}
    assert max(float((exported[k] - trained[k]).abs().max()) for k in shared) == 0.0
