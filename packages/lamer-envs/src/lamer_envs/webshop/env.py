"""``lamer/WebShop-v0``: shopping on a simulated web store, in WebShop's text mode.

An episode is one shopping goal ("i need ... with color: navy, and price lower than
40.00 dollars"). The agent searches (``search[keywords]``), pages through results,
opens products, picks options and buys (``click[...]``). Buying ends the episode and
is scored with upstream WebShop's reward (``reward.py``); the env reward is
``success_reward`` (10) when that score is exactly 1.0 and 0 otherwise, the raw score
and its parts are in ``info``.

``reset(seed=s)`` draws the goal of the configured split from ``s`` (or takes
``options={"goal_index": i}``). Invalid actions (unparseable, an unknown click, an
empty search) leave the page as it was and give reward 0, but use one of the
``max_steps`` steps, as every turn does in the reference (its rollout loop counts turns,
valid or not); the trainer applies its invalid-action penalty from
``info["action_is_valid"]``. A search query longer than :data:`MAX_QUERY_LENGTH`
characters is cut to that length (the cut query is what is searched, shown and reported
in ``info["action"]``). Stepping after the episode ended (bought or truncated) raises
:class:`gymnasium.error.ResetNeeded`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import gymnasium
import numpy as np
from gymnasium.error import ResetNeeded

from lamer_envs.protocol import (
    ACTION,
    ACTION_IS_VALID,
    ANCHOR,
    INVALID_ACTION,
    WON,
    ParsedAction,
    text_space,
)
from lamer_envs.webshop.config import WebShopConfig
from lamer_envs.webshop.nouns import get_noun_extractor, spacy_available
from lamer_envs.webshop.pages import Page, click, clickables, render
from lamer_envs.webshop.reward import PurchaseScore, RewardInputError, score_purchase
from lamer_envs.webshop.shop import Shop, get_shop

MAX_OBSERVATION_LENGTH = 200_000
MAX_ACTION_LENGTH = 10_000
MAX_QUERY_LENGTH = 500
"""Longest search query, in characters; longer ones are cut (WebShop's instructions are
under 300 characters, and an uncapped 1 MB query made every search take seconds)."""

SEARCH_PLACEHOLDER = "search[<your query>]"
"""How ``available_actions`` lists the search bar."""

RULES = """You are shopping on a web store for the item described in the instruction.
- Search the store with keywords, read the results, open a product to see its options,
  description, features and reviews, and go back or page through results as needed.
- On a product page, click each option value the instruction asks for (size, colour,
  flavour, ...) before buying; the price must stay below the instruction's limit.
- Clicking "Buy Now" ends the episode. The purchase is scored on the product type, the
  requested attributes and options, and the price; only a perfect match succeeds.
- Only the listed buttons, links and option values can be clicked."""

ACTION_FORMAT = """Write exactly one action inside <action></action>, either
search[your keywords] (when the page has a search bar) or click[text of a button, product
id or option value] (one of the available actions), e.g. <action>search[red cotton
t-shirt for men]</action> or <action>click[buy now]</action>."""

_OPEN_TAG, _CLOSE_TAG = "<action>", "</action>"
_ACTION = re.compile(r"\s*(search|click)\s*\[(.*)\]\s*", re.DOTALL | re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def parse_webshop_action(response: str) -> ParsedAction:
    """Read ``search[...]`` / ``click[...]`` from the last ``<action>`` tag of a response
    (or from a bare action). The argument is lower-cased and its whitespace collapsed,
    as upstream lower-cases it; a search query is cut to :data:`MAX_QUERY_LENGTH`
    characters. Never raises."""
    if not isinstance(response, str):
        return ParsedAction(action=None, is_valid=False)
    # The last complete <action>...</action>, found with rfind: a regex scan is
    # quadratic on inputs like "<action>" * 5000.
    end = response.rfind(_CLOSE_TAG)
    start = response.rfind(_OPEN_TAG, 0, end) if end >= 0 else -1
    if start >= 0:
        body = response[start + len(_OPEN_TAG) : end]
        thought = (response[:start] + " " + response[end + len(_CLOSE_TAG) :]).strip()
    else:
        body, thought = response, ""
    match = _ACTION.fullmatch(body)
    if match is None:
        return ParsedAction(action=None, is_valid=False, thought=thought)
    name = match.group(1).lower()
    argument = match.group(2)
    if name == "search":  # cut before collapsing: a huge query costs no regex time
        argument = argument[: 4 * MAX_QUERY_LENGTH]
    argument = _WHITESPACE.sub(" ", argument).strip().lower()
    if name == "search":
        argument = argument[:MAX_QUERY_LENGTH].rstrip()
    if not argument:
        return ParsedAction(action=None, is_valid=False, thought=thought)
    return ParsedAction(action=f"{name}[{argument}]", is_valid=True, thought=thought)


class WebShopEnv(gymnasium.Env):
    """WebShop in text mode over the built-in generated catalog or the real data.

    Keyword arguments are :class:`WebShopConfig` fields (``gymnasium.make`` passes them
    through), or pass a whole ``config``.
    """

    metadata = {"render_modes": ["ansi"]}  # noqa: RUF012 (gymnasium's convention)

    def __init__(
        self, config: WebShopConfig | None = None, render_mode: str | None = None, **overrides: Any
    ) -> None:
        config = WebShopConfig(**overrides) if config is None else replace(config, **overrides)
        if config.noun_extractor == "spacy" and not spacy_available():
            raise ImportError("noun_extractor='spacy' needs spaCy and en_core_web_sm installed")
        self.config = config
        self.render_mode = render_mode
        self.observation_space = text_space(MAX_OBSERVATION_LENGTH)
        self.action_space = text_space(MAX_ACTION_LENGTH)
        self._shop: Shop = get_shop(config)
        self._goals = self._shop.goals(config.split)
        self._goal_index = 0
        self._goal = self._goals[0]
        self._page = Page()
        self._steps = 0
        self._episode_over = True  # until the first reset
        self._score: PurchaseScore | None = None
        self._observation = ""
        self._initial_observation = ""

    # -- prompt surface ------------------------------------------------------------------

    @property
    def rules(self) -> str:
        return RULES

    @property
    def action_format(self) -> str:
        return ACTION_FORMAT

    @property
    def initial_observation(self) -> str:
        """The observation returned by the last ``reset``."""
        return self._initial_observation

    def parse_action(self, response: str) -> ParsedAction:
        return parse_webshop_action(response)

    # -- state views ---------------------------------------------------------------------

    @property
    def goal(self) -> dict[str, Any]:
        """The current goal (upstream's goal dict)."""
        return self._goal

    @property
    def shop(self) -> Shop:
        return self._shop

    @property
    def page(self) -> Page:
        return self._page

    def available_actions(self) -> list[str]:
        """``search[<your query>]`` when the page has a search bar, then ``click[...]`` for
        every clickable text of the page."""
        actions = [SEARCH_PLACEHOLDER] if self._page.kind == "search" else []
        targets = clickables(self._page, self._shop.catalog.by_asin)
        return actions + [f"click[{text}]" for text in targets]

    def sample_action(self, rng: np.random.Generator) -> str:
        """A plausible random action: a search with words of the goal, or a click on one
        of the page's clickables."""
        actions = self.available_actions()
        if not actions:
            return "click[buy now]"
        action = actions[int(rng.integers(len(actions)))]
        if action == SEARCH_PLACEHOLDER:
            words = self.goal["instruction_text"].split()
            count = int(rng.integers(1, min(6, len(words)) + 1))
            start = int(rng.integers(len(words) - count + 1))
            action = f"search[{' '.join(words[start : start + count])}]"
        return f"<action>{action}</action>"

    # -- gymnasium API -------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        goal_index = (options or {}).get("goal_index")
        if goal_index is None:
            goal_index = int(self.np_random.integers(len(self._goals)))
        elif not isinstance(goal_index, int | np.integer) or not 0 <= goal_index < len(self._goals):
            raise ValueError(
                f"options['goal_index'] must be an int in [0, {len(self._goals)}), got {goal_index!r}"
            )
        self._goal_index = int(goal_index)
        self._goal = self._goals[self._goal_index]
        self._page = Page()
        self._steps = 0
        self._score = None
        self._episode_over = False
        self._observation = self._render()
        self._initial_observation = self._observation
        return self._observation, self._info(action="", valid=True)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._episode_over:
            raise ResetNeeded(
                "the episode is over (bought, or the step limit reached) or was never "
                "started; call reset(seed=...) (the same seed gives the same goal)"
            )
        self._steps += 1
        parsed = parse_webshop_action(action)
        valid = parsed.is_valid and self._apply(parsed.action)
        reward = 0.0
        terminated = self._page.kind == "done"
        if valid and terminated:
            self._score = self._score_purchase()
            if self._score is not None and self._score.r_total == 1.0:
                reward = float(self.config.success_reward)
        truncated = not terminated and self._steps >= self.config.max_steps
        self._episode_over = terminated or truncated
        if valid:
            self._observation = self._render()
        info = self._info(action=parsed.action if valid else INVALID_ACTION, valid=valid)
        return self._observation, reward, terminated, truncated, info

    def render(self) -> str | None:
        return self._observation if self.render_mode == "ansi" else None

    # -- internals -----------------------------------------------------------------------

    def _apply(self, action: str) -> bool:
        """Apply a parsed action to the page; False (nothing changes) if not applicable."""
        name, argument = action.split("[", 1)
        argument = argument[:-1]
        if name == "search":
            # Upstream searches from any page, not only where the search bar is shown.
            self._page = Page(kind="results", query=argument, results=self._shop.search(argument))
            return True
        # Texts are compared with whitespace collapsed, as the parsed argument is.
        targets = {
            _WHITESPACE.sub(" ", text).strip(): target
            for text, target in clickables(self._page, self._shop.catalog.by_asin).items()
        }
        target = targets.get(argument)
        if target is None:
            return False
        self._page = click(self._page, target)
        return True

    def _score_purchase(self) -> PurchaseScore | None:
        asin = self._page.asin
        product = self._shop.catalog.by_asin[asin]
        try:
            return score_purchase(
                product,
                self.goal,
                self._shop.catalog.prices[asin],
                dict(self._page.options),
                noun_extractor=get_noun_extractor(self.config.noun_extractor),
            )
        except RewardInputError:
            return None  # a malformed goal from user data scores 0 instead of crashing

    def _render(self) -> str:
        score = self._score.r_total if self._score is not None else None
        return render(self._page, self._shop.catalog.by_asin, self.goal["instruction_text"], score)

    def _info(self, action: str, valid: bool) -> dict[str, Any]:
        won = self._score is not None and self._score.r_total == 1.0
        return {
            WON: bool(won),
            ACTION_IS_VALID: bool(valid),
            # The goal is part of the state: the same page under two goals is not one state.
            ANCHOR: f"goal {self._goal_index}|{self._page.anchor()}",
            ACTION: action,
            "available_actions": self.available_actions(),
            "instruction": self.goal["instruction_text"],
            "goal_index": self._goal_index,
            "page": self._page.kind,
            "task_score": self._score.r_total if self._score is not None else 0.0,
            "score_components": self._score.as_dict() if self._score is not None else None,
            "purchased_asin": self._page.asin if self._page.kind == "done" else None,
        }

    # -- pickling: config and state only; the shop is found again in this process --------

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_shop"], state["_goals"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._shop = get_shop(self.config)
        self._goals = self._shop.goals(self.config.split)
