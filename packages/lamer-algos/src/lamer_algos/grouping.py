"""Vectorised group statistics: the building block of every group-relative estimator.

Groups are found with ``np.unique(..., return_inverse=True)`` and reduced with
``np.bincount``; nothing loops over rows in Python and no per-group ids (uuids) are made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The reference builds its single-member fallback std as a float32 tensor; ``1 + eps``
#: is therefore rounded to float32 even in float64 runs (1.00000095 for eps = 1e-6).
#: Reproduced so that lone samples match it bit for bit.
SINGLE_MEMBER_STD = 1.0


def single_member_divisor(epsilon: float) -> float:
    """``std + epsilon`` of a single-member group, rounded through float32 like the reference."""
    return float(np.float32(np.float32(SINGLE_MEMBER_STD) + np.float32(epsilon)))


def group_codes(*keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense group codes ``0..k-1``: rows get the same code iff they share every key.

    The numbering itself carries no meaning (use :func:`first_appearance_codes` for a
    canonical one).

    Args:
        keys: 1-D arrays of equal length ``n`` (ints, strings or other hashable values).

    Returns:
        ``(codes, k)``: int64 array of shape ``(n,)`` and the number of distinct groups.
    """
    if not keys:
        raise ValueError("group_codes needs at least one key")
    codes, count = _codes_of(keys[0])
    for key in keys[1:]:
        more, more_count = _codes_of(key)
        if len(more) != len(codes):
            raise ValueError(f"group keys differ in length: {len(codes)} and {len(more)}")
        # Both codes are < n, so the combined key fits int64.
        codes, count = _dense(codes * more_count + more, count * more_count)
    return codes, count


def _codes_of(key: np.ndarray) -> tuple[np.ndarray, int]:
    key = np.asarray(key)
    if key.ndim != 1:
        raise ValueError(f"group keys must be 1-D, got shape {key.shape}")
    if key.size == 0:
        return np.zeros(0, dtype=np.int64), 0
    if key.dtype == object:
        # Python objects (anchor strings): hashing each once beats sorting them (np.unique
        # compares objects in Python) or widening them to fixed-width unicode (memory grows
        # with the longest string). setdefault maps each row to the first row holding its
        # key, iterating in C.
        table: dict[object, int] = {}
        try:
            first_row = np.fromiter(map(table.setdefault, key, range(len(key))), np.int64, len(key))
        except TypeError as error:
            raise ValueError(f"group keys must be hashable: {error}") from error
        return _dense(first_row, len(key))
    return _dense(key, None)


def _dense(values: np.ndarray, upper: int | None) -> tuple[np.ndarray, int]:
    """Renumber values to ``0..k-1``; a presence table when they are small ints in ``[0, upper)``."""
    n = len(values)
    if upper is not None and upper <= 8 * n + 1024:
        present = np.zeros(upper, dtype=bool)
        present[values] = True
        rank = np.cumsum(present) - 1
        return rank[values], int(rank[-1]) + 1 if upper else 0
    uniques, inverse = np.unique(values, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64, copy=False), len(uniques)


def first_appearance_codes(codes: np.ndarray) -> np.ndarray:
    """Renumber group codes by the order in which groups first appear in the rows."""
    if codes.size == 0:
        return codes.copy()
    _, first_rows, inverse = np.unique(codes, return_index=True, return_inverse=True)
    rank = np.empty(len(first_rows), dtype=np.int64)
    rank[np.argsort(first_rows, kind="stable")] = np.arange(len(first_rows))
    return rank[inverse.reshape(-1)]


def first_row_of_each(codes: np.ndarray) -> np.ndarray:
    """Boolean mask, shape ``(n,)``: True at the first row (batch order) of every code."""
    counted = np.zeros(codes.shape, dtype=bool)
    if codes.size:
        _, first_rows = np.unique(codes, return_index=True)
        counted[first_rows] = True
    return counted


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Per-group statistics, each array of shape ``(k,)``."""

    count: np.ndarray
    """int64: rows counted in the group."""
    mean: np.ndarray
    """float64: mean of the counted values (0 for an empty group)."""
    std: np.ndarray
    """float64: unbiased (n-1) standard deviation; NaN for groups with fewer than 2 rows."""


def group_stats(
    values: np.ndarray, codes: np.ndarray, num_groups: int, counted: np.ndarray | None = None
) -> GroupStats:
    """Mean and unbiased std of ``values`` per group.

    Args:
        values: float array ``(n,)``.
        codes: dense group code per row, ``(n,)``, in ``0..num_groups-1``.
        num_groups: number of groups ``k``.
        counted: optional boolean ``(n,)``; only these rows enter the statistics.
    """
    weights = None if counted is None else counted.astype(np.float64)
    count = np.bincount(codes, weights=weights, minlength=num_groups)
    total = np.bincount(
        codes, weights=values if weights is None else values * weights, minlength=num_groups
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        # Two passes (deviations from the mean) for the accuracy of torch.std.
        deviation = values - mean[codes]
        squares = deviation * deviation if weights is None else deviation * deviation * weights
        sum_squares = np.bincount(codes, weights=squares, minlength=num_groups)
        std = np.where(count > 1, np.sqrt(sum_squares / np.maximum(count - 1, 1)), np.nan)
    return GroupStats(count=count.astype(np.int64), mean=mean, std=std)


def normalize_in_groups(
    values: np.ndarray,
    codes: np.ndarray,
    num_groups: int,
    *,
    divide_by_std: bool,
    epsilon: float,
    single_member: str,
    counted: np.ndarray | None = None,
) -> np.ndarray:
    """``values - group mean`` (optionally ``/ (unbiased std + epsilon)``) for every row.

    Args:
        values: float ``(n,)``; codes: dense group code per row ``(n,)``.
        divide_by_std: False gives ``x - mean`` (``mean_norm``), True ``(x - mean) / (std + eps)``.
        epsilon: added to the std; an all-equal group therefore divides by ``epsilon``
            alone and gives 0 only when the mean reproduces the value exactly.
        single_member: what a group with one counted row gives:
            ``"raw"`` (mean 0, std 1: the value itself, or ``value / (1 + eps)``; reference
            GRPO and GiGPO episode groups) or ``"zero"`` (the row is its own mean; reference
            GiGPO step groups).
        counted: optional boolean ``(n,)``; only these rows enter the statistics, but every
            row gets an advantage from its own value.

    Returns:
        float64 ``(n,)``.
    """
    stats = group_stats(values, codes, num_groups, counted)
    lone = (stats.count <= 1)[codes]
    centred = values - stats.mean[codes]
    if divide_by_std:
        with np.errstate(invalid="ignore"):
            centred = centred / (stats.std[codes] + epsilon)
    if single_member == "raw":
        lone_value = values / single_member_divisor(epsilon) if divide_by_std else values
    elif single_member == "zero":
        lone_value = np.zeros_like(values)
    else:
        raise ValueError(f"single_member must be 'raw' or 'zero', got {single_member!r}")
    return np.where(lone, lone_value, centred)
