"""Configuration of the WebShop env (a frozen dataclass: hashable, so it keys the
per-process cache of catalogs and search indexes)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_GENERATED_PRODUCTS = 3000
"""Size of the built-in catalog by default: ~20,000 goals, built in about a second."""


@dataclass(frozen=True, slots=True)
class WebShopConfig:
    """Everything that defines a WebShop env instance."""

    product_file: str | None = None
    """WebShop product list (``items_shuffle*.json``); ``None`` uses the built-in
    generated catalog."""
    attribute_file: str | None = None
    """WebShop attribute file (``items_ins_v2*.json``); required with ``product_file``."""
    reviews_file: str | None = None
    """Optional WebShop reviews file."""
    human_instructions_file: str | None = None
    """Optional human instruction file (``items_human_ins.json``), for ``goals="human"``."""
    num_products: int | None = None
    """Generated catalog: its size (``None``: :data:`DEFAULT_GENERATED_PRODUCTS`). Real
    data: keep the first ``num_products`` records, as upstream's ``num_products`` does
    (``None``: all)."""
    catalog_seed: int = 0
    """Seed of the generated catalog, of range prices, price ceilings and the goal split."""
    goals: str = "synthetic"
    """``"synthetic"``: one goal per product option combination (upstream
    ``get_synthetic_goals``); ``"human"``: the human instructions (the generated
    catalog has human-style ones: options written into the sentence)."""
    goal_options_style: str = "dict"
    """Synthetic goal options as upstream's ``{name: value}`` dict (``"dict"``) or as a
    list of values (``"list"``, like human goals)."""
    split: str = "train"
    """``"train"``, ``"test"`` or ``"all"``: which goals ``reset`` draws from."""
    num_test_goals: int = 500
    """Size of the held-out test split (upstream: the first 500 shuffled goals), capped
    at a fifth of all goals."""
    max_steps: int = 40
    """Steps per episode before truncation (paper: 40)."""
    success_reward: float = 10.0
    """Env reward of a purchase scoring exactly 1.0 (LaMer: 10); any other step gives 0."""
    noun_extractor: str = "auto"
    """Title-score nouns: ``"auto"`` (spaCy if installed, else the heuristic),
    ``"spacy"`` or ``"heuristic"``."""

    def __post_init__(self) -> None:
        if (self.product_file is None) != (self.attribute_file is None):
            raise ValueError("product_file and attribute_file must be given together")
        if self.goals not in ("synthetic", "human"):
            raise ValueError(f"goals must be 'synthetic' or 'human', got {self.goals!r}")
        if self.goals == "human" and self.product_file and not self.human_instructions_file:
            raise ValueError("goals='human' with real data needs human_instructions_file")
        if self.goal_options_style not in ("dict", "list"):
            raise ValueError(
                f"goal_options_style must be 'dict' or 'list', got {self.goal_options_style!r}"
            )
        if self.split not in ("train", "test", "all"):
            raise ValueError(f"split must be 'train', 'test' or 'all', got {self.split!r}")
        if self.noun_extractor not in ("auto", "spacy", "heuristic"):
            raise ValueError(
                f"noun_extractor must be 'auto', 'spacy' or 'heuristic', got {self.noun_extractor!r}"
            )
        if (self.num_products is not None and self.num_products < 1) or min(
            self.max_steps, self.num_test_goals
        ) < 1:
            raise ValueError("num_products, max_steps and num_test_goals must be >= 1")
