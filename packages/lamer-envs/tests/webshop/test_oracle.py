"""Catalog, search and reward agree: a scripted shopper wins nearly every goal."""

from __future__ import annotations

from lamer_envs.webshop.env import WebShopEnv
from lamer_envs.webshop.oracle import play_oracle


def test_scripted_oracle_scores_one_on_at_least_95_percent_of_test_goals() -> None:
    env = WebShopEnv(split="test")
    results = [play_oracle(env, index) for index in range(len(env.shop.goals("test")))]
    assert len(results) == 500
    win_rate = sum(result.won for result in results) / len(results)
    assert win_rate >= 0.95, f"oracle won {win_rate:.1%}"
    assert all(result.steps <= env.config.max_steps for result in results)


def test_oracle_wins_with_list_style_goal_options_too() -> None:
    env = WebShopEnv(split="test", goal_options_style="list")
    results = [play_oracle(env, index) for index in range(0, 500, 5)]
    assert sum(result.won for result in results) / len(results) >= 0.95


def test_oracle_wins_human_style_goals_of_the_generated_catalog() -> None:
    env = WebShopEnv(split="test", goals="human")
    results = [play_oracle(env, index) for index in range(0, 500, 5)]
    assert sum(result.won for result in results) / len(results) >= 0.95
