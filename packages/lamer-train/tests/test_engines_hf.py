"""HFEngine: batching, seeding, stopping, log-probs and weight loading on a tiny real model."""

from __future__ import annotations

import pytest
import torch

from lamer_train.engines.base import Completion, Engine, SamplingConfig
from lamer_train.engines.hf import HFEngine, sample_tokens


def chat(text: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You play a grid game."},
        {"role": "user", "content": text},
    ]


PROMPTS = [
    chat("Where is the box?"),
    chat("A much longer question about the map, the walls and the goals " * 3),
    chat("Go."),
]


def test_hf_engine_satisfies_engine_protocol(model, tokenizer):
    assert isinstance(HFEngine(model, tokenizer), Engine)


def test_prompt_uses_chat_template_without_thinking(model, tokenizer):
    engine = HFEngine(model, tokenizer, enable_thinking=False)
    text = tokenizer.decode(engine.encode_prompt(chat("hi")))
    assert text.startswith("<|im_start|>system\nYou play a grid game.<|im_end|>")
    assert text.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    thinking = tokenizer.decode(
        HFEngine(model, tokenizer, enable_thinking=True).encode_prompt(chat("hi"))
    )
    assert thinking.endswith("<|im_start|>assistant\n")


def test_same_seed_same_completions_other_seed_differs(model, tokenizer):
    engine = HFEngine(model, tokenizer)
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=8)
    first = engine.generate(PROMPTS, sampling, seed=7)
    again = engine.generate(PROMPTS, sampling, seed=7)
    other = engine.generate(PROMPTS, sampling, seed=8)
    assert [c.response_ids for c in first] == [c.response_ids for c in again]
    assert [c.response_ids for c in first] != [c.response_ids for c in other]


def test_generate_leaves_global_rng_alone(model, tokenizer):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    HFEngine(model, tokenizer).generate(PROMPTS, SamplingConfig(max_new_tokens=3), seed=1)
    assert torch.equal(torch.rand(3), expected)


def test_completions_come_back_in_prompt_order_with_prompt_ids(model, tokenizer):
    engine = HFEngine(model, tokenizer, max_batch_size=2)
    completions = engine.generate(PROMPTS, SamplingConfig(max_new_tokens=4), seed=0)
    assert len(completions) == len(PROMPTS)
    for completion, prompt in zip(completions, PROMPTS, strict=True):
        assert isinstance(completion, Completion)
        assert completion.prompt_ids == engine.encode_prompt(prompt)
        assert len(completion.response_ids) == len(completion.log_probs) <= 4


def test_left_padded_batch_matches_one_prompt_at_a_time(model, tokenizer):
    """Greedy decoding must not depend on the padding a batch needs."""
    engine = HFEngine(model, tokenizer)
    greedy = SamplingConfig(temperature=0.0, max_new_tokens=6)
    batched = engine.generate(PROMPTS, greedy, seed=0)
    for prompt, completion in zip(PROMPTS, batched, strict=True):
        alone = engine.generate([prompt], greedy, seed=0)[0]
        assert alone.response_ids == completion.response_ids
        assert alone.log_probs == pytest.approx(completion.log_probs, abs=1e-4)


def test_log_probs_match_a_full_forward_pass_at_the_sampling_temperature(model, tokenizer):
    engine = HFEngine(model, tokenizer)
    temperature = 0.7
    completions = engine.generate(
        PROMPTS, SamplingConfig(temperature=temperature, max_new_tokens=10), seed=3
    )
    for completion in completions:
        ids = torch.tensor([completion.prompt_ids + completion.response_ids])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0].float() / temperature
        n_prompt = len(completion.prompt_ids)
        log_probs = torch.log_softmax(logits[n_prompt - 1 : -1], dim=-1)
        expected = log_probs.gather(-1, torch.tensor(completion.response_ids)[:, None])[:, 0]
        assert completion.log_probs == pytest.approx(expected.tolist(), abs=1e-4)


def _biased_model(build_model, token_bias: dict[int, float]):
    """Tiny model whose output head always favours some tokens (a real Linear with a bias)."""
    model = build_model(seed=1, tiny_tie_embeddings=False)
    head = torch.nn.Linear(model.config.hidden_size, model.config.vocab_size, bias=True)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        for token, bias in token_bias.items():
            head.bias[token] = bias
    model.lm_head = head
    return model


def test_generation_stops_at_end_of_turn_token_and_keeps_it(build_model, tokenizer):
    stop = tokenizer.convert_tokens_to_ids("<|im_end|>")
    engine = HFEngine(_biased_model(build_model, {stop: 30.0}), tokenizer)
    completions = engine.generate(PROMPTS, SamplingConfig(max_new_tokens=5), seed=0)
    for completion in completions:
        assert completion.response_ids == [stop]
        assert completion.finish_reason == "stop"
        assert completion.text == ""


def test_generation_stops_at_max_new_tokens(build_model, tokenizer):
    word = tokenizer.convert_tokens_to_ids("up")
    engine = HFEngine(_biased_model(build_model, {word: 30.0}), tokenizer)
    completion = engine.generate(PROMPTS[:1], SamplingConfig(max_new_tokens=4), seed=0)[0]
    assert completion.response_ids == [word] * 4
    assert completion.finish_reason == "length"
    assert completion.text == "up" * 4


def test_rows_stopping_at_different_steps_end_cleanly(build_model, tokenizer):
    """Rows leave the batch (and the KV cache) as they stop; the rest keep decoding."""
    stop = tokenizer.convert_tokens_to_ids("<|im_end|>")
    word = tokenizer.convert_tokens_to_ids("left")
    engine = HFEngine(_biased_model(build_model, {stop: 20.0, word: 20.0}), tokenizer)
    completions = engine.generate(PROMPTS * 4, SamplingConfig(max_new_tokens=6), seed=5)
    lengths = set()
    for completion in completions:
        ids = completion.response_ids
        lengths.add(len(ids))
        assert set(ids) <= {stop, word}
        assert stop not in ids[:-1]
        assert completion.finish_reason == ("stop" if ids[-1] == stop else "length")
        assert completion.log_probs == pytest.approx(
            [torch.log(torch.tensor(0.5)).item()] * len(ids), abs=1e-3
        )
    assert len(lengths) > 1


def test_top_k_one_and_tiny_top_p_equal_greedy(model, tokenizer):
    engine = HFEngine(model, tokenizer)
    greedy = [
        c.response_ids
        for c in engine.generate(PROMPTS, SamplingConfig(temperature=0.0, max_new_tokens=5), seed=0)
    ]
    top_k = engine.generate(
        PROMPTS, SamplingConfig(temperature=1.0, top_k=1, max_new_tokens=5), seed=1
    )
    top_p = engine.generate(
        PROMPTS, SamplingConfig(temperature=1.0, top_p=1e-6, max_new_tokens=5), seed=2
    )
    assert [c.response_ids for c in top_k] == greedy
    assert [c.response_ids for c in top_p] == greedy


def test_sample_tokens_follows_the_distribution():
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.7, 0.0]]).clamp(min=1e-30)).repeat(20000, 1)
    generator = torch.Generator().manual_seed(0)
    tokens, log_probs = sample_tokens(logits, SamplingConfig(temperature=1.0), generator)
    frequencies = torch.bincount(tokens, minlength=4).float() / len(tokens)
    assert frequencies.tolist() == pytest.approx([0.1, 0.2, 0.7, 0.0], abs=0.015)
    assert torch.allclose(
        log_probs, torch.log(torch.tensor([0.1, 0.2, 0.7, 1.0]))[tokens], atol=1e-5
    )
    top_p_tokens, _ = sample_tokens(logits, SamplingConfig(temperature=1.0, top_p=0.75), generator)
    assert set(top_p_tokens.tolist()) == {1, 2}


def test_load_weights_makes_engine_sample_from_new_weights(build_model, tokenizer):
    source = build_model(seed=11)
    target = build_model(seed=12)
    greedy = SamplingConfig(temperature=0.0, max_new_tokens=5)
    expected = HFEngine(source, tokenizer).generate(PROMPTS, greedy, seed=0)
    engine = HFEngine(target, tokenizer)
    engine.load_weights(source.state_dict())
    assert [c.response_ids for c in engine.generate(PROMPTS, greedy, seed=0)] == [
        c.response_ids for c in expected
    ]


def test_load_weights_of_the_shared_model_is_a_no_op(model, tokenizer):
    engine = HFEngine(model, tokenizer)
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    engine.load_weights(model.state_dict())
    assert all(torch.equal(before[name], tensor) for name, tensor in model.state_dict().items())


def test_load_weights_rejects_foreign_state_dict(model, tokenizer):
    with pytest.raises(KeyError, match="unexpected keys"):
        HFEngine(model, tokenizer).load_weights({"not.a.weight": torch.zeros(1)})


@pytest.mark.parametrize("bad", [[], [{"role": "user"}], [{"role": "user", "content": 3}], "hello"])
def test_malformed_prompt_raises_clear_error(model, tokenizer, bad):
    with pytest.raises(ValueError, match=r"prompt|chat message"):
        HFEngine(model, tokenizer).generate([bad], SamplingConfig(max_new_tokens=2), seed=0)


def test_generate_with_no_prompts_returns_nothing(model, tokenizer):
    assert HFEngine(model, tokenizer).generate([], SamplingConfig(), seed=0) == []


@pytest.mark.parametrize(
    "field,value",
    [
        ("temperature", -0.1),
        ("top_p", 0.0),
        ("top_p", 1.5),
        ("top_k", -2),
        ("max_new_tokens", 0),
        ("tempreature", 1.0),
    ],
)
def test_sampling_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        SamplingConfig(**{field: value})
