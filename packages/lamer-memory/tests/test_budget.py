"""fit_parts: deterministic, monotone in the budget, minimal number of drops."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lamer_memory.budget import PartwiseTokenCounter, approx_token_count, fit_parts


def test_approx_token_count_rounds_up_a_third_of_the_characters():
    assert [approx_token_count("x" * n) for n in (0, 1, 3, 4, 9)] == [0, 1, 1, 2, 3]


def test_fitting_prompt_is_returned_unchanged_with_one_count_call():
    calls = []

    def counter(text: str) -> int:
        calls.append(text)
        return len(text)

    fitted = fit_parts(["ab", "cd"], [((0, ""),)], max_tokens=4, count_tokens=counter)
    assert (fitted.text, fitted.num_tokens, fitted.num_dropped, fitted.fits) == ("abcd", 4, 0, True)
    assert calls == ["abcd"]


def test_drops_are_applied_in_order_until_the_text_fits():
    parts = ["keep", "-old-", "-older-", "keep"]
    drops = [((2, ""),), ((1, "~"),)]
    fitted = fit_parts(parts, drops, max_tokens=13, count_tokens=len)
    assert (fitted.text, fitted.num_dropped) == ("keep-old-keep", 1)
    fitted = fit_parts(parts, drops, max_tokens=9, count_tokens=len)
    assert (fitted.text, fitted.num_dropped, fitted.fits) == ("keep~keep", 2, True)


def test_fixed_tokens_count_against_the_budget():
    fitted = fit_parts(["abc", "def"], [((1, ""),)], max_tokens=6, count_tokens=len, fixed_tokens=2)
    assert (fitted.text, fitted.num_tokens) == ("abc", 5)


def test_unfittable_text_is_returned_shortest_with_fits_false():
    fitted = fit_parts(["abcdef", "gh"], [((1, ""),)], max_tokens=2, count_tokens=len)
    assert (fitted.text, fitted.num_dropped, fitted.fits) == ("abcdef", 1, False)


def test_partwise_counter_sums_memoised_part_counts():
    calls = []

    def counter(text: str) -> int:
        calls.append(text)
        return len(text.split())

    partwise = PartwiseTokenCounter(counter)
    assert partwise.count_parts(["a b", "", "c", "a b"]) == 5
    assert partwise("a b") == 2
    assert calls == ["a b", "c"]  # each distinct non-empty part tokenized once


def test_partwise_counter_is_used_part_by_part_in_fit_parts():
    partwise = PartwiseTokenCounter(lambda text: len(text.split()))
    # Joined, "ab" + "cd" is one word; part by part it is two.
    fitted = fit_parts(["ab", "cd"], [((1, ""),)], max_tokens=1, count_tokens=partwise)
    assert (fitted.text, fitted.num_tokens, fitted.num_dropped) == ("ab", 1, 1)


def test_partwise_counter_memo_is_bounded():
    partwise = PartwiseTokenCounter(len, max_entries=2)
    for text in ("a", "bb", "ccc", "dddd"):
        assert partwise(text) == len(text)
    assert len(partwise._cache) <= 2


COUNTERS = [
    approx_token_count,
    len,
    lambda t: len(t.split()),
    lambda t: len(t.encode()),
    PartwiseTokenCounter(lambda t: len(t.split())),
]


@st.composite
def _parts_and_drops(draw):
    parts = draw(st.lists(st.text(max_size=40), min_size=1, max_size=12))
    n = len(parts)
    drops = draw(
        st.lists(
            st.lists(
                st.tuples(st.integers(0, n - 1), st.text(max_size=5)), min_size=1, max_size=3
            ).map(tuple),
            max_size=8,
        )
    )
    return parts, drops


@settings(max_examples=150, deadline=None)
@given(
    _parts_and_drops(),
    st.integers(0, 200),
    st.integers(0, 200),
    st.sampled_from(range(len(COUNTERS))),
)
def test_more_budget_never_means_more_drops(parts_drops, budget_a, budget_b, counter_index):
    parts, drops = parts_drops
    counter = COUNTERS[counter_index]
    small, large = sorted((budget_a, budget_b))
    fit_small = fit_parts(parts, drops, max_tokens=small, count_tokens=counter)
    fit_large = fit_parts(parts, drops, max_tokens=large, count_tokens=counter)
    assert fit_small.num_dropped >= fit_large.num_dropped
    # Shortcuts (length tracking, additive part counts) give the same count as recounting.
    count_parts = getattr(counter, "count_parts", None)
    if count_parts is None:
        assert fit_small.num_tokens == counter(fit_small.text)
    assert fit_parts(parts, drops, max_tokens=small, count_tokens=counter) == fit_small
    # Minimal: one drop fewer would not have fitted.
    if fit_small.num_dropped:
        working = list(parts)
        for drop in drops[: fit_small.num_dropped - 1]:
            for index, replacement in drop:
                working[index] = replacement
        count_parts = getattr(counter, "count_parts", None)
        before = count_parts(working) if count_parts else counter("".join(working))
        assert before > small
