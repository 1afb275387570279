"""Mixed precision: float32 parameters and AdamW state, bfloat16 compute under autocast.

The paper's learning rate (1e-6) is below bfloat16's resolution for most weights (a
weight near 0.02 moves in steps of about 1e-4), so AdamW on bf16 parameters leaves them
unchanged; float32 master weights with bf16 compute train like a float32 run.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lamer_train.actor import Actor, ActorConfig
from lamer_train.config import load_config
from lamer_train.engines.base import SamplingConfig
from lamer_train.engines.hf import HFEngine
from lamer_train.trainer import Trainer

#: Wider than the shared tiny model (the sizes these precision checks were tuned on).
WIDER = {
    "tiny_hidden_size": 64,
    "tiny_intermediate_size": 128,
    "tiny_num_heads": 4,
    "tiny_num_kv_heads": 2,
}
LR = 1e-6


#: (prompt, response) texts of the sample rows.
ROWS = [
    ("Push the box onto the target. State: box at 2,3.", "<action>up</action>"),
    ("Reveal a safe cell on the board.", "<action>(1, 1)</action><|im_end|>"),
    ("Reflect on the failed attempt.", "<remark>Avoid the corner next time.</remark>"),
    ("Buy the red shirt.", "<action>search[red shirt]</action>"),
]


def _one_update(build_model, encode_rows, *, compute_dtype: str, param_dtype: torch.dtype):
    model = build_model(seed=0, **WIDER).to(param_dtype)
    before = {n: p.detach().float().clone() for n, p in model.named_parameters()}
    actor = Actor(
        model,
        ActorConfig(lr=LR, mini_batch_size=4, micro_batch_size=2),
        compute_dtype=compute_dtype,
    )
    metrics = actor.update(encode_rows(ROWS), np.array([1.0, -0.5, 2.0, -1.0]))
    assert metrics["optimizer_steps"] == 1
    after = dict(model.named_parameters())
    delta = torch.cat([(after[n].detach().float() - before[n]).flatten() for n in before])
    return model, actor, delta, metrics


def test_bf16_compute_update_moves_the_weights_like_the_fp32_update(build_model, encode_rows):
    _, _, reference, _ = _one_update(
        build_model, encode_rows, compute_dtype="float32", param_dtype=torch.float32
    )
    model, actor, mixed, metrics = _one_update(
        build_model, encode_rows, compute_dtype="bfloat16", param_dtype=torch.float32
    )
    # Master weights and AdamW's moments stay float32.
    assert all(p.dtype == torch.float32 for p in model.parameters())
    moments = [s["exp_avg"] for s in actor.optimizer.state.values()]
    assert moments and all(m.dtype == torch.float32 for m in moments)
    assert np.isfinite(metrics["loss"])

    # Weights with a real gradient (the fp32 step moved them by about lr): the bf16-compute
    # step moves them too, in the same direction and by about the same amount.
    moved = reference.abs() > 0.5 * LR
    assert moved.float().mean() > 0.5
    assert (mixed[moved].abs() > 0.5 * LR).float().mean() > 0.99
    same_sign = (torch.sign(mixed[moved]) == torch.sign(reference[moved])).float().mean()
    assert same_sign > 0.95
    ratio = mixed[moved].abs().mean() / reference[moved].abs().mean()
    assert 0.9 < float(ratio) < 1.1


def test_bf16_parameters_barely_move_at_the_paper_learning_rate(build_model, encode_rows):
    """The failure mode mixed precision avoids: the same step on bf16 parameters."""
    _, _, reference, _ = _one_update(
        build_model, encode_rows, compute_dtype="float32", param_dtype=torch.float32
    )
    _, _, pure_bf16, _ = _one_update(
        build_model, encode_rows, compute_dtype="bfloat16", param_dtype=torch.bfloat16
    )
    moved = reference.abs() > 0.5 * LR
    assert (pure_bf16[moved] != 0).float().mean() < 0.2


def test_engine_samples_from_the_actors_float32_weights_under_bf16_compute(build_model, tokenizer):
    model = build_model(seed=0, **WIDER)
    engine = HFEngine(model, tokenizer, compute_dtype="bfloat16")
    actor = Actor(
        model, ActorConfig(lr=1e-3, mini_batch_size=4, micro_batch_size=4), compute_dtype="bfloat16"
    )
    prompts = [[{"role": "user", "content": "Move the box."}], [{"role": "user", "content": "Hi"}]]
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=5)
    first = engine.generate(prompts, sampling, seed=3)
    # The engine's sampling log-probs are the actor's bf16-compute log-probs.
    scored = actor.compute_log_probs([(c.prompt_ids, c.response_ids) for c in first])
    for completion, log_probs in zip(first, scored, strict=True):
        assert log_probs.tolist() == pytest.approx(completion.log_probs, abs=0.05)
    # No second copy: after an update the engine's model is the actor's, still float32,
    # and what the engine samples next is scored by the updated weights.
    actor.update([(c.prompt_ids, c.response_ids) for c in first], np.array([1.0, -1.0]))
    assert engine.model is actor.model
    assert all(p.dtype == torch.float32 for p in engine.model.parameters())
    updated = actor.compute_log_probs([(c.prompt_ids, c.response_ids) for c in first])
    assert any(not torch.allclose(a, b, atol=1e-3) for a, b in zip(scored, updated, strict=True))
    again = engine.generate(prompts, sampling, seed=4)
    rescored = actor.compute_log_probs([(c.prompt_ids, c.response_ids) for c in again])
    for completion, log_probs in zip(again, rescored, strict=True):
        assert log_probs.tolist() == pytest.approx(completion.log_probs, abs=0.05)


def test_unknown_compute_dtype_is_a_clear_error(build_model, tokenizer):
    model = build_model(seed=0, **WIDER)
    with pytest.raises(ValueError, match="compute_dtype"):
        Actor(model, ActorConfig(), compute_dtype="float8")
    with pytest.raises(ValueError, match="compute_dtype"):
        HFEngine(model, tokenizer, compute_dtype="float16")


def test_two_iteration_cpu_run_with_bf16_compute_trains(tmp_path):
    config = load_config(
        None,
        [
            "run.torch_threads=1", "env.max_turns=1", "warmup.steps=0",
            "trial.tasks_per_iteration=2", "trial.group_size=2", "trial.num_attempts=2",
            "trial.sampling.max_new_tokens=6", "eval.num_tasks=2",
            "model.tiny_hidden_size=32", "model.tiny_intermediate_size=64",
            "model.tiny_num_layers=1", "model.compute_dtype=bfloat16", "actor.lr=1e-3",
        ],
    )  # fmt: skip
    trainer = Trainer(config, tmp_path / "run")
    try:
        before = {n: p.detach().clone() for n, p in trainer.actor.model.named_parameters()}
        for iteration in range(2):
            metrics = trainer.train_iteration(iteration).metrics
            assert np.isfinite(metrics["actor/loss"]) and np.isfinite(metrics["actor/grad_norm"])
            assert metrics["actor/optimizer_steps"] >= 1
        after = dict(trainer.actor.model.named_parameters())
        assert all(p.dtype == torch.float32 for p in after.values())
        assert any(not torch.equal(after[n], before[n]) for n in before)
    finally:
        trainer.close()
