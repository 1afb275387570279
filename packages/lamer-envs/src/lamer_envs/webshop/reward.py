"""The WebShop purchase score, reproduced from upstream WebShop (princeton-nlp, rev 64fa2a5).

The score defines the benchmark, so its quirks are kept (see the golden-vector README
in ``tests/webshop/golden``). With ``A`` goal attributes and ``O`` goal options::

    r_total = (num_attr_matches + num_option_matches + price_ok) / (A + O + 1) * r_type

- attributes match a product attribute by fuzzy score > 85, or as a plain substring
  of the lower-cased title, bullet points or description;
- options are colour-normalised (first colour word of :data:`COLOR_WORDS` contained
  in the value) and match a selected option value by fuzzy score > 85; a dict of goal
  options is compared as ``(name, value)`` tuples, as upstream does;
- ``price_ok`` is ``price <= price_upper``;
- ``r_type`` is 1, 0.5, 0.1 or 0 from the query, the category path and the share of
  goal-name nouns found in the product name.

Inputs on which upstream raises (no goal attributes, ``price_upper <= 0``, no price)
raise :class:`RewardInputError` instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lamer_envs.webshop.dependencies import require
from lamer_envs.webshop.nouns import NounExtractor, default_noun_extractor

MATCH_THRESHOLD = 85
"""A fuzzy score strictly above this is a match."""

CATEGORY_SEPARATOR = "›"
"""U+203A, the separator of Amazon category paths (an ASCII '>' does not split)."""

COLOR_WORDS: tuple[str, ...] = (
    "alabaster", "apricot", "aqua", "ash", "asphalt", "azure", "banana", "beige", "black",
    "blue", "blush", "bordeaux", "bronze", "brown", "burgundy", "camel", "camo", "caramel",
    "champagne", "charcoal", "cheetah", "chestnut", "chocolate", "christmas", "coffee",
    "cognac", "copper", "coral", "cranberry", "cream", "crystal", "dark", "denim",
    "eggplant", "elephant", "espresso", "fuchsia", "gold", "granite", "grape", "graphite",
    "grass", "gray", "green", "grey", "heather", "indigo", "ivory", "ivy", "khaki",
    "lavender", "lemon", "leopard", "light", "lilac", "lime", "magenta", "maroon", "mauve",
    "merlot", "midnight", "mint", "mocha", "multicolor", "mushroom", "mustard", "natural",
    "navy", "nude", "olive", "orange", "peach", "pewter", "pink", "plum", "purple",
    "rainbow", "red", "rose", "royal", "rust", "sand", "sapphire", "seashell", "silver",
    "skull", "slate", "steel", "stone", "stonewash", "sunflower", "tan", "taupe", "teal",
    "tiger", "turquoise", "violet", "walnut", "wheat", "white", "wine", "yellow"
)  # fmt: skip
"""Upstream's colour list, in its (alphabetical) order: the first contained word wins."""

# thefuzz's force_ascii drops code points 128..255 (it does not transliterate them).
_DROP_LATIN1 = {code: None for code in range(128, 256)}


class RewardInputError(ValueError):
    """A goal/purchase the reward is undefined for (upstream raises a bare TypeError or
    ZeroDivisionError on these)."""


@dataclass(frozen=True, slots=True)
class PurchaseScore:
    """The score of one purchase and its parts (upstream's verbose ``info``)."""

    r_total: float
    r_att: float
    r_option: float | None
    """``None`` when the goal has no options."""
    r_price: bool
    r_type: float
    w_att: float
    w_option: float | None
    w_price: float
    query_match: bool
    category_match: bool
    title_score: float
    num_attr_matches: int
    num_option_matches: int
    denominator: int

    def info(self) -> dict[str, Any]:
        """Upstream's verbose info dict (same keys, same order)."""
        out: dict[str, Any] = {
            "r_type": self.r_type,
            "r_att": self.r_att,
            "w_att": self.w_att,
            "query_match": self.query_match,
            "category_match": self.category_match,
            "title_score": self.title_score,
        }
        if self.r_option is not None:
            out["r_option"] = self.r_option
            out["w_option"] = self.w_option
        out["r_price"] = self.r_price
        out["w_price"] = self.w_price
        return out

    def as_dict(self) -> dict[str, Any]:
        """Every field, for logging in ``info``."""
        return {name: getattr(self, name) for name in self.__slots__}


def _fuzz_process(value: object) -> str:
    processor = require("rapidfuzz.utils").default_process
    return processor(str(value).translate(_DROP_LATIN1))


def fuzzy_score(left: object, right: object) -> int:
    """thefuzz's ``token_set_ratio`` (0..100 int) on ``str()`` of both inputs.

    Latin-1 letters are deleted, non-alphanumerics become spaces, text is lower-cased;
    then rapidfuzz's token-set ratio (normalised InDel) rounded half to even.
    """
    fuzz = require("rapidfuzz.fuzz")
    return round(fuzz.token_set_ratio(_fuzz_process(left), _fuzz_process(right)))


def fuzzy_match(left: object, right: object) -> bool:
    """``fuzzy_score > 85`` (85 itself does not match)."""
    return fuzzy_score(left, right) > MATCH_THRESHOLD


def normalize_color(value: Any) -> Any:
    """The first colour word contained in ``value`` (case-sensitive substring for a
    string, element equality for a tuple), else ``value`` unchanged."""
    for color in COLOR_WORDS:
        if color in value:
            return color
    return value


def attribute_matches(product: Mapping[str, Any], goal_attributes: Sequence[str]) -> int:
    """How many goal attributes (duplicates counted) the product has.

    Fuzzy against ``product["Attributes"]``, else the attribute *as given* is searched
    in the lower-cased Title, space-joined BulletPoints and Description.
    """
    title = str(product.get("Title") or "").lower()
    bullets = " ".join(product.get("BulletPoints") or []).lower()
    description = str(product.get("Description") or "").lower()
    product_attributes = product.get("Attributes") or []
    matches = 0
    for goal_attribute in goal_attributes:
        if (
            any(fuzzy_match(attr, goal_attribute) for attr in product_attributes)
            or goal_attribute in title
            or goal_attribute in bullets
            or goal_attribute in description
        ):
            matches += 1
    return matches


def option_matches(
    selected_options: Mapping[str, str], goal_options: Sequence[str] | Mapping[str, str]
) -> int:
    """How many goal options some selected option value matches (names are ignored)."""
    purchased = [normalize_color(value) for value in selected_options.values()]
    goal_items = list(goal_options.items()) if isinstance(goal_options, Mapping) else goal_options
    goal = [normalize_color(item) for item in goal_items]
    return sum(1 for wanted in goal if any(fuzzy_match(have, wanted) for have in purchased))


def category_match(product_category: str, goal_category: str) -> bool:
    """The two '›' paths share at least two (stripped) pieces, in any order."""
    have = {piece.strip() for piece in product_category.split(CATEGORY_SEPARATOR)}
    want = {piece.strip() for piece in goal_category.split(CATEGORY_SEPARATOR)}
    return len(have & want) >= 2


def title_score(goal_nouns: Sequence[str], product_nouns: Sequence[str]) -> float:
    """Share of goal-name nouns found in the product name; the denominator keeps
    duplicates; 0.2 when the goal name has no nouns."""
    if not goal_nouns:
        return 0.2
    return len(set(goal_nouns) & set(product_nouns)) / len(goal_nouns)


def type_factor(query_match: bool, category_matched: bool, title: float) -> float:
    """Upstream's r_type: each later rule overrides the earlier ones."""
    r_type = 1.0
    if not (query_match or category_matched or title > 0.2):
        r_type = 0.5
    if title < 0.1:
        r_type = 0.1
    if title == 0.0:
        r_type = 0.0
    return r_type


def _validate(goal: Mapping[str, Any], price: object) -> None:
    attributes = goal.get("attributes")
    if not attributes:
        raise RewardInputError(
            f"goal {goal.get('asin')!r} has no attributes; the score divides by their count"
        )
    price_upper = goal.get("price_upper")
    if isinstance(price_upper, bool) or not isinstance(price_upper, int | float):
        raise RewardInputError(f"goal price_upper must be a number, got {price_upper!r}")
    if price_upper <= 0:
        raise RewardInputError(
            f"goal price_upper must be > 0 (use 1000000 for 'no limit'), got {price_upper!r}"
        )
    if isinstance(price, bool) or not isinstance(price, int | float):
        raise RewardInputError(f"purchase price must be a number, got {price!r}")


def score_purchase(
    product: Mapping[str, Any],
    goal: Mapping[str, Any],
    price: float,
    selected_options: Mapping[str, str],
    noun_extractor: NounExtractor | None = None,
) -> PurchaseScore:
    """Upstream ``get_reward(product, goal, price, options, verbose=True)``.

    ``product`` is a loaded product (``Attributes``, ``Title``, ``BulletPoints``,
    ``Description``, ``name``, ``query``, ``product_category``); ``goal`` has
    ``attributes``, ``goal_options`` (list or dict), ``price_upper``, ``name``, ``query``,
    ``product_category``; ``price`` is the product's price; ``selected_options`` maps
    option name -> chosen value. ``noun_extractor`` defaults to spaCy if installed,
    else :func:`~lamer_envs.webshop.nouns.heuristic_nouns`.
    """
    _validate(goal, price)
    nouns = noun_extractor or default_noun_extractor()

    query_match = product.get("query") == goal.get("query")
    category_matched = category_match(
        str(product.get("product_category", "")), str(goal.get("product_category", ""))
    )
    title = title_score(nouns(str(goal.get("name", ""))), nouns(str(product.get("name", ""))))
    r_type = type_factor(query_match, category_matched, title)

    r_price = price <= goal["price_upper"]
    goal_attributes = goal["attributes"]
    num_attr = attribute_matches(product, goal_attributes)
    r_att = num_attr / len(goal_attributes)

    goal_options = goal.get("goal_options") or []
    num_option = 0
    r_option = None
    if len(goal_options) > 0:
        num_option = option_matches(selected_options, goal_options)
        r_option = num_option / len(goal_options)

    denominator = len(goal_attributes) + len(goal_options) + 1
    # Same operation order as upstream, so a perfect purchase is exactly 1.0.
    r_total = (num_attr + num_option + r_price) / denominator
    r_total *= r_type
    return PurchaseScore(
        r_total=r_total,
        r_att=r_att,
        r_option=r_option,
        r_price=bool(r_price),
        r_type=r_type,
        w_att=len(goal_attributes) / denominator,
        w_option=len(goal_options) / denominator if r_option is not None else None,
        w_price=1 / denominator,
        query_match=query_match,
        category_match=category_matched,
        title_score=title,
        num_attr_matches=num_attr,
        num_option_matches=num_option,
        denominator=denominator,
    )
