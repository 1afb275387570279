"""Actor: log-prob scoring, PPO update wiring, exact gradient accumulation, checkpoints."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from lamer_train.actor import Actor, ActorConfig, kept_tokens
from lamer_train.engines.base import SamplingConfig
from lamer_train.engines.hf import HFEngine, sample_tokens

#: (prompt, response) texts of the sample rows.
ROWS = [
    ("Solve the puzzle. State: box at 2,3.", "<action>up</action>"),
    ("Solve the puzzle.", "<action>left</action><|im_end|>"),
    (
        "Reflect on the last attempt, which failed after pushing the box into a corner.",
        "Avoid corners.",
    ),
    ("Short.", "down"),
]


def test_compute_log_probs_match_engine_sampling_log_probs(model, tokenizer):
    engine = HFEngine(model, tokenizer)
    prompts = [
        [{"role": "user", "content": text}]
        for text in ("Move the box.", "A longer question about walls and goals.")
    ]
    completions = engine.generate(
        prompts, SamplingConfig(temperature=0.8, max_new_tokens=6), seed=4
    )
    actor = Actor(model, ActorConfig(temperature=0.8))
    scored = actor.compute_log_probs([(c.prompt_ids, c.response_ids) for c in completions])
    for completion, log_probs in zip(completions, scored, strict=True):
        assert log_probs.shape == (len(completion.response_ids),)
        assert log_probs.tolist() == pytest.approx(completion.log_probs, abs=1e-4)


def test_log_probs_of_a_row_do_not_depend_on_its_micro_batch(model, encode_rows):
    samples = encode_rows(ROWS)
    together = Actor(model, ActorConfig(micro_batch_size=4, mini_batch_size=4)).compute_log_probs(
        samples
    )
    alone = Actor(model, ActorConfig(micro_batch_size=1, mini_batch_size=4)).compute_log_probs(
        samples
    )
    for a, b in zip(together, alone, strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_first_update_step_sees_ratio_one_and_loss_is_minus_token_mean_advantage(
    model, encode_rows
):
    """With old log-probs recomputed from the same weights, r = 1 on the first step, so
    the token-mean loss is -sum_i(A_i * len_i) / sum_i(len_i): the hand-computed broadcast."""
    samples = encode_rows(ROWS)
    advantages = np.array([1.0, -0.5, 2.0, 0.0])
    actor = Actor(model, ActorConfig(lr=1e-4, mini_batch_size=4, micro_batch_size=2))
    metrics = actor.update(samples, advantages)
    lengths = np.array([len(response) for _, response in samples])
    assert metrics["pg_loss"] == pytest.approx(
        -(advantages * lengths).sum() / lengths.sum(), abs=1e-5
    )
    assert metrics["ppo_kl"] == pytest.approx(0.0, abs=1e-5)
    assert metrics["pg_clipfrac"] == 0.0
    assert metrics["optimizer_steps"] == 1
    assert metrics["response_tokens"] == lengths.sum()
    assert metrics["entropy"] > 0


@pytest.mark.parametrize(
    "loss_agg_mode", ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"]
)
def test_gradient_accumulation_equals_one_big_batch(build_model, encode_rows, loss_agg_mode):
    samples = encode_rows(ROWS)
    advantages = np.array([1.0, -0.5, 2.0, -1.0])
    grads = []
    for micro in (1, 4):
        model = build_model(seed=0)
        actor = Actor(
            model,
            ActorConfig(mini_batch_size=4, micro_batch_size=micro, loss_agg_mode=loss_agg_mode),
        )
        old = actor.compute_log_probs(samples)
        actor.accumulate_gradients(samples, [0, 1, 2, 3], advantages, old, None)
        grads.append(
            torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
        )
    scale = grads[0].abs().max()
    assert scale > 0
    assert (grads[0] - grads[1]).abs().max() <= 1e-4 * scale  # float32 summation order only


def test_prompt_tokens_get_no_gradient_signal(build_model, encode_rows):
    """Changing a row's prompt-only padding/partners must not change its response loss:
    rows with zero advantage contribute nothing, so only row 0's response drives grads."""
    samples = encode_rows(ROWS)
    advantages = np.array([1.0, 0.0, 0.0, 0.0])
    model = build_model(seed=0)
    actor = Actor(model, ActorConfig(mini_batch_size=4, micro_batch_size=4))
    actor.accumulate_gradients(
        samples, [0, 1, 2, 3], advantages, actor.compute_log_probs(samples), None
    )
    together = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
    model.zero_grad(set_to_none=True)
    # The same row alone, with the normaliser of the full mini-batch (scale by its token share).
    lengths = [len(r) for _, r in samples]
    actor.accumulate_gradients(
        samples[:1], [0], advantages[:1], actor.compute_log_probs(samples[:1]), None
    )
    alone = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
    expected = alone * lengths[0] / sum(lengths)
    assert (together - expected).abs().max() <= 1e-4 * expected.abs().max()


def test_updates_raise_log_prob_of_positive_advantage_response(build_model, encode_rows):
    model = build_model(seed=0)
    samples = encode_rows(ROWS)[:2]
    actor = Actor(
        model, ActorConfig(lr=3e-3, mini_batch_size=2, micro_batch_size=2, weight_decay=0.0)
    )
    before = [lp.sum().item() for lp in actor.compute_log_probs(samples)]
    for _ in range(5):
        actor.update(samples, [1.0, -1.0])
    after = [lp.sum().item() for lp in actor.compute_log_probs(samples)]
    assert after[0] > before[0] + 0.5
    assert after[1] < before[1] - 0.5


def test_kl_to_a_frozen_reference_starts_at_zero_and_needs_a_reference(build_model, encode_rows):
    model = build_model(seed=0)
    with pytest.raises(ValueError, match="ref_model"):
        Actor(model, ActorConfig(kl_coef=0.1))
    actor = Actor(model, ActorConfig(kl_coef=0.1, lr=1e-3), ref_model=copy.deepcopy(model))
    samples = encode_rows(ROWS)
    first = actor.update(samples, [1.0, -1.0, 0.5, 0.0])
    assert first["kl"] == pytest.approx(0.0, abs=1e-6)
    second = actor.update(samples, [1.0, -1.0, 0.5, 0.0])
    assert second["kl"] > 0


def test_state_dict_round_trip_continues_identically(build_model, encode_rows):
    samples = encode_rows(ROWS)
    config = ActorConfig(lr=1e-3, mini_batch_size=2, micro_batch_size=2, shuffle=True, seed=3)
    actor = Actor(build_model(seed=0), config)
    actor.update(samples, [1.0, -1.0, 0.5, 0.0])
    saved = copy.deepcopy(actor.state_dict())
    restored = Actor(build_model(seed=9), config)
    restored.load_state_dict(saved)
    assert restored.updates_done == 1
    actor.update(samples, [0.3, -0.2, 1.0, -1.0])
    restored.update(samples, [0.3, -0.2, 1.0, -1.0])
    for (name, a), b in zip(
        actor.model.state_dict().items(), restored.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name


def test_rows_with_empty_responses_are_skipped(model, encode_rows):
    samples = encode_rows(ROWS)
    samples[1] = (samples[1][0], [])
    metrics = Actor(model, ActorConfig(mini_batch_size=4, micro_batch_size=2)).update(
        samples, [1.0, 5.0, -1.0, 0.0]
    )
    assert metrics["response_tokens"] == sum(len(r) for _, r in samples)
    assert Actor(model, ActorConfig()).update([(samples[0][0], [])], [1.0])["optimizer_steps"] == 0


def test_bad_update_inputs_raise_clear_errors(model, encode_rows):
    actor = Actor(model, ActorConfig())
    samples = encode_rows(ROWS)
    with pytest.raises(ValueError, match="4 samples but 3 advantages"):
        actor.update(samples, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="empty prompt"):
        actor.update([([], [1, 2])], [1.0])


def test_actor_config_validates_fields():
    with pytest.raises(ValueError, match="micro_batch_size"):
        ActorConfig(mini_batch_size=4, micro_batch_size=8)
    with pytest.raises(ValueError, match="clip_ratio_c"):
        ActorConfig(clip_ratio_c=0.9)
    with pytest.raises(ValueError, match="learning_rate"):
        ActorConfig(learning_rate=1e-3)
    with pytest.raises(ValueError, match="loss_agg_mode"):
        ActorConfig(loss_agg_mode="mean")


def test_truncated_importance_weights_scale_the_loss_and_need_rollout_log_probs(model, encode_rows):
    """At ratio 1 the loss is -token-mean(A * w) with w = min(exp(old - rollout), cap):
    rollout log-probs equal to the recomputed ones give w = 1; one nat lower gives
    w = min(e, 2) = 2, so the loss doubles."""
    samples = encode_rows(ROWS)
    advantages = np.array([1.0, -0.5, 2.0, 0.0])
    lengths = np.array([len(response) for _, response in samples])
    plain = -(advantages * lengths).sum() / lengths.sum()
    config = ActorConfig(lr=1e-9, mini_batch_size=4, micro_batch_size=4, tis_imp_ratio_cap=2.0)
    actor = Actor(model, config)
    old = actor.compute_log_probs(samples)
    same = [(p, r, lp.tolist()) for (p, r), lp in zip(samples, old, strict=True)]
    assert actor.update(same, advantages)["pg_loss"] == pytest.approx(plain, abs=1e-5)
    lower = [(p, r, (lp - 1.0).tolist()) for (p, r), lp in zip(samples, old, strict=True)]
    assert actor.update(lower, advantages)["pg_loss"] == pytest.approx(2 * plain, abs=1e-4)
    with pytest.raises(ValueError, match="rollout_log_probs"):
        actor.update(samples, advantages)


def test_token_level_advantages_weigh_each_response_token(build_model, encode_rows):
    """At ratio 1 the token-mean loss is -mean over response tokens of A_t; padding columns
    beyond a row's response are ignored, and a constant row equals the row broadcast."""
    samples = encode_rows(ROWS)
    lengths = [len(response) for _, response in samples]
    rng = np.random.default_rng(0)
    token_advantages = rng.normal(size=(len(samples), max(lengths) + 3))
    valid = np.arange(token_advantages.shape[1])[None, :] < np.array(lengths)[:, None]
    config = ActorConfig(lr=1e-4, mini_batch_size=4, micro_batch_size=2)
    metrics = Actor(build_model(seed=0), config).update(samples, token_advantages)
    assert metrics["pg_loss"] == pytest.approx(-token_advantages[valid].mean(), abs=1e-5)

    row = np.array([1.0, -0.5, 2.0, 0.0])
    broadcast, tokenwise = (
        build_model(seed=0),
        build_model(seed=0),
    )
    Actor(broadcast, config).update(samples, row)
    Actor(tokenwise, config).update(samples, np.repeat(row[:, None], max(lengths), axis=1))
    for a, b in zip(broadcast.parameters(), tokenwise.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_token_advantages_narrower_than_a_response_are_refused(model, encode_rows):
    samples = encode_rows(ROWS)
    longest = max(len(response) for _, response in samples)
    with pytest.raises(ValueError, match="columns but the longest response"):
        Actor(model, ActorConfig()).update(samples, np.zeros((4, longest - 1)))


@pytest.mark.parametrize(("top_k", "top_p"), [(5, 1.0), (-1, 0.8), (8, 0.7), (-1, 1.0)])
def test_kept_tokens_are_exactly_the_tokens_the_hf_sampler_draws(top_k, top_p):
    logits = torch.randn((3, 30), generator=torch.Generator().manual_seed(0))
    kept = kept_tokens(logits, top_k, top_p)
    sampling = SamplingConfig(temperature=1.0, top_k=top_k, top_p=top_p)
    generator = torch.Generator().manual_seed(1)
    drawn = torch.zeros_like(kept)
    for _ in range(3000):
        tokens, _ = sample_tokens(logits, sampling, generator)
        drawn[torch.arange(3), tokens] = True
    assert torch.equal(drawn, kept)
    if top_k > 0:
        assert (kept.sum(-1) <= top_k).all()


def _response_logits(model, prompt: list[int], response: list[int], temperature: float):
    """The logits that predict each response token, from one plain forward pass."""
    ids = torch.tensor([prompt + response])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, len(prompt) - 1 : -1].float()
    return logits / temperature


def test_truncated_scoring_renormalises_over_the_kept_tokens(model, encode_rows):
    samples = encode_rows(ROWS)
    actor = Actor(model, ActorConfig(temperature=0.7, top_k=20, top_p=0.8))
    scored = actor.compute_log_probs(samples)
    for (prompt, response), log_probs in zip(samples, scored, strict=True):
        logits = _response_logits(model, prompt, response, 0.7)
        target = torch.tensor(response)
        kept = kept_tokens(logits, 20, 0.8)
        kept[torch.arange(len(response)), target] = True
        expected = [
            float(row[token] - torch.logsumexp(row[mask], dim=0))
            for row, mask, token in zip(logits, kept, response, strict=True)
        ]
        assert log_probs.tolist() == pytest.approx(expected, abs=1e-4)
        # A truncated log-prob is at least the whole-vocabulary one.
        whole = torch.log_softmax(logits, -1)[torch.arange(len(response)), target]
        assert (log_probs >= whole - 1e-5).all()


def test_negative_advantages_lift_the_never_drawn_tail_only_under_whole_vocabulary_scoring(
    build_model, encode_rows
):
    """Pushing sampled tokens down hands their mass to every other token: scored over the
    whole vocabulary, also to the tail the sampler never draws; scored over the kept set,
    the tail gets no gradient of its own."""
    samples = encode_rows(ROWS)
    start = build_model(seed=0)
    # Per row, the tokens outside the initial top 5 at each response position.
    tails = [
        ~kept_tokens(_response_logits(start, prompt, response, 1.0), 5, 1.0)
        for prompt, response in samples
    ]

    def tail_mass(model) -> float:
        return sum(
            float(torch.softmax(_response_logits(model, prompt, response, 1.0), -1)[tail].sum())
            for (prompt, response), tail in zip(samples, tails, strict=True)
        )

    lifted = {}
    for name, top_k in (("whole", -1), ("kept", 5)):
        model = build_model(seed=0)
        actor = Actor(
            model,
            ActorConfig(
                lr=3e-3, top_k=top_k, mini_batch_size=4, micro_batch_size=4, entropy_coef=0.0
            ),
        )
        before = tail_mass(model)
        for _ in range(4):
            actor.update(samples, [-1.0] * len(samples))
        lifted[name] = tail_mass(model) - before
    assert lifted["whole"] > 0
    assert lifted["kept"] < lifted["whole"] / 2, lifted
