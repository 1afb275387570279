"""Goals: one per option combination, price ceilings above the price, a fixed split."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from lamer_core.seeding import make_rng
from lamer_envs.webshop.catalog import build_catalog, load_catalog
from lamer_envs.webshop.generator import generate_catalog_files
from lamer_envs.webshop.goals import (
    NO_PRICE_LIMIT,
    human_goals,
    price_ceiling,
    split_goals,
    synthetic_goals,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(
        FIXTURES / "items_fixture.json",
        FIXTURES / "items_ins_fixture.json",
        human_instructions_file=FIXTURES / "items_human_ins_fixture.json",
    )


def test_one_goal_per_option_combination(catalog) -> None:
    goals = synthetic_goals(catalog)
    per_asin = {asin: sum(g["asin"] == asin for g in goals) for asin in catalog.by_asin}
    # tea 2x2, matcha (no options) 1, mug 3, travel mug 2, socks 3x2, crew socks no instruction 0
    assert per_asin == {
        "B01TEA0001": 4,
        "B01TEA0002": 1,
        "B01MUG0003": 3,
        "B01MUG0004": 2,
        "B01SOC0005": 6,
        "B01SOC0006": 0,
    }
    socks = [g for g in goals if g["asin"] == "B01SOC0005"]
    combos = {tuple(sorted(g["goal_options"].items())) for g in socks}
    assert len(combos) == 6


def test_instruction_text_names_options_and_price(catalog) -> None:
    goals = synthetic_goals(catalog)
    tea = next(g for g in goals if g["asin"] == "B01TEA0001")
    assert tea["goal_options"] == {"flavor name": "jasmine", "size": "20 count"}
    assert tea["instruction_text"] == (
        "i need green tea bags that are caffeine free with flavor name: jasmine, and "
        f"size: 20 count, and price lower than {tea['price_upper']:.2f} dollars"
    )
    assert tea["price_upper"] in (30.0, 40.0, 50.0)  # larger of two of 20..50
    matcha = next(g for g in goals if g["asin"] == "B01TEA0002")
    assert matcha["goal_options"] == {} and " with " not in matcha["instruction_text"]
    for goal in goals:
        assert goal["price_upper"] > catalog.prices[goal["asin"]]
        assert goal["name"] == catalog.by_asin[goal["asin"]]["Title"]
        assert 0 < goal["weight"] <= 1


def eager_synthetic_goals(catalog, seed: int = 0) -> list[dict]:
    """Upstream's eager loop (option combinations in ``itertools.product`` order)."""
    uniforms = make_rng(seed, "webshop-price-ceiling", "synthetic").random((len(catalog), 4))
    goals = []
    for position, product in enumerate(catalog.products):
        if not product.get("instruction_text") or not product.get("instruction_attributes"):
            continue
        price_upper, price_text = price_ceiling(catalog.prices[product["asin"]], uniforms[position])
        names = sorted(product["options"])
        for combination in itertools.product(*(product["options"][n] for n in names)):
            chosen = dict(zip(names, combination, strict=True))
            option_text = ", and ".join(f"{n}: {v}" for n, v in chosen.items())
            option_text = f" with {option_text}" if option_text else ""
            goals.append(
                {
                    "asin": product["asin"],
                    "instruction_text": f"{product['instruction_text']}{option_text}{price_text}",
                    "price_upper": price_upper,
                    "goal_options": chosen,
                }
            )
    return goals


def test_lazy_goal_table_equals_the_eager_upstream_loop() -> None:
    files = generate_catalog_files(300, seed=9)
    catalog = build_catalog(files.products, files.attributes, files.reviews)
    table = synthetic_goals(catalog, seed=2)
    eager = eager_synthetic_goals(catalog, seed=2)
    assert len(table) == len(eager) > 300
    for position in range(0, len(eager), 7):
        goal = table[position]
        assert {key: goal[key] for key in eager[position]} == eager[position]
    assert table[-1]["instruction_text"] == eager[-1]["instruction_text"]
    with pytest.raises(IndexError):
        table[len(table)]


def test_weights_follow_upstream_attribute_rarity(catalog) -> None:
    goals = list(synthetic_goals(catalog))
    counts: dict[str, int] = {}
    for goal in goals:
        for attribute in goal["attributes"]:
            counts[attribute] = counts.get(attribute, 0) + 1
    for goal in goals:
        expected = sum(1 / counts[a] for a in goal["attributes"]) / len(goal["attributes"])
        assert goal["weight"] == pytest.approx(expected)


def test_list_style_keeps_only_the_values(catalog) -> None:
    goals = synthetic_goals(catalog, option_style="list")
    tea = next(g for g in goals if g["asin"] == "B01TEA0001")
    assert tea["goal_options"] == ["jasmine", "20 count"]


def test_price_ceiling_picks_the_larger_of_two_of_the_next_four_tens() -> None:
    rng = np.random.default_rng(0)
    ceilings = {price_ceiling(12.99, rng.random(4))[0] for _ in range(200)}
    assert ceilings == {30.0, 40.0, 50.0}
    assert price_ceiling(12.99, [0.1, 0.9, 0.2, 0.8]) == (
        40.0,
        ", and price lower than 40.00 dollars",
    )
    assert price_ceiling(985.0, rng.random(4)) == (NO_PRICE_LIMIT, "")


def test_human_goals_skip_instructions_without_attributes(catalog) -> None:
    goals = human_goals(catalog)
    assert [g["asin"] for g in goals] == ["B01MUG0003", "B01SOC0005"]
    mug = goals[0]
    assert mug["goal_options"] == ["navy blue"]
    assert mug["instruction_text"].startswith(
        "I want a navy blue coffee mug that is dishwasher safe,"
    )


def test_split_is_fixed_disjoint_and_complete(catalog) -> None:
    goals = synthetic_goals(catalog)
    split = split_goals(goals, seed=0, num_test=500)
    assert len(split.test) == len(goals) // 5
    assert len(split.train) + len(split.test) == len(goals) == len(split.all)
    test_texts = {g["instruction_text"] for g in split.test}
    assert not test_texts & {g["instruction_text"] for g in split.train}
    again = split_goals(synthetic_goals(catalog), seed=0, num_test=500)
    assert [g["instruction_text"] for g in again.test] == [
        g["instruction_text"] for g in split.test
    ]
