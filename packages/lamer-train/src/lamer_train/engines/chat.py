"""Chat prompts to token ids: the one place where messages meet the chat template.

Every engine renders prompts through :func:`encode_chat`, so the HF and vLLM engines
condition on the very same ids, and the trainer scores exactly what was sampled from.
"""

from __future__ import annotations

from typing import Any

from lamer_train.engines.base import ChatMessage


def encode_chat(tokenizer: Any, messages: list[ChatMessage], enable_thinking: bool) -> list[int]:
    """Token ids of ``messages`` after the tokenizer's chat template, ending with the
    assistant header (Qwen3: ``enable_thinking=False`` adds the empty think block)."""
    if not isinstance(messages, list) or not messages:
        raise ValueError(
            f"a prompt must be a non-empty list of chat messages, got {messages!r:.200}"
        )
    for message in messages:
        if (
            not isinstance(message, dict)
            or not isinstance(message.get("content"), str)
            or not isinstance(message.get("role"), str)
        ):
            raise ValueError(
                f"a chat message must be a dict with str 'role' and 'content', got {message!r:.200}"
            )
    text = tokenizer.apply_chat_template(
        messages,
        tokenize=False,
        add_generation_prompt=True,
        enable_thinking=enable_thinking,
    )
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])
