"""A scripted shopper that reads the pages like an agent would; a sanity baseline.

It searches with the goal's instruction (without the price clause), ranks the results
by how many instruction words their titles contain (dropping those whose listed price
is above the ceiling), opens the best candidates in turn, and buys the first whose
page offers every requested option value, after clicking them. If the catalog,
search and reward agree, it scores 1.0 on nearly every generated goal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lamer_envs.webshop.catalog import normalize_option_value
from lamer_envs.webshop.env import WebShopEnv

_WORD = re.compile(r"[a-z0-9]+")
_PRICE_CLAUSE = re.compile(r", and price lower than [\d.]+ dollars$")


@dataclass(frozen=True, slots=True)
class OracleResult:
    """How one scripted episode ended."""

    task_score: float
    won: bool
    steps: int
    bought: bool


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _listed_price_ceiling(price_tag: str) -> float:
    """The highest price a results page lists for a product (``$a to $b`` -> b)."""
    numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", price_tag)]
    return max(numbers) if numbers else float("inf")


def play_oracle(env: WebShopEnv, goal_index: int, max_candidates: int = 8) -> OracleResult:
    """Play goal ``goal_index`` of the env's split with the scripted strategy."""
    env.reset(options={"goal_index": goal_index})
    goal = env.goal
    instruction = _PRICE_CLAUSE.sub("", goal["instruction_text"])
    options = goal["goal_options"]
    wanted = list(options.values()) if isinstance(options, dict) else list(options)
    # Human instructions may write "1/4 inch" where the page shows "1 | 4 inch".
    wanted = [normalize_option_value(value) for value in wanted]
    steps = 0

    def act(action: str) -> dict:
        nonlocal steps
        steps += 1
        return env.step(f"<action>{action}</action>")

    act(f"search[{instruction}]")
    results = env.page.results
    products = env.shop.catalog.by_asin
    goal_words = _words(instruction)
    affordable = [
        asin
        for asin in results
        if _listed_price_ceiling(products[asin]["Price"]) <= goal["price_upper"]
    ]
    ranked = sorted(
        affordable,
        key=lambda asin: -len(goal_words & _words(products[asin]["Title"])),
    )  # stable: ties keep the search order
    for asin in ranked[:max_candidates]:
        page_of_result = results.index(asin) // 10 + 1
        while env.page.page_number < page_of_result:
            act("click[next >]")
        while env.page.page_number > page_of_result:
            act("click[< prev]")
        info = act(f"click[{asin.lower()}]")[4]
        offered = {action[len("click[") : -1] for action in info["available_actions"]}
        if all(value in offered for value in wanted):
            for value in wanted:
                act(f"click[{value}]")
            _, _, terminated, _, info = act("click[buy now]")
            return OracleResult(info["task_score"], info["won"], steps, bought=terminated)
        act("click[< prev]")
    return OracleResult(0.0, False, steps, bought=False)
