"""Conformance suite for advantage estimators: ``check_estimator(fn)``.

Plugin authors run it in their own tests::

    from lamer_algos.testing import check_estimator

    def test_my_estimator_conforms():
        check_estimator(my_estimator, group_relative=True)

It draws small random batches with hypothesis (derandomised: the same examples on every
run) and asserts, for every estimator:

- **shape**: ``(n,)`` for row-level estimators, ``(n, T)`` with ``token_level=True``;
- **finite** float outputs, also when every group has a single row;
- **purity**: inputs are not modified and a second call gives the same result;
- **permutation equivariance**: shuffling the rows shuffles the advantages the same way
  (so also within groups); estimators with order-dependent options (e.g. GRPO's
  ``stats_over_all_rows=False``) fail it by design;
- row-level only: an **empty batch** gives an empty result.

and, with ``group_relative=True`` (advantages depend on scores only relative to the
row's group):

- **shift invariance**: adding a constant to the ``score`` and ``step_return`` of one
  group with at least two rows leaves every advantage unchanged;
- **identical scores**: groups of at least two rows whose rows share one score (and one
  step return) get zero advantage.

Single-member groups are exempt from the two group-relative checks: the reference keeps
a lone sample's raw score (GRPO, RLOO, GiGPO episode part), which is neither zero nor
shift-invariant.

Scores are drawn on a grid of multiples of 1/8, so sums are exact and the checks can
use tight tolerances.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamer_algos.batch import AdvantageInput
from lamer_core.records import StepBatch

#: Absolute tolerance of the equivariance / invariance checks.
TOLERANCE = 1e-8

ANCHORS = ("s0", "s1", "s2", "reflection")


def grid_values(limit: int = 64) -> st.SearchStrategy[float]:
    """Multiples of 1/8 in ``[-limit/8, limit/8]``: exact under sums of a few terms."""
    return st.integers(-limit, limit).map(lambda k: k / 8.0)


@st.composite
def advantage_inputs(
    draw: st.DrawFn,
    *,
    max_groups: int = 4,
    min_group_size: int = 1,
    max_group_size: int = 6,
    max_tokens: int = 6,
) -> AdvantageInput:
    """A batch with every :class:`AdvantageInput` field filled, rows in shuffled order.

    Hypothesis draws the structure (group sizes, token count) and one seed; the arrays
    come from a :class:`numpy.random.Generator` on that seed (fast, and still shrinkable).
    Group ids are sparse ints (not ``0..k-1``); trajectories may span several rows; every
    row has at least one valid token, the batch at least two, and ``T >= 2``.
    """
    sizes = draw(
        st.lists(st.integers(min_group_size, max_group_size), min_size=1, max_size=max_groups)
    )
    tokens = draw(st.integers(2, max_tokens))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = sum(sizes)
    group = rng.permutation(np.repeat(np.arange(len(sizes)) * 7 + 3, sizes))
    mask = rng.integers(0, 2, size=(n, tokens))
    mask[:, 0] = 1
    mask[0, 1] = 1  # whitening needs at least two valid tokens in the batch

    def grid(*shape: int) -> np.ndarray:
        # Multiples of 1/8: sums of a few of them are exact, so tolerances can be tight.
        return rng.integers(-64, 65, size=shape) / 8.0

    return AdvantageInput(
        score=grid(n),
        group_id=group,
        trajectory_id=group * 10 + rng.integers(0, 3, size=n),
        step_return=grid(n),
        anchor=np.array(ANCHORS, dtype=object)[rng.integers(0, len(ANCHORS), size=n)],
        response_mask=mask,
        token_rewards=grid(n, tokens),
        values=grid(n, tokens),
    )


def check_estimator(
    fn: Callable[..., np.ndarray],
    *,
    group_relative: bool = True,
    token_level: bool = False,
    params: Mapping[str, Any] | None = None,
    max_examples: int = 40,
) -> None:
    """Assert that ``fn`` behaves as an estimator must; see the module docstring.

    Args:
        fn: the estimator, called as ``fn(batch, **params)``.
        group_relative: also run the shift-invariance and identical-score checks.
        token_level: ``fn`` returns ``(n, T)`` token advantages instead of ``(n,)``.
        params: keyword arguments passed to every call.
        max_examples: hypothesis examples per property.

    Raises:
        AssertionError: naming the violated property (hypothesis shows the batch).
    """
    kwargs = dict(params or {})
    runner = settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )

    def call(batch: AdvantageInput) -> np.ndarray:
        out = fn(batch, **kwargs)
        _check_output(out, batch, token_level)
        return out

    @runner
    @given(batch=advantage_inputs(), data=st.data())
    def general_properties(batch: AdvantageInput, data: st.DataObject) -> None:
        before = _copy(batch)
        first = call(batch)
        _assert(_same(batch, before), "the estimator modified its input arrays")
        second = call(batch)
        _assert(np.array_equal(first, second), "two calls on the same batch gave different results")
        seed = data.draw(st.integers(0, 2**32 - 1))
        permutation = np.random.default_rng(seed).permutation(len(batch))
        shuffled = call(batch.take(permutation))
        _assert(
            np.allclose(shuffled, first[permutation], rtol=0.0, atol=TOLERANCE),
            "not permutation-equivariant: shuffling the rows changed the advantages "
            f"(largest gap {np.abs(shuffled - first[permutation]).max():.3g})",
        )

    @runner
    @given(batch=advantage_inputs())
    def single_member_groups(batch: AdvantageInput) -> None:
        lone = AdvantageInput(**{**_fields(batch), "group_id": np.arange(len(batch)) * 5 + 1})
        call(lone)

    @runner
    @given(batch=advantage_inputs(), shift=grid_values(), data=st.data())
    def shift_invariance(batch: AdvantageInput, shift: float, data: st.DataObject) -> None:
        groups, counts = np.unique(batch.group_id, return_counts=True)
        shared = groups[counts >= 2]
        if len(shared) == 0:
            return
        target = data.draw(st.sampled_from(sorted(shared.tolist())))
        rows = batch.group_id == target
        shifted = AdvantageInput(
            **{
                **_fields(batch),
                "score": batch.score + shift * rows,
                "step_return": batch.require("step_return") + shift * rows,
            }
        )
        gap = np.abs(call(shifted) - call(batch)).max()
        _assert(
            gap <= TOLERANCE,
            f"not shift-invariant: adding {shift} to the scores of one group changed the "
            f"advantages by up to {gap:.3g}",
        )

    @runner
    @given(batch=advantage_inputs(min_group_size=2), data=st.data())
    def identical_scores(batch: AdvantageInput, data: st.DataObject) -> None:
        groups, codes = np.unique(batch.group_id, return_inverse=True)
        level = np.array(
            data.draw(st.lists(grid_values(), min_size=len(groups), max_size=len(groups)))
        )
        flat = AdvantageInput(
            **{**_fields(batch), "score": level[codes], "step_return": level[codes] / 2}
        )
        out = call(flat)
        _assert(
            np.allclose(out, 0.0, rtol=0.0, atol=TOLERANCE),
            f"groups with identical scores got non-zero advantages (up to {np.abs(out).max():.3g})",
        )

    general_properties()
    single_member_groups()
    if not token_level:
        empty = AdvantageInput(
            score=np.zeros(0),
            group_id=np.zeros(0, dtype=np.int64),
            trajectory_id=np.zeros(0, dtype=np.int64),
            step_return=np.zeros(0),
            anchor=np.zeros(0, dtype=object),
        )
        out = fn(empty, **kwargs)
        _assert(np.shape(out) == (0,), f"an empty batch must give shape (0,), got {np.shape(out)}")
    if group_relative:
        shift_invariance()
        identical_scores()


def _check_output(out: Any, batch: AdvantageInput, token_level: bool) -> None:
    _assert(isinstance(out, np.ndarray), f"must return a numpy array, got {type(out).__name__}")
    expected = (
        (len(batch), batch.require("response_mask").shape[1]) if token_level else (len(batch),)
    )
    _assert(out.shape == expected, f"must return shape {expected}, got {out.shape}")
    _assert(np.issubdtype(out.dtype, np.floating), f"must return floats, got dtype {out.dtype}")
    _assert(bool(np.all(np.isfinite(out))), "returned NaN or infinite advantages")


def _assert(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(f"check_estimator: {message}")


def _fields(batch: AdvantageInput) -> dict[str, Any]:
    return {field.name: getattr(batch, field.name) for field in fields(batch)}


def _copy(batch: AdvantageInput) -> dict[str, Any]:
    return {name: None if v is None else v.copy() for name, v in _fields(batch).items()}


def _same(batch: AdvantageInput, before: dict[str, Any]) -> bool:
    return all(
        (value is None and before[name] is None) or np.array_equal(value, before[name])
        for name, value in _fields(batch).items()
    )


@st.composite
def step_batches(
    draw: st.DrawFn,
    *,
    max_trials: int = 5,
    max_attempts: int = 3,
    max_turns: int = 4,
    reflection: bool | None = None,
) -> StepBatch:
    """A :class:`lamer_core.StepBatch` of whole trials, rows in time order per trial.

    Each trial has 1..``max_attempts`` attempts of 1..``max_turns`` play rows; with
    reflection, every attempt after the first opens with a reflect row, and a trial may
    end with a reflect row whose attempt never started (the rollout stopped there).
    Rewards (reflect rows included, which the returns must ignore) are multiples of 1/8.
    """
    with_reflection = draw(st.booleans()) if reflection is None else reflection
    num_trials = draw(st.integers(1, max_trials))
    rows: list[tuple[int, int, int, bool, int, float]] = []
    for trial in range(num_trials):
        group = draw(st.integers(0, 2))
        attempts = draw(st.integers(1, max_attempts))
        for attempt in range(attempts):
            if attempt > 0 and with_reflection:
                rows.append((group, trial, attempt, True, 0, draw(grid_values())))
            for turn in range(draw(st.integers(1, max_turns))):
                rows.append((group, trial, attempt, False, turn, draw(grid_values())))
        if with_reflection and attempts < max_attempts and draw(st.booleans()):
            rows.append((group, trial, attempts, True, 0, draw(grid_values())))
    group_id, trajectory_id, attempt, is_reflect, turn, reward = (
        np.array(c) for c in zip(*rows, strict=True)
    )
    n = len(rows)
    return StepBatch(
        group_id=group_id.astype(np.int64),
        trajectory_id=trajectory_id.astype(np.int64),
        attempt=attempt.astype(np.int64),
        is_reflect=is_reflect.astype(bool),
        turn=turn.astype(np.int64),
        reward=reward.astype(np.float64),
        done=np.zeros(n, dtype=bool),
        won=np.zeros(n, dtype=bool),
        action_is_valid=np.ones(n, dtype=bool),
        anchor=np.array(["s"] * n, dtype=object),
    )
