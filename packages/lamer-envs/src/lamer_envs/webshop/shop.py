"""The shop behind an env: catalog, search index and goal split, built once per process.

Building the default generated catalog and its BM25 index takes about a second, so
:func:`get_shop` caches one :class:`Shop` per :class:`WebShopConfig` (envs pickle
their config and state, and find the shop again here after unpickling).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, replace

from lamer_envs.webshop.catalog import Catalog, build_catalog, load_catalog
from lamer_envs.webshop.config import DEFAULT_GENERATED_PRODUCTS, WebShopConfig
from lamer_envs.webshop.generator import generate_catalog_files
from lamer_envs.webshop.goals import (
    GoalSplit,
    GoalView,
    human_goals,
    split_goals,
    synthetic_goals,
)
from lamer_envs.webshop.search import SEARCH_RETURN_N, SearchIndex


@dataclass(frozen=True, slots=True)
class Shop:
    """Everything shared by the envs of one config."""

    catalog: Catalog
    index: SearchIndex
    split: GoalSplit

    def goals(self, split: str) -> GoalView:
        """Goals of ``"train"``, ``"test"`` or ``"all"`` (train then test)."""
        if split not in ("train", "test", "all"):
            raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
        return getattr(self.split, split)

    def search(self, query: str) -> tuple[str, ...]:
        """Asins of the top 50 products for ``query``."""
        products = self.catalog.products
        return tuple(products[i]["asin"] for i in self.index.search(query, SEARCH_RETURN_N))


def build_shop(config: WebShopConfig) -> Shop:
    """Load or generate the catalog, index it and split its goals."""
    if config.product_file is None:
        files = generate_catalog_files(
            config.num_products or DEFAULT_GENERATED_PRODUCTS, config.catalog_seed
        )
        catalog = build_catalog(
            files.products,
            files.attributes,
            files.reviews,
            files.human_instructions,
            price_seed=config.catalog_seed,
        )
    else:
        catalog = load_catalog(
            config.product_file,
            config.attribute_file,
            config.reviews_file,
            config.human_instructions_file,
            price_seed=config.catalog_seed,
            max_products=config.num_products,
        )
        if catalog.skipped:  # said once per process (the shop is cached)
            warnings.warn(f"WebShop {config.product_file}: {catalog.skip_summary()}", stacklevel=2)
    if config.goals == "human":
        goals = human_goals(catalog, config.catalog_seed)
    else:
        goals = synthetic_goals(catalog, config.catalog_seed, config.goal_options_style)
    if len(goals) < 2:
        raise ValueError(
            f"the catalog yields {len(goals)} goal(s); products need an instruction and "
            "instruction attributes in the attribute file"
        )
    return Shop(
        catalog=catalog,
        index=SearchIndex(catalog.products),
        split=split_goals(goals, config.catalog_seed, config.num_test_goals),
    )


def get_shop(config: WebShopConfig) -> Shop:
    """The cached :class:`Shop` of ``config`` (built on first use in this process).

    Fields that do not change the shop (split, step limit, reward, nouns) are left out
    of the key, so train and test envs share one catalog and index."""
    return _cached_shop(
        replace(config, split="train", max_steps=1, success_reward=0.0, noun_extractor="auto")
    )


@functools.lru_cache(maxsize=4)
def _cached_shop(config: WebShopConfig) -> Shop:
    return build_shop(config)
