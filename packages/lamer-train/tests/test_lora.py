"""LoRA actor (actor.lora): only adapters train; checkpoints, exports and the critic get
plain weights with the adapters merged; a resume restores the adapters exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM

from lamer_train.actor import Actor, ActorConfig
from lamer_train.actor_config import LoraConfig
from lamer_train.checkpoint import TrainerState, latest_checkpoint, load_checkpoint, save_checkpoint
from lamer_train.critic import build_value_model
from lamer_train.critic_config import CriticConfig
from lamer_train.export import export_checkpoint
from lamer_train.lora import has_lora, hf_weights

pytest.importorskip("peft")

LORA = LoraConfig(rank=4, alpha=8.0)


#: (prompt, response) texts of the sample rows.
ROWS = [
    ("Solve the puzzle. State: box at 2,3.", "<action>up</action>"),
    ("Reflect on the last attempt.", "Avoid corners next time."),
    ("Short.", "down"),
]


def _lora_actor(model, **config):
    return Actor(
        model, ActorConfig(lr=1e-2, mini_batch_size=3, micro_batch_size=3, lora=LORA, **config)
    )


def _logits(model, tokenizer) -> torch.Tensor:
    ids = torch.tensor([tokenizer.encode("push the box left", add_special_tokens=False)])
    model.eval()
    with torch.no_grad():
        return model(input_ids=ids).logits


def test_lora_starts_from_the_base_policy_and_the_optimizer_holds_adapters_only(
    build_model, tokenizer
):
    base = build_model(seed=0)
    expected = _logits(base, tokenizer)
    actor = _lora_actor(build_model(seed=0))
    assert has_lora(actor.model)
    torch.testing.assert_close(_logits(actor.model, tokenizer), expected)  # B = 0 at start
    optimized = {id(p) for group in actor.optimizer.param_groups for p in group["params"]}
    names = {n for n, p in actor.model.named_parameters() if id(p) in optimized}
    assert names and all(".lora_A." in n or ".lora_B." in n for n in names)
    # Every projection of every decoder block is adapted (A and B each).
    assert len(names) == 2 * 7 * len(actor.model.model.layers)


def test_lora_update_changes_only_the_adapters(build_model, encode_rows):
    actor = _lora_actor(build_model(seed=0))
    before = {n: p.detach().clone() for n, p in actor.model.named_parameters()}
    metrics = actor.update(encode_rows(ROWS), np.array([1.0, -1.0, 0.5]))
    assert metrics["optimizer_steps"] == 1.0
    for name, p in actor.model.named_parameters():
        if ".lora_B." in name:  # zero at the start; its gradient is not
            assert not torch.equal(p, before[name]), name
        elif ".lora_A." not in name:
            assert torch.equal(p, before[name]), name


def test_checkpoint_and_export_hold_merged_plain_weights_with_the_live_logits(
    build_model, tokenizer, encode_rows, tmp_path
):
    actor = _lora_actor(build_model(seed=0))
    actor.update(encode_rows(ROWS), np.array([1.0, -1.0, 0.5]))
    live = _logits(actor.model, tokenizer)
    assert not torch.allclose(live, _logits(build_model(seed=0), tokenizer), atol=1e-4)

    checkpoint = save_checkpoint(
        tmp_path / "run",
        TrainerState(iteration=1, data_position=0),
        actor.state_dict(),
        policy=actor.model,
        tokenizer=tokenizer,
    )
    exported = export_checkpoint(checkpoint, tmp_path / "exported")
    plain = AutoModelForCausalLM.from_pretrained(exported)
    assert not has_lora(plain)
    assert not any("lora" in name or "base_layer" in name for name in plain.state_dict())
    torch.testing.assert_close(_logits(plain, tokenizer), live, atol=1e-5, rtol=1e-4)


def test_resume_restores_the_adapters_and_refuses_another_base_model(
    build_model, tokenizer, encode_rows, tmp_path
):
    actor = _lora_actor(build_model(seed=0))
    samples, advantages = encode_rows(ROWS), np.array([1.0, -1.0, 0.5])
    actor.update(samples, advantages)
    save_checkpoint(
        tmp_path / "run",
        TrainerState(iteration=1, data_position=0),
        actor.state_dict(),
        policy=actor.model,
        tokenizer=tokenizer,
    )
    loaded = load_checkpoint(tmp_path / "run")
    assert "adapters" in loaded.actor_state

    resumed = _lora_actor(build_model(seed=0))
    resumed.load_state_dict(loaded.actor_state)
    torch.testing.assert_close(_logits(resumed.model, tokenizer), _logits(actor.model, tokenizer))
    # The next update continues identically (adapters and AdamW moments restored).
    actor.update(samples, advantages)
    resumed.update(samples, advantages)
    torch.testing.assert_close(_logits(resumed.model, tokenizer), _logits(actor.model, tokenizer))

    with pytest.raises(ValueError, match="not the one it was trained from"):
        _lora_actor(build_model(seed=1)).load_state_dict(loaded.actor_state)


def test_merged_weights_use_the_base_names(build_model, encode_rows):
    actor = _lora_actor(build_model(seed=0))
    actor.update(encode_rows(ROWS), np.array([1.0, -1.0, 0.5]))
    merged = hf_weights(actor.model)
    assert set(merged) == set(build_model(seed=0).state_dict())
    name = "model.layers.0.self_attn.q_proj.weight"
    layer = actor.model.model.layers[0].self_attn.q_proj
    expected = (
        layer.base_layer.weight
        + 2.0 * layer.lora_B["default"].weight @ layer.lora_A["default"].weight
    )
    torch.testing.assert_close(merged[name], expected)


def test_critic_of_an_adapted_policy_trains_every_weight(build_model, tokenizer):
    actor = _lora_actor(build_model(seed=0))
    value_model = build_value_model(actor.model, CriticConfig(), seed=0)
    assert not has_lora(value_model)
    assert all(p.requires_grad for p in value_model.parameters())
    assert has_lora(actor.model)  # the actor's own module keeps its adapters


def test_unknown_target_module_is_a_clear_error(build_model):
    with pytest.raises(ValueError, match=r"actor\.lora\.target_modules"):
        Actor(build_model(seed=0), ActorConfig(lora=LoraConfig(target_modules=("no_such_proj",))))


def test_tiny_run_with_lora_checkpointing_and_a_token_budget_exports_a_plain_model(
    tiny_run, tmp_path
):
    from lamer_train.cli import main

    options = [
        "run.iterations=1",
        "actor.lora={rank: 4, alpha: 8}",
        "actor.activation_checkpointing=true",
        "actor.micro_batch_tokens=256",
    ]
    assert main([f"run.output_dir={tmp_path}", "run.name=run", *tiny_run, *options]) == 0
    from lamer_train.report import read_metrics

    assert read_metrics(tmp_path / "run" / "metrics.jsonl")[0]["actor/optimizer_steps"] > 0
    loaded = load_checkpoint(tmp_path / "run")
    assert loaded.state.iteration == 1 and loaded.actor_state["adapters"]
    plain = AutoModelForCausalLM.from_pretrained(export_checkpoint(loaded.path, tmp_path / "out"))
    assert not has_lora(plain)


def test_lora_update_on_two_gloo_ranks_equals_the_single_process_one_and_checkpoints_cross(
    distributed_job, tmp_path
):
    one = distributed_job(tmp_path / "one", "lora")
    two = distributed_job(tmp_path / "two", "lora", ranks=2)
    assert two["world_size"] == 2
    for name in ("loss", "grad_norm"):
        assert two["metrics"][name] == pytest.approx(one["metrics"][name], rel=1e-5)
    assert one["metrics"]["optimizer_steps"] == two["metrics"]["optimizer_steps"] == 2

    def largest(left, right) -> float:
        return max(float((left[n] - right[n]).abs().max()) for n in left)

    assert largest(one["initial"], one["weights"]) > 1e-4  # the adapters moved the policy
    assert largest(one["weights"], two["weights"]) < 1e-5
    # A one-process checkpoint (merged model/, adapters apart) restores on 2 ranks: the
    # adapters go onto the base. (A sharded one holds base + adapters under their own
    # names and loads like any sharded checkpoint.)
    one_in_two = distributed_job(tmp_path / "l12", "lora_load", str(tmp_path / "one/run"), ranks=2)
    assert one_in_two["updates"] == 1
    assert largest(one_in_two["weights"], one["weights"]) < 1e-5


def test_torchrun_lora_run_checkpoints_in_shards_and_exports_a_plain_model(tiny_run, tmp_path):
    import subprocess
    import sys

    from lamer_train.sharded_checkpoint import SHARDED_DIR

    out = tmp_path / "runs"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc-per-node=2", "-m", "lamer_train", *tiny_run, "run.iterations=1"]
    command += [f"run.output_dir={out}", "actor.lora={rank: 4, alpha: 8}"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    (run_dir,) = out.iterdir()
    checkpoint = latest_checkpoint(run_dir)
    assert (checkpoint / SHARDED_DIR).is_dir()
    plain = AutoModelForCausalLM.from_pretrained(export_checkpoint(run_dir, tmp_path / "exported"))
    assert not has_lora(plain)
    assert not any("lora" in name or "base_layer" in name for name in plain.state_dict())
