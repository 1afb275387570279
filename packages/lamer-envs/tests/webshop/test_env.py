"""``lamer/WebShop-v0``: navigation, scoring, invalid actions, pickling, the checker."""

from __future__ import annotations

import pickle
from pathlib import Path

import gymnasium
import pytest
from gymnasium.error import ResetNeeded

import lamer_envs
from lamer_envs.checker import check_text_env
from lamer_envs.protocol import INVALID_ACTION
from lamer_envs.webshop.env import MAX_QUERY_LENGTH, WebShopEnv, parse_webshop_action

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_FILES = {
    "product_file": str(FIXTURES / "items_fixture.json"),
    "attribute_file": str(FIXTURES / "items_ins_fixture.json"),
    "reviews_file": str(FIXTURES / "items_reviews_fixture.json"),
}


def fixture_env(**overrides) -> WebShopEnv:
    return WebShopEnv(**FIXTURE_FILES, split="all", **overrides)


def reset_to(env: WebShopEnv, asin: str, options: dict) -> None:
    """Reset to the goal of ``asin`` whose options are ``options``."""
    for index, goal in enumerate(env.shop.goals(env.config.split)):
        if goal["asin"] == asin and goal["goal_options"] == options:
            env.reset(options={"goal_index": index})
            return
    raise AssertionError(f"no goal {asin} {options}")


def act(env: WebShopEnv, action: str):
    return env.step(f"<action>{action}</action>")


def test_fixture_in_the_real_format_plays_through_to_a_perfect_purchase() -> None:
    env = fixture_env()
    reset_to(env, "B01TEA0001", {"flavor name": "lemon | ginger", "size": "100 count"})
    assert env.initial_observation.startswith("WebShop [SEP] Instruction: [SEP] i need green tea")
    obs, reward, terminated, truncated, info = act(env, "search[caffeine free green tea bags]")
    assert info["action_is_valid"] and info["page"] == "results"
    assert "B01TEA0001 [SEP] Hillside Organic Green Tea Bags" in obs
    assert "click[b01tea0001]" in info["available_actions"]
    obs, *_, info = act(env, "click[b01tea0001]")
    assert "flavor name [SEP] jasmine [SEP] lemon | ginger [SEP] size" in obs
    obs, *_ = act(env, "click[reviews]")
    assert '"Lovely evening tea" [SEP] 5 [SEP] Calm flavour, not bitter.' in obs
    act(env, "click[< prev]")
    act(env, "click[lemon | ginger]")
    act(env, "click[100 count]")
    obs, reward, terminated, truncated, info = act(env, "click[buy now]")
    assert terminated and not truncated
    assert reward == 10.0 and info["won"]
    assert info["task_score"] == 1.0
    assert info["score_components"]["r_option"] == 1.0
    assert info["purchased_asin"] == "B01TEA0001"
    assert obs.endswith("Your score (min 0.0, max 1.0) [SEP] 1.0")


def test_an_imperfect_purchase_ends_the_episode_with_reward_zero() -> None:
    env = fixture_env()
    reset_to(env, "B01SOC0005", {"color": "olive", "size": "x-large"})
    act(env, "search[merino wool hiking socks]")
    act(env, "click[b01soc0005]")
    act(env, "click[olive]")
    act(env, "click[medium]")  # wrong size
    _, reward, terminated, _, info = act(env, "click[buy now]")
    assert terminated and reward == 0.0 and not info["won"]
    assert info["task_score"] == pytest.approx(4 / 5)  # 2 attributes + 1 of 2 options + price
    with pytest.raises(ResetNeeded):
        act(env, "click[buy now]")


def test_invalid_actions_change_nothing_and_are_marked() -> None:
    env = fixture_env()
    obs, info = env.reset(seed=0)
    for text in ("click[search]", "click[buy now]", "search[]", "look around", "click[b01tea0001]"):
        step_obs, reward, terminated, truncated, step_info = env.step(text)
        assert step_obs == obs and reward == 0.0 and not (terminated or truncated)
        assert not step_info["action_is_valid"] and step_info["action"] == INVALID_ACTION
        assert step_info["anchor"] == info["anchor"]


def test_invalid_actions_use_the_step_budget_as_in_the_reference() -> None:
    env = fixture_env(max_steps=3)
    env.reset(seed=0)
    assert not any(env.step("look around")[2:4])
    assert not any(env.step("click[nothing here]")[2:4])
    _, _, terminated, truncated, info = env.step("search[]")
    assert truncated and not terminated and not info["action_is_valid"]


def test_a_huge_search_query_is_cut_to_the_documented_length() -> None:
    env = fixture_env()
    env.reset(seed=0)
    query = "green tea " * 100_000  # 1 MB
    obs, _, _, _, info = act(env, f"search[{query}]")
    assert info["action_is_valid"] and info["page"] == "results"
    assert info["action"].startswith("search[green tea green tea")
    assert len(info["action"]) <= len("search[]") + MAX_QUERY_LENGTH
    assert len(obs) < 20_000 and "B01TEA0001" in obs
    assert (
        parse_webshop_action(f"search[{'x' * 600}]").action == f"search[{'x' * MAX_QUERY_LENGTH}]"
    )
    assert parse_webshop_action("search[   tea   ]").action == "search[tea]"


def test_search_works_from_any_page_as_upstream() -> None:
    env = fixture_env()
    env.reset(seed=1)
    act(env, "search[coffee mug]")
    act(env, "click[b01mug0003]")
    _, _, _, _, info = act(env, "search[hiking socks]")
    assert info["action_is_valid"] and info["page"] == "results"
    assert info["available_actions"][0] == "click[back to search]"


def test_episode_is_truncated_after_max_steps() -> None:
    env = fixture_env(max_steps=3)
    env.reset(seed=0)
    assert not any(act(env, "search[tea]")[2:4])
    assert not any(act(env, "click[back to search]")[2:4])
    _, _, terminated, truncated, _ = act(env, "search[tea]")
    assert truncated and not terminated
    with pytest.raises(ResetNeeded):
        act(env, "search[tea]")
    env.reset(seed=0)
    assert act(env, "search[tea]")[4]["action_is_valid"]


def test_step_before_reset_raises() -> None:
    with pytest.raises(ResetNeeded):
        fixture_env().step("<action>search[tea]</action>")


@pytest.mark.parametrize(
    ("response", "action"),
    [
        ("<action>search[Red  Shoes]</action>", "search[red shoes]"),
        ("I think.\n<action>click[Buy Now]</action>", "click[buy now]"),
        ("<action>click[a]</action> then <action>click[b]</action>", "click[b]"),
        ("search[mug]", "search[mug]"),
        ("<action>click[< prev]</action>", "click[< prev]"),
        ("<action>click[]</action>", None),
        ("<action>buy</action>", None),
        ("", None),
    ],
)
def test_parse_action(response: str, action: str | None) -> None:
    parsed = parse_webshop_action(response)
    assert parsed.action == action and parsed.is_valid == (action is not None)


def test_pickled_env_mid_episode_continues_identically_and_is_small() -> None:
    env = WebShopEnv()
    env.reset(seed=4)
    act(env, f"search[{env.goal['query']}]")
    blob = pickle.dumps(env)
    assert len(blob) < 20_000  # config and state, not the catalog or the index
    clone = pickle.loads(blob)
    for action in ("click[next >]", "click[< prev]", "click[back to search]", "search[black]"):
        assert act(clone, action)[:4] == act(env, action)[:4]


def test_registered_id_builds_the_default_env_offline_and_passes_the_checker() -> None:
    env = gymnasium.make("lamer/WebShop-v0")
    assert isinstance(env.unwrapped, WebShopEnv)
    assert isinstance(env.unwrapped, lamer_envs.TextEnv)
    check_text_env(env, seed=0)


def test_fixture_env_passes_the_checker() -> None:
    check_text_env(fixture_env(), seed=3)


def test_reset_is_deterministic_and_splits_are_disjoint() -> None:
    train, test = WebShopEnv(split="train"), WebShopEnv(split="test")
    assert train.reset(seed=11) == WebShopEnv(split="train").reset(seed=11)

    def key(goal: dict) -> tuple:
        return goal["asin"], tuple(sorted(goal["goal_options"].items()))

    train_keys = {key(g) for g in train.shop.goals("train")}
    assert not train_keys & {key(g) for g in test.shop.goals("test")}
    assert len(test.shop.goals("test")) == 500
    assert train.shop is test.shop  # one catalog and index per process


def test_human_goals_from_the_fixture() -> None:
    env = WebShopEnv(
        **FIXTURE_FILES,
        human_instructions_file=str(FIXTURES / "items_human_ins_fixture.json"),
        goals="human",
        split="all",
    )
    goals = env.shop.goals("all")
    assert sorted(g["asin"] for g in goals) == ["B01MUG0003", "B01SOC0005"]
    index = next(i for i, g in enumerate(goals) if g["asin"] == "B01MUG0003")
    env.reset(options={"goal_index": index})
    act(env, "search[dishwasher safe coffee mug]")
    act(env, "click[b01mug0003]")
    act(env, "click[navy blue]")
    _, reward, terminated, _, info = act(env, "click[buy now]")
    assert terminated and reward == 10.0 and info["task_score"] == 1.0


def test_num_products_keeps_the_first_records_of_real_data() -> None:
    env = WebShopEnv(**FIXTURE_FILES, num_products=3, split="all")
    assert list(env.shop.catalog.by_asin) == ["B01TEA0001", "B01TEA0002", "B01MUG0003"]
    assert {goal["asin"] for goal in env.shop.goals("all")} == set(env.shop.catalog.by_asin)


def test_bad_config_and_goal_index_are_rejected() -> None:
    with pytest.raises(ValueError, match="together"):
        WebShopEnv(product_file="x.json")
    with pytest.raises(ValueError, match="split"):
        WebShopEnv(split="validation")
    with pytest.raises(ValueError, match="goal_index"):
        fixture_env().reset(options={"goal_index": 10_000})
