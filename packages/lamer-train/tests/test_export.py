"""Checkpoints hold the policy in Hugging Face layout; ``lamer-train export`` writes it out."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from lamer_train.checkpoint import MODEL_DIR, load_checkpoint, save_checkpoint
from lamer_train.cli import main
from lamer_train.config import config_to_yaml, load_config
from lamer_train.export import ExportError, export_checkpoint
from lamer_train.trainer import Trainer

TINY = [
    "run.torch_threads=1", "env.max_turns=1", "warmup.steps=0",
    "trial.tasks_per_iteration=2", "trial.group_size=2", "trial.num_attempts=1",
    "trial.reflection=false", "trial.memory_mode=none",
    "trial.sampling.max_new_tokens=6", "eval.num_tasks=2",
    "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64", "model.tiny_num_layers=1",
]  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A trainer after one real update, and its checkpoint."""
    run_dir = tmp_path_factory.mktemp("run")
    config = load_config(None, [*TINY, "actor.lr=1e-2"])
    (run_dir / "config.yaml").write_text(config_to_yaml(config), encoding="utf-8")
    trainer = Trainer(config, run_dir)
    trainer.train_iteration(0)
    checkpoint = trainer.save()
    yield trainer, checkpoint
    trainer.close()


def _logits(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0].float()


def test_checkpoint_holds_the_policy_in_hugging_face_layout_and_no_second_copy(trained):
    _, checkpoint = trained
    folder = checkpoint / MODEL_DIR
    assert (folder / "config.json").is_file() and list(folder.glob("*.safetensors"))
    assert (folder / "tokenizer.json").is_file() and (folder / "tokenizer_config.json").is_file()
    saved = torch.load(checkpoint / "actor.pt", weights_only=True)
    assert "model" not in saved and "optimizer" in saved


def test_exported_folder_loads_with_from_pretrained_and_gives_the_live_logits(trained, tmp_path):
    trainer, checkpoint = trained
    out = export_checkpoint(checkpoint, tmp_path / "exported")
    model = AutoModelForCausalLM.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Push the box."}], tokenize=False, add_generation_prompt=True
    )
    assert text == trainer.tokenizer.apply_chat_template(
        [{"role": "user", "content": "Push the box."}], tokenize=False, add_generation_prompt=True
    )
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert ids == trainer.tokenizer(text, add_special_tokens=False)["input_ids"]
    live = _logits(trainer.actor.model, ids)
    torch.testing.assert_close(_logits(model, ids), live, rtol=0, atol=1e-5)


def test_export_command_writes_a_run_folders_newest_checkpoint(trained, tmp_path, capsys):
    _, checkpoint = trained
    assert main(["export", str(checkpoint.parent.parent), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "config.json").is_file()
    assert "exported" in capsys.readouterr().out


def test_export_in_bfloat16_halves_the_weights_and_keeps_the_logits_close(trained, tmp_path):
    trainer, checkpoint = trained
    full = export_checkpoint(checkpoint, tmp_path / "fp32")
    half = tmp_path / "bf16"
    assert main(["export", str(checkpoint), str(half), "--dtype", "bfloat16"]) == 0
    model = AutoModelForCausalLM.from_pretrained(half)
    assert all(p.dtype == torch.bfloat16 for p in model.parameters())
    saved = json.loads((half / "config.json").read_text())
    assert saved.get("dtype", saved.get("torch_dtype")) == "bfloat16"  # what vLLM's "auto" reads
    size = lambda folder: sum(f.stat().st_size for f in folder.glob("*.safetensors"))  # noqa: E731
    assert size(half) < 0.6 * size(full)
    assert AutoTokenizer.from_pretrained(half).chat_template == trainer.tokenizer.chat_template
    ids = [1, 2, 3, 4]
    torch.testing.assert_close(
        _logits(model, ids), _logits(trainer.actor.model, ids), atol=0.1, rtol=0.05
    )


def test_export_refuses_a_non_empty_destination(trained, tmp_path):
    _, checkpoint = trained
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    with pytest.raises(ExportError, match="not an empty folder"):
        export_checkpoint(checkpoint, tmp_path / "taken")
    assert main(["export", str(checkpoint), str(tmp_path / "taken")]) == 2


def test_checkpoint_without_model_folder_is_rebuilt_from_the_run_config(trained, tmp_path):
    trainer, _ = trained
    run_dir = tmp_path / "old_run"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text(config_to_yaml(trainer.config), encoding="utf-8")
    from lamer_train.checkpoint import TrainerState

    old = save_checkpoint(run_dir, TrainerState(1, 2), trainer.actor.state_dict())
    assert not (old / MODEL_DIR).exists()
    out = export_checkpoint(old, tmp_path / "from_old")
    model = AutoModelForCausalLM.from_pretrained(out)
    ids = [1, 2, 3, 4]
    torch.testing.assert_close(
        _logits(model, ids), _logits(trainer.actor.model, ids), atol=1e-5, rtol=0
    )


def test_resume_restores_the_weights_from_the_model_folder(trained, tmp_path):
    trainer, checkpoint = trained
    fresh = Trainer(trainer.config, tmp_path / "fresh")
    try:
        ids = [5, 6, 7]
        assert not torch.allclose(
            _logits(fresh.actor.model, ids), _logits(trainer.actor.model, ids)
        )
        fresh.restore(checkpoint)
        torch.testing.assert_close(
            _logits(fresh.actor.model, ids), _logits(trainer.actor.model, ids), atol=0, rtol=0
        )
        loaded = load_checkpoint(checkpoint)
        assert loaded.actor_state["optimizer"]["state"]
        assert np.isfinite(float(next(iter(loaded.actor_state["model"].values())).sum()))
    finally:
        fresh.close()
