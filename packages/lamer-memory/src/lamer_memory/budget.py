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

    English prose runs about 4 characters per token, the envs' grids (``"# _ X P"``)
    about 2; on the prompts of the four envs this estimate is within 0.75-1.25x of the
    Qwen tokenizer's count. It is an estimate, not a bound: pass the real tokenizer's
    counter when the budget must hold exactly.
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
    the joined parts do not fit. The counter is called on the joined text once when the
    prompt fits as is, and once more per applied drop otherwise; a
    :class:`PartwiseTokenCounter` counts the parts instead (memoised).
    """
    count_parts = getattr(count_tokens, "count_parts", None)
    text = "".join(parts)
    if count_parts is None:
        num_tokens = fixed_tokens + count_tokens(text)
    else:
        num_tokens = fixed_tokens + count_parts(parts)
    if num_tokens <= max_tokens:
        return FittedText(text, num_tokens, 0, True)
    if callable(drops):
        drops = drops()
    working = list(parts)
    applied = 0
    # The default estimate depends on the length only: track it instead of re-joining.
    length = len(text) if count_tokens is approx_token_count else -1
    while num_tokens > max_tokens and applied < len(drops):
        for index, replacement in drops[applied]:
            if count_parts is not None:
                # Part counts are additive: update the total instead of recounting.
                num_tokens += count_parts((replacement,)) - count_parts((working[index],))
            elif length >= 0:
                length += len(replacement) - len(working[index])
            working[index] = replacement
        applied += 1
        if length >= 0:
            num_tokens = fixed_tokens + (length + 2) // 3
        elif count_parts is None:
            num_tokens = fixed_tokens + count_tokens("".join(working))
    text = "".join(working)
    return FittedText(text, num_tokens, applied, num_tokens <= max_tokens)


class PartwiseTokenCounter:
    """Wraps a real tokenizer's counter to count a prompt as the sum of its parts.

    Prompt parts (observations, reflections, turn lines, headings) recur from turn to
    turn and across trials of the same task, so each distinct part is tokenized once and
    its count memoised; a new turn then costs about one observation's tokenization
    instead of the whole prompt's. The sum can differ from the joined text's count where
    tokens would merge across a part boundary; on the envs' prompts with the Qwen
    tokenizer it is 3-8 tokens above it, never below.

    Called on a plain string it counts that string (memoised as well). The memo is
    cleared when it holds ``max_entries`` strings.
    """

    __slots__ = ("_cache", "_count", "max_entries")

    def __init__(self, count_tokens: TokenCounter, max_entries: int = 200_000) -> None:
        self._count = count_tokens
        self._cache: dict[str, int] = {}
        self.max_entries = max_entries

    def __call__(self, text: str) -> int:
        return self.count_parts((text,))

    def count_parts(self, parts: Sequence[str]) -> int:
        """Sum of the memoised token counts of ``parts``."""
        cache = self._cache
        total = 0
        for part in parts:
            tokens = cache.get(part)
            if tokens is None:
                tokens = self._count(part) if part else 0
                if len(cache) >= self.max_entries:
                    cache.clear()
                cache[part] = tokens
            total += tokens
        return total
