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
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from lamer_core.seeding import make_rng
from lamer_envs.webshop.catalog import Catalog

PRICE_CEILINGS: tuple[float, ...] = tuple(10.0 * i for i in range(1, 100))
"""Upstream's ``PRICE_RANGE``: candidate ceilings 10, 20, ..., 990 dollars."""

NO_PRICE_LIMIT = 1000000
"""Upstream's ceiling when no listed ceiling lies above the price."""


@dataclass(frozen=True, slots=True)
class GoalSplit:
    """The fixed split of a goal list."""

    train: list[dict[str, Any]]
    test: list[dict[str, Any]]


def price_ceiling(price: float, rng: np.random.Generator) -> tuple[float, str]:
    """Upstream's ceiling: two of the (up to) four listed ceilings just above ``price``
    are drawn and the larger is kept; ``NO_PRICE_LIMIT`` and no text if fewer than two."""
    above = [ceiling for ceiling in PRICE_CEILINGS if ceiling > price][:4]
    if len(above) < 2:
        return NO_PRICE_LIMIT, ""
    upper = max(above[i] for i in rng.choice(len(above), size=2, replace=False))
    return upper, f", and price lower than {upper:.2f} dollars"


def synthetic_goals(
    catalog: Catalog, seed: int = 0, option_style: str = "dict"
) -> list[dict[str, Any]]:
    """One goal per option combination of each product with an instruction."""
    if option_style not in ("dict", "list"):
        raise ValueError(f"option_style must be 'dict' or 'list', got {option_style!r}")
    rng = make_rng(seed, "webshop-price-ceiling", "synthetic")
    goals: list[dict[str, Any]] = []
    attribute_counts: dict[str, int] = defaultdict(int)
    for product in catalog.products:
        attributes = product.get("instruction_attributes")
        if not product.get("instruction_text") or not attributes:
            continue  # upstream asserts attributes; a goal without them has no score
        asin = product["asin"]
        price_upper, price_text = price_ceiling(catalog.prices[asin], rng)
        option_names = sorted(product["options"])
        for combination in itertools.product(*(product["options"][n] for n in option_names)):
            chosen = dict(zip(option_names, combination, strict=True))
            option_text = ", and ".join(f"{name}: {value}" for name, value in chosen.items())
            option_text = f" with {option_text}" if option_text else ""
            goals.append(
                {
                    "asin": asin,
                    "category": product["category"],
                    "query": product["query"],
                    "name": product["Title"],
                    "product_category": product["product_category"],
                    "instruction_text": f"{product['instruction_text']}{option_text}{price_text}",
                    "attributes": list(attributes),
                    "price_upper": price_upper,
                    "goal_options": chosen if option_style == "dict" else list(chosen.values()),
                }
            )
            for attribute in attributes:
                attribute_counts[attribute] += 1
    for goal in goals:
        # Upstream's sampling weight: rarer attributes weigh more.
        goal["weight"] = sum(1.0 / attribute_counts[a] for a in goal["attributes"]) / len(
            goal["attributes"]
        )
    return goals


def human_goals(catalog: Catalog, seed: int = 0) -> list[dict[str, Any]]:
    """One goal per human instruction (products loaded with a human instruction file)."""
    rng = make_rng(seed, "webshop-price-ceiling", "human")
    goals = []
    for product in catalog.products:
        asin = product["asin"]
        for instruction in product.get("instructions") or []:
            attributes = instruction.get("instruction_attributes") or []
            if not attributes:
                continue  # upstream skips these
            price_upper, price_text = price_ceiling(catalog.prices[asin], rng)
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


def split_goals(goals: list[dict[str, Any]], seed: int = 0, num_test: int = 500) -> GoalSplit:
    """Shuffle once with ``seed``; the first ``min(num_test, len // 5)`` goals are the
    test split (at least one when there are two or more goals), the rest train."""
    if len(goals) < 2:
        raise ValueError(f"need at least 2 goals to split, got {len(goals)}")
    order = make_rng(seed, "webshop-goal-split").permutation(len(goals))
    shuffled = [goals[int(i)] for i in order]
    test_size = max(1, min(num_test, len(goals) // 5))
    return GoalSplit(train=shuffled[test_size:], test=shuffled[:test_size])
