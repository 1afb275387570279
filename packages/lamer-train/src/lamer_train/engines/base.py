"""The rollout-engine seam: chat prompts in, sampled text and token ids out.

An engine turns a batch of chat conversations into one :class:`Completion` each. The
trial loop only sees this protocol, so the HF engine (CPU, tests, small models) and a
vLLM engine (GPU, big models) are interchangeable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # configs import SamplingConfig from here and must load without torch
    import torch

ChatMessage = dict[str, str]
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": text}``."""

FinishReason = Literal["stop", "length"]


class SamplingConfig(BaseModel):
    """How the engine samples response tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(
        1.0,
        ge=0.0,
        description="Softmax temperature; logits are divided by it. 0 means greedy decoding.",
    )
    top_p: float = Field(
        1.0,
        gt=0.0,
        le=1.0,
        description="Nucleus sampling: keep the smallest set of tokens whose probability sums to top_p (1 = off).",
    )
    top_k: int = Field(
        -1,
        ge=-1,
        description="Keep only the top_k most likely tokens before sampling (-1 or 0 = off).",
    )
    max_new_tokens: int = Field(
        256,
        ge=1,
        description="Most tokens generated per response; a response that reaches it ends with finish_reason 'length'.",
    )


@dataclass(slots=True)
class Completion:
    """One sampled response to one prompt."""

    text: str
    """Decoded response, special tokens (e.g. the end-of-turn token) removed."""
    prompt_ids: list[int]
    """Token ids of the prompt after the chat template (what the model conditioned on)."""
    response_ids: list[int]
    """Sampled token ids; they include the stop token when ``finish_reason == "stop"``."""
    log_probs: list[float] | None
    """Per-token log-probabilities of ``response_ids`` under the sampling distribution
    ``log_softmax(logits / temperature)`` (before top-k/top-p truncation); ``None`` if
    the engine cannot report them."""
    finish_reason: FinishReason
    """``"stop"``: a stop token was sampled; ``"length"``: ``max_new_tokens`` was reached."""


@runtime_checkable
class Engine(Protocol):
    """Generates responses for chat prompts with the current policy weights."""

    def generate(
        self, prompts: list[list[ChatMessage]], sampling: SamplingConfig, seed: int
    ) -> list[Completion]:
        """One completion per prompt, in prompt order. The same ``seed``, prompts and
        weights give the same completions."""
        ...

    def load_weights(self, state_dict: Mapping[str, torch.Tensor]) -> None:
        """Make the engine sample from these policy weights from now on."""
        ...


@runtime_checkable
class ContinuousEngine(Protocol):
    """An engine that takes requests one at a time and returns each as soon as it is done
    (continuous batching, e.g. vLLM); the asynchronous trial schedule drives it.

    Every request carries its own sampling seed, so a response does not depend on which
    other requests shared its batch.
    """

    def submit(
        self, key: str, prompt: list[ChatMessage], sampling: SamplingConfig, seed: int
    ) -> None:
        """Queue one request; ``key`` names it until :meth:`step` returns it."""
        ...

    def step(self) -> list[tuple[str, Completion]]:
        """Advance generation by one engine step; the requests that finished in it."""
        ...

    def has_unfinished(self) -> bool:
        """Whether submitted requests are still generating."""
        ...
