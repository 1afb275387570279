"""Goals: one per option combination, price ceilings above the price, a fixed split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lamer_envs.webshop.catalog import load_catalog
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


def test_list_style_keeps_only_the_values(catalog) -> None:
    goals = synthetic_goals(catalog, option_style="list")
    tea = next(g for g in goals if g["asin"] == "B01TEA0001")
    assert tea["goal_options"] == ["jasmine", "20 count"]


def test_price_ceiling_picks_the_larger_of_two_of_the_next_four_tens() -> None:
    rng = np.random.default_rng(0)
    ceilings = {price_ceiling(12.99, rng)[0] for _ in range(200)}
    assert ceilings == {30.0, 40.0, 50.0}
    assert price_ceiling(985.0, rng) == (NO_PRICE_LIMIT, "")


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
    assert len(split.train) + len(split.test) == len(goals)
    test_texts = {g["instruction_text"] for g in split.test}
    assert not test_texts & {g["instruction_text"] for g in split.train}
    again = split_goals(synthetic_goals(catalog), seed=0, num_test=500)
    assert [g["instruction_text"] for g in again.test] == [
        g["instruction_text"] for g in split.test
    ]
