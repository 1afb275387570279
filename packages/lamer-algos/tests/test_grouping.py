import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lamer_algos.grouping import first_appearance_codes, group_codes, group_stats

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None)


@PROPERTY
@given(
    groups=st.lists(st.integers(-3, 3), min_size=0, max_size=40).flatmap(
        lambda g: st.tuples(
            st.just(g), st.lists(st.sampled_from(["a", "b", "long " * 20]), min_size=len(g),
                                 max_size=len(g))
        )
    )
)  # fmt: skip
def test_group_codes_partition_rows_exactly_by_their_keys(groups) -> None:
    ints, strings = groups
    codes, count = group_codes(np.array(ints, dtype=np.int64), np.array(strings, dtype=object))
    pairs = list(zip(ints, strings, strict=True))
    assert count == len(set(pairs))
    assert codes.shape == (len(ints),)
    for i in range(len(pairs)):
        for j in range(len(pairs)):
            assert (codes[i] == codes[j]) == (pairs[i] == pairs[j])


def test_first_appearance_codes_number_groups_in_row_order() -> None:
    codes, _ = group_codes(np.array(["z", "a", "z", "m", "a"], dtype=object))
    np.testing.assert_array_equal(first_appearance_codes(codes), [0, 1, 0, 2, 1])


def test_group_stats_match_numpy_per_group() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=50)
    codes, count = group_codes(rng.integers(0, 6, size=50))
    stats = group_stats(values, codes, count)
    for group in range(count):
        members = values[codes == group]
        assert stats.count[group] == len(members)
        assert stats.mean[group] == pytest.approx(members.mean(), abs=1e-12)
        if len(members) > 1:
            assert stats.std[group] == pytest.approx(members.std(ddof=1), abs=1e-12)
        else:
            assert np.isnan(stats.std[group])


def test_unhashable_keys_get_a_clear_error() -> None:
    keys = np.empty(2, dtype=object)
    keys[0], keys[1] = [1], [2]
    with pytest.raises(ValueError, match="hashable"):
        group_codes(keys)
