"""Shopping goals, built the WebShop way, and the fixed train/test split.

- :func:`synthetic_goals`: one goal per option combination of every product that has
  an instruction; the text is ``"{instruction} with {name}: {value}, and ...{price}"``
  and the price ceiling is drawn above the product's price (upstream's
  ``get_synthetic_goals``). Goal options are a dict ``name -> value`` as upstream,
  or, with ``option_style="list"``, just the values (the human-goal form, which
  avoids the reward's dict quirk, see ``reward.py``).
- :func:`human_goals`: one goal per human-written instruction (upstream's
  ``get_human_goals``), when the human instruction file is loaded.
- :func:`split_goals`: one fixed seeded shuffle; the first ``num_test`` goals are the
  test split and are never used for training.

A goal is a dict with upstream's keys: ``asin, category, query, name,
product_category, instruction_text, attributes, price_upper, goal_options, weight``.
Synthetic goals are many (one per combination: ~7 per product), so they live in a
:class:`SyntheticGoals` table that builds each dict on access.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lamer_core.seeding import make_rng
from lamer_envs.webshop.catalog import Catalog

PRICE_CEILINGS: tuple[float, ...] = tuple(10.0 * i for i in range(1, 100))
"""Upstream's ``PRICE_RANGE``: candidate ceilings 10, 20, ..., 990 dollars."""

NO_PRICE_LIMIT = 1000000
"""Upstream's ceiling when no listed ceiling lies above the price."""

Goal = dict[str, Any]


def price_ceiling(price: float, uniforms: Sequence[float]) -> tuple[float, str]:
    """Upstream's ceiling: two of the (up to) four listed ceilings just above ``price``
    are drawn and the larger is kept; ``NO_PRICE_LIMIT`` and no text if fewer than two.

    ``uniforms``: four numbers in [0, 1) that decide the draw (the two candidates with
    the smallest numbers are drawn)."""
    above = [ceiling for ceiling in PRICE_CEILINGS if ceiling > price][:4]
    if len(above) < 2:
        return NO_PRICE_LIMIT, ""
    drawn = sorted(range(len(above)), key=lambda i: uniforms[i])[:2]
    upper = max(above[i] for i in drawn)
    return upper, f", and price lower than {upper:.2f} dollars"


@dataclass(frozen=True, slots=True)
class _ProductGoals:
    """What the goals of one product share."""

    product: dict[str, Any]
    option_names: tuple[str, ...]
    price_upper: float
    price_text: str
    weight: float


class SyntheticGoals(Sequence[Goal]):
    """One goal per (product, option combination), in catalog then
    ``itertools.product`` order; goal dicts are built on access."""

    def __init__(self, catalog: Catalog, seed: int = 0, option_style: str = "dict") -> None:
        if option_style not in ("dict", "list"):
            raise ValueError(f"option_style must be 'dict' or 'list', got {option_style!r}")
        self.option_style = option_style
        uniforms = make_rng(seed, "webshop-price-ceiling", "synthetic").random(
            (len(catalog.products), 4)
        )
        entries: list[tuple[dict[str, Any], tuple[str, ...], float, str]] = []
        counts: list[int] = []
        attribute_counts: dict[str, int] = defaultdict(int)
        for position, product in enumerate(catalog.products):
            attributes = product.get("instruction_attributes")
            if not product.get("instruction_text") or not attributes:
                continue  # upstream asserts attributes; a goal without them has no score
            price_upper, price_text = price_ceiling(
                catalog.prices[product["asin"]], uniforms[position].tolist()
            )
            names = tuple(sorted(product["options"]))
            count = math.prod(len(product["options"][name]) for name in names)
            if count == 0:
                continue  # an option without values: no combination to ask for
            entries.append((product, names, price_upper, price_text))
            counts.append(count)
            for attribute in attributes:
                attribute_counts[attribute] += count
        self._products = [
            # Upstream's sampling weight: rarer attributes weigh more.
            _ProductGoals(
                product,
                names,
                price_upper,
                price_text,
                sum(1.0 / attribute_counts[a] for a in product["instruction_attributes"])
                / len(product["instruction_attributes"]),
            )
            for product, names, price_upper, price_text in entries
        ]
        self._ends = np.cumsum(np.asarray(counts, dtype=np.int64))

    def __len__(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0

    def __getitem__(self, index: int) -> Goal:  # type: ignore[override]
        if not isinstance(index, int | np.integer):
            raise TypeError("goal tables are indexed by int")
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"goal index {index} out of range [0, {len(self)})")
        position = int(np.searchsorted(self._ends, index, side="right"))
        shared = self._products[position]
        start = int(self._ends[position - 1]) if position else 0
        return self._build(shared, int(index) - start)

    def _build(self, shared: _ProductGoals, combination: int) -> Goal:
        product = shared.product
        values = []
        for name in reversed(shared.option_names):  # itertools.product: last name fastest
            choices = product["options"][name]
            combination, pick = divmod(combination, len(choices))
            values.append(choices[pick])
        chosen = dict(zip(shared.option_names, reversed(values), strict=True))
        option_text = ", and ".join(f"{name}: {value}" for name, value in chosen.items())
        option_text = f" with {option_text}" if option_text else ""
        return {
            "asin": product["asin"],
            "category": product["category"],
            "query": product["query"],
            "name": product["Title"],
            "product_category": product["product_category"],
            "instruction_text": f"{product['instruction_text']}{option_text}{shared.price_text}",
            "attributes": list(product["instruction_attributes"]),
            "price_upper": shared.price_upper,
            "goal_options": chosen if self.option_style == "dict" else list(chosen.values()),
            "weight": shared.weight,
        }


def synthetic_goals(catalog: Catalog, seed: int = 0, option_style: str = "dict") -> SyntheticGoals:
    """One goal per option combination of each product with an instruction."""
    return SyntheticGoals(catalog, seed, option_style)


def human_goals(catalog: Catalog, seed: int = 0) -> list[Goal]:
    """One goal per human instruction (products loaded with a human instruction file)."""
    rng = make_rng(seed, "webshop-price-ceiling", "human")
    goals = []
    for product in catalog.products:
        asin = product["asin"]
        for instruction in product.get("instructions") or []:
            attributes = instruction.get("instruction_attributes") or []
            if not attributes:
                continue  # upstream skips these
            price_upper, price_text = price_ceiling(catalog.prices[asin], rng.random(4).tolist())
            goals.append(
                {
                    "asin": asin,
                    "category": product["category"],
                    "query": product["query"],
                    "name": product["name"],
                    "product_category": product["product_category"],
                    "instruction_text": str(instruction.get("instruction", "")).strip(".")
                    + price_text,
                    "attributes": list(attributes),
                    "price_upper": price_upper,
                    "goal_options": list(instruction.get("instruction_options") or []),
                    "weight": 1,
                }
            )
    return goals


class GoalView(Sequence[Goal]):
    """Some goals of a table, by position (a split)."""

    def __init__(self, goals: Sequence[Goal], positions: np.ndarray) -> None:
        self._goals = goals
        self._positions = positions

    def __len__(self) -> int:
        return len(self._positions)

    def __getitem__(self, index: int) -> Goal:  # type: ignore[override]
        return self._goals[int(self._positions[index])]


@dataclass(frozen=True, slots=True)
class GoalSplit:
    """The fixed split of a goal table."""

    train: GoalView
    test: GoalView
    all: GoalView
    """Train goals, then test goals."""


def split_goals(goals: Sequence[Goal], seed: int = 0, num_test: int = 500) -> GoalSplit:
    """Shuffle once with ``seed``; the first ``min(num_test, len // 5)`` goals are the
    test split (at least one when there are two or more goals), the rest train."""
    if len(goals) < 2:
        raise ValueError(f"need at least 2 goals to split, got {len(goals)}")
    order = make_rng(seed, "webshop-goal-split").permutation(len(goals))
    test_size = max(1, min(num_test, len(goals) // 5))
    return GoalSplit(
        train=GoalView(goals, order[test_size:]),
        test=GoalView(goals, order[:test_size]),
        all=GoalView(goals, np.concatenate([order[test_size:], order[:test_size]])),
    )
