"""Fitting a prompt into ``max_prompt_tokens`` by dropping the oldest material first.

A prompt is built as a list of text parts. The builder also lists *drops*, in the order
they should be applied (oldest, least useful material first); each drop replaces some
parts with shorter text (often ``""`` or a one-line note). :func:`fit_parts` applies the
fewest leading drops that make the prompt fit.

Guarantees (tested):

- deterministic: the same parts, drops, budget and counter give the same text;
- monotone: with a smaller budget the applied drops are a superset (a longer prefix of
  the same list), for *any* token counter, because the number of drops is the smallest
  ``k`` whose prompt fits;
- parts that no drop names (the rules, the current state, the latest reflection, the
  answer format) are never changed. When even every drop does not fit, the shortest
  prompt is returned with ``fits=False``; nothing raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

TokenCounter = Callable[[str], int]
"""Number of tokens of a text (the trainer passes its tokenizer's counter)."""

Drop = tuple[tuple[int, str], ...]
"""One drop: ``(part index, replacement text)`` pairs applied together."""


def approx_token_count(text: str) -> int:
    """Cheap default token estimate: one token per 3 characters, rounded up.

    Deliberately pessimistic: BPE tokenizers average about 4 characters per token on
    English prose, but the envs' grids (``"# _ X P"``) and non-Latin text cost nearly one
    token per 1-2 characters. Pass the real tokenizer's counter for exact budgets.
    """
    return (len(text) + 2) // 3


@dataclass(frozen=True, slots=True)
class FittedText:
    """The joined text of the parts after fitting."""

    text: str
    num_tokens: int
    """Tokens of ``text`` plus the fixed tokens (e.g. the system message)."""
    num_dropped: int
    """How many leading drops were applied."""
    fits: bool
    """``num_tokens <= max_tokens``."""


def fit_parts(
    parts: Sequence[str],
    drops: Sequence[Drop] | Callable[[], Sequence[Drop]],
    *,
    max_tokens: int,
    count_tokens: TokenCounter = approx_token_count,
    fixed_tokens: int = 0,
) -> FittedText:
    """Join ``parts``, applying the fewest leading ``drops`` that fit ``max_tokens``.

    ``fixed_tokens`` counts text outside ``parts`` that is never dropped (the system
    message). ``drops`` may be a zero-argument callable returning them, called only when
    the joined parts do not fit. The counter is called once when the prompt fits as is,
    and once more per applied drop otherwise.
    """
    text = "".join(parts)
    num_tokens = fixed_tokens + count_tokens(text)
    if num_tokens <= max_tokens:
        return FittedText(text, num_tokens, 0, True)
    if callable(drops):
        drops = drops()
    working = list(parts)
    applied = 0
    while num_tokens > max_tokens and applied < len(drops):
        for index, replacement in drops[applied]:
            working[index] = replacement
        applied += 1
        text = "".join(working)
        num_tokens = fixed_tokens + count_tokens(text)
    return FittedText(text, num_tokens, applied, num_tokens <= max_tokens)
