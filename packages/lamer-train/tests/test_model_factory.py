"""Tiny Qwen3 model and the bundled Qwen3 tokenizer: built locally, deterministic, loadable."""

from __future__ import annotations

import pytest
import torch
from transformers import Qwen3ForCausalLM

from lamer_train.model_factory import (
    ModelConfig,
    build_tiny_model,
    load_policy,
    load_tokenizer,
    stop_token_ids,
)
from lamer_train.model_source import ModelSourceError, check_model_source


@pytest.fixture(scope="module")
def small(tiny_config) -> ModelConfig:
    """The shared tiny config, smaller still: one layer of width 16."""
    return tiny_config.model_copy(
        update={"tiny_hidden_size": 16, "tiny_intermediate_size": 32, "tiny_num_layers": 1}
    )


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("qwen3")


def test_builtin_tokenizer_is_qwen3_with_its_chat_template(tokenizer):
    assert len(tokenizer) == 151669
    assert tokenizer.eos_token == "<|im_end|>"
    assert tokenizer.padding_side == "left"
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}],
        tokenize=False,
        add_generation_prompt=True,
        enable_thinking=False,
    )
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"


def test_stop_tokens_are_end_of_turn_and_end_of_text(tokenizer):
    assert stop_token_ids(tokenizer) == sorted(
        tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"])
    )


def test_tiny_model_is_qwen3_sized_by_config_and_covers_the_vocabulary(tokenizer, small):
    model = build_tiny_model(tokenizer, small, seed=0)
    assert isinstance(model, Qwen3ForCausalLM)
    assert model.config.vocab_size >= len(tokenizer)
    assert model.config.vocab_size % 64 == 0
    assert model.config.hidden_size == 16
    assert model.config.num_hidden_layers == 1
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()


def test_tiny_model_weights_depend_only_on_seed(tokenizer, small):
    torch.manual_seed(5)
    expected_global = torch.rand(2)
    torch.manual_seed(5)
    first = build_tiny_model(tokenizer, small, seed=3).state_dict()
    assert torch.equal(torch.rand(2), expected_global), (
        "building a model must not consume the global RNG"
    )
    same = build_tiny_model(tokenizer, small, seed=3).state_dict()
    other = build_tiny_model(tokenizer, small, seed=4).state_dict()
    assert all(torch.equal(first[name], same[name]) for name in first)
    assert not torch.equal(first["model.embed_tokens.weight"], other["model.embed_tokens.weight"])


@pytest.mark.parametrize(
    "update,message",
    [
        ({"tiny_num_heads": 3, "tiny_num_kv_heads": 2}, "multiple of tiny_num_kv_heads"),
        ({"tiny_hidden_size": 17}, "multiple of tiny_num_heads"),
        ({"tiny_hidden_size": 18}, "head size"),
    ],
)
def test_inconsistent_tiny_shapes_raise_clear_errors(tokenizer, update, message, small):
    with pytest.raises(ValueError, match=message):
        build_tiny_model(tokenizer, small.model_copy(update=update))


def test_model_config_rejects_unknown_field():
    with pytest.raises(ValueError, match="tiny_hiden_size"):
        ModelConfig(tiny_hiden_size=3)


def test_missing_model_folder_is_a_one_line_source_error(tmp_path):
    with pytest.raises(ModelSourceError, match="no such checkpoint folder"):
        check_model_source(ModelConfig(name_or_path=str(tmp_path / "nowhere")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelSourceError, match=r"without config\.json"):
        check_model_source(ModelConfig(name_or_path=str(tmp_path / "empty")))


def test_saved_tiny_model_loads_back_as_a_local_checkpoint(tokenizer, tmp_path, small):
    model = build_tiny_model(tokenizer, small, seed=2)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    config = ModelConfig(name_or_path=str(tmp_path))
    assert check_model_source(config) == "local"
    loaded, loaded_tokenizer = load_policy(config)
    ids = torch.tensor([tokenizer("push the box").input_ids])
    with torch.no_grad():
        assert torch.allclose(loaded(input_ids=ids).logits, model(input_ids=ids).logits)
    assert len(loaded_tokenizer) == len(tokenizer)
    assert loaded_tokenizer.padding_side == "left"


def test_truncated_qwen3_tokenizer_keeps_ids_template_and_round_trip(tokenizer, small):
    small = load_tokenizer("qwen3-8192")
    assert len(small) == 8192 + 26  # regular tokens + Qwen3's special tokens
    messages = [
        {"role": "system", "content": "Rules: push boxes onto goals. Unicode: é 漢字 🙂"},
        {"role": "user", "content": "Row 1: # # # #\nRow 2: # @ $ ."},
    ]
    text = small.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=True, enable_thinking=False
    )
    assert text == tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=True, enable_thinking=False
    )
    ids = small(text, add_special_tokens=False)["input_ids"]
    assert small.decode(ids) == text
    assert max(ids) < len(small)
    # A common word keeps its Qwen3 id; the special tokens move just past the kept ones.
    assert (
        small(" box", add_special_tokens=False)["input_ids"]
        == tokenizer(" box", add_special_tokens=False)["input_ids"]
    )
    assert small.convert_tokens_to_ids(["<|endoftext|>", "<|im_end|>"]) == [8192, 8194]
    assert stop_token_ids(small) == [8192, 8194]
    assert small.padding_side == "left"


@pytest.mark.parametrize("name", ["qwen3-100", "qwen3-999999"])
def test_truncated_tokenizer_size_out_of_range_is_rejected(name):
    with pytest.raises(ValueError, match="256 <= N"):
        load_tokenizer(name)


def test_missing_tokenizer_folder_raises_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not 'qwen3', 'qwen3-N'"):
        load_tokenizer(str(tmp_path / "no-such-tokenizer"))


def test_tiny_default_uses_the_truncated_qwen3_tokenizer(small):
    model, tokenizer = load_policy(small)
    assert len(tokenizer) == 8218
    assert model.config.vocab_size == 8256  # rounded up to a multiple of 64
