"""Conformance checks for :class:`~lamer_train.engines.base.Engine` implementations.

A new engine (e.g. vLLM) passes :func:`check_engine` before the trainer relies on it.
Each failure says what the trainer would get wrong, like Gymnasium's env checker.
"""

from __future__ import annotations

import math

from lamer_train.engines.base import ChatMessage, Completion, Engine, SamplingConfig

# Strictly increasing lengths, so completions returned out of order are detectable.
_PROMPTS: list[list[ChatMessage]] = [
    [{"role": "user", "content": "Reveal a cell."}],
    [{"role": "user", "content": "Push the box onto the goal. Which way do you move first?"}],
    [
        {"role": "system", "content": "You play a grid game. Answer with one action."},
        {
            "role": "user",
            "content": "The box is left of you and the goal is further left. Which way?",
        },
    ],
]


class EngineCheckError(AssertionError):
    """An engine breaks the contract the trial loop and the actor rely on."""


def check_engine(engine: Engine, max_new_tokens: int = 6) -> None:
    """Raise :class:`EngineCheckError` unless ``engine`` keeps the Engine contract:

    - one :class:`Completion` per prompt, in prompt order, and a prompt's ``prompt_ids``
      do not depend on where it sits in the batch;
    - at most ``max_new_tokens`` response ids; ``finish_reason`` is ``"stop"`` or
      ``"length"``, and ``"length"`` means exactly ``max_new_tokens`` ids;
    - log-probs, when given, are one finite value <= 0 per response token;
    - the same seed gives the same completions; greedy decoding is seed-independent;
    - an empty batch gives an empty list.
    """
    if not isinstance(engine, Engine):
        raise EngineCheckError(f"{type(engine).__name__} lacks generate() or load_weights()")
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=max_new_tokens)
    first = engine.generate(_PROMPTS, sampling, seed=11)
    if len(first) != len(_PROMPTS):
        raise EngineCheckError(
            f"{len(_PROMPTS)} prompts gave {len(first)} completions: the trial loop pairs them by index"
        )
    for completion in first:
        _check_completion(completion, max_new_tokens)
    lengths = [len(c.prompt_ids) for c in first]
    if lengths != sorted(lengths) or len(set(lengths)) != len(lengths):
        raise EngineCheckError(
            f"prompt_ids lengths {lengths} do not follow the prompts' lengths: completions are out of order"
        )
    reordered = engine.generate(list(reversed(_PROMPTS)), sampling, seed=11)
    if [c.prompt_ids for c in reversed(reordered)] != [c.prompt_ids for c in first]:
        raise EngineCheckError("a prompt's ids depend on its position in the batch")
    again = engine.generate(_PROMPTS, sampling, seed=11)
    if [c.response_ids for c in again] != [c.response_ids for c in first]:
        raise EngineCheckError(
            "the same seed gave different completions: rollouts would not be reproducible"
        )
    greedy = SamplingConfig(temperature=0.0, max_new_tokens=max_new_tokens)
    if [c.response_ids for c in engine.generate(_PROMPTS, greedy, seed=1)] != [
        c.response_ids for c in engine.generate(_PROMPTS, greedy, seed=2)
    ]:
        raise EngineCheckError("greedy decoding (temperature 0) depends on the seed")
    if engine.generate([], sampling, seed=0) != []:
        raise EngineCheckError("an empty batch must give an empty list")


def _check_completion(completion: Completion, max_new_tokens: int) -> None:
    if not isinstance(completion, Completion):
        raise EngineCheckError(
            f"generate() must return Completion objects, got {type(completion).__name__}"
        )
    if not isinstance(completion.text, str):
        raise EngineCheckError("Completion.text must be a str")
    if not completion.prompt_ids:
        raise EngineCheckError(
            "Completion.prompt_ids is empty: the actor cannot score the response"
        )
    n = len(completion.response_ids)
    if n > max_new_tokens:
        raise EngineCheckError(f"{n} response ids exceed max_new_tokens={max_new_tokens}")
    if completion.finish_reason not in ("stop", "length"):
        raise EngineCheckError(
            f"finish_reason must be 'stop' or 'length', got {completion.finish_reason!r}"
        )
    if completion.finish_reason == "length" and n != max_new_tokens:
        raise EngineCheckError(
            f"finish_reason 'length' with {n} ids, not max_new_tokens={max_new_tokens}"
        )
    if completion.log_probs is not None:
        if len(completion.log_probs) != n:
            raise EngineCheckError(f"{len(completion.log_probs)} log-probs for {n} response ids")
        if not all(math.isfinite(x) and x <= 1e-6 for x in completion.log_probs):
            raise EngineCheckError("log-probs must be finite and <= 0")
