"""A built-in WebShop-style catalog generated from a seed (no download needed).

:func:`generate_catalog_files` returns the same three JSON structures WebShop ships:

- the product list (``items_shuffle.json``): one dict per product with ``asin``,
  ``name``, ``full_description``, ``small_description`` (bullet points), ``pricing``
  (``"$12.99"`` or ``"$10.99 - $15.99"``), ``images``, ``product_category``, ``query``,
  ``category`` and ``customization_options`` (``{"Color": [{"value", "image"}]}``);
- the attribute file (``items_ins_v2.json``): ``asin -> {"attributes",
  "instruction", "instruction_attributes"}``;
- the reviews file (``items_reviews.json``): ``[{"asin", "average_rating", "reviews":
  [{"title", "stars", "review"}]}]``;
- human-style instructions (``items_human_ins.json``): ``asin -> [{"asin",
  "instruction", "instruction_attributes", "instruction_options"}]``, one or two per
  product, each naming one value of every option of the product.

They go through the same loader as the real files (:mod:`lamer_envs.webshop.catalog`);
:func:`write_catalog_files` saves them under WebShop's file names. Everything is a pure
function of ``(seed, num_products)``.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from lamer_core.seeding import make_rng
from lamer_envs.webshop.vocabulary import (
    BRAND_HEADS,
    BRAND_TAILS,
    BULLET_TEMPLATES,
    HUMAN_INSTRUCTION_TEMPLATES,
    INSTRUCTION_TEMPLATES,
    PRODUCT_TYPES,
    REVIEW_BODIES,
    REVIEW_TITLES,
    ProductType,
)

T = TypeVar("T")

_ASIN_CHARS = string.ascii_uppercase + string.digits
_DRAWS_PER_PRODUCT = 128
"""Uniforms drawn per product; a product uses fewer than 100."""
_CHUNK = 1024


@dataclass(frozen=True, slots=True)
class CatalogFiles:
    """The raw JSON structures of a WebShop catalog (see the module docstring)."""

    products: list[dict[str, Any]]
    attributes: dict[str, dict[str, Any]]
    reviews: list[dict[str, Any]]
    human_instructions: dict[str, list[dict[str, Any]]]


class _Draws:
    """Uniform numbers pre-drawn for one product and consumed in order: one numpy call
    for the whole catalog instead of dozens per product keeps 50k products fast."""

    def __init__(self, uniforms: np.ndarray) -> None:
        self._uniforms = uniforms.tolist()
        self._next = 0

    def random(self) -> float:
        # Wrapping around (never reached in practice) keeps a pathological product
        # deterministic instead of failing.
        value = self._uniforms[self._next % len(self._uniforms)]
        self._next += 1
        return value

    def integer(self, low: int, high: int) -> int:
        """Uniform in ``[low, high)``."""
        return low + min(int(self.random() * (high - low)), high - low - 1)

    def pick(self, pool: Sequence[T]) -> T:
        return pool[self.integer(0, len(pool))]

    def permutation(self, size: int) -> list[int]:
        keys = [self.random() for _ in range(size)]
        return sorted(range(size), key=keys.__getitem__)

    def sample(self, pool: tuple[str, ...], low: int, high: int) -> list[str]:
        """``low..high`` distinct items of ``pool``, kept in pool order (like a real option list)."""
        count = self.integer(min(low, len(pool)), min(high, len(pool)) + 1)
        return [pool[i] for i in sorted(self.permutation(len(pool))[:count])]

    def asin(self, taken: set[str]) -> str:
        while True:
            asin = "B0" + "".join(_ASIN_CHARS[self.integer(0, len(_ASIN_CHARS))] for _ in range(8))
            if asin not in taken:
                taken.add(asin)
                return asin


def _title_case(phrase: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in phrase.split())


def _price_text(draws: _Draws, band: tuple[float, float]) -> str:
    low, high = band
    price = math.floor(low + (high - low) * draws.random()) + draws.pick((0.99, 0.49, 0.95, 0.0))
    if draws.random() < 0.15:  # a price range, as for products whose options change the price
        upper = price + math.floor(2.0 + (max(3.0, 0.4 * price) - 2.0) * draws.random())
        return f"${price:.2f} - ${upper:.2f}"
    return f"${price:.2f}"


def _instruction(draws: _Draws, kind: ProductType, attributes: list[str]) -> str:
    joined = _joined(attributes)
    verb = "are" if kind.query.endswith("s") else "is"
    template = draws.pick(INSTRUCTION_TEMPLATES)
    return template.format(query=kind.query, verb=verb, attributes=joined)


def _joined(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _human_instructions(
    draws: _Draws, asin: str, kind: ProductType, product: dict, attributes: list[str]
) -> list[dict[str, Any]]:
    options = product["customization_options"] or {}
    instructions = []
    for _ in range(draws.integer(1, 3)):
        wanted = [draws.pick(values)["value"] for values in options.values()]
        goal_attributes = attributes[: draws.integer(1, 3)]
        template = draws.pick(HUMAN_INSTRUCTION_TEMPLATES)
        text = template.format(
            query=kind.query,
            verb="are" if kind.query.endswith("s") else "is",
            attributes=_joined(goal_attributes),
            options=_joined(wanted) if wanted else "the usual version",
        )
        instructions.append(
            {
                "asin": asin,
                "instruction": text,
                "instruction_attributes": goal_attributes,
                "instruction_options": wanted,
            }
        )
    return instructions


def _product(draws: _Draws, asin: str, kind: ProductType) -> tuple[dict, dict, dict]:
    brand = draws.pick(BRAND_HEADS) + draws.pick(BRAND_TAILS)
    modifier = draws.pick(kind.modifiers) if kind.modifiers else ""
    attributes = [kind.attributes[i] for i in draws.permutation(len(kind.attributes))[:4]]
    head = " ".join(part for part in (brand, modifier, kind.noun) if part)
    if kind.audience:
        head += " " + draws.pick(kind.audience)
    title = f"{head}, {_title_case(attributes[0])}, {_title_case(attributes[1])}"

    bullets = [
        draws.pick(BULLET_TEMPLATES).format(attribute=_title_case(attr)) for attr in attributes
    ]
    bullets.append(
        f"What you get: {brand} {kind.noun.lower()} and a friendly customer service team"
    )
    description = (
        f"The {brand} {modifier.lower() + ' ' if modifier else ''}{kind.noun.lower()} is "
        f"{attributes[0]} and {attributes[1]}. {_title_case(attributes[2])} as standard, "
        f"and every order is backed by our 30 day return policy."
    )

    customization: dict[str, list[dict[str, str]]] = {}
    for option_name, pool in kind.options.items():
        if draws.random() < 0.9:
            values = draws.sample(pool, 2, 5)
            customization[_title_case(option_name)] = [
                {"value": value, "image": f"images/{asin}-{value.replace(' ', '-')}.jpg"}
                for value in values
            ]

    product = {
        "asin": asin,
        "name": title,
        "full_description": description,
        "small_description": bullets,
        "pricing": _price_text(draws, kind.price),
        "images": [f"images/{asin}.jpg"],
        "product_category": kind.path,
        "query": kind.query,
        "category": kind.category,
        "customization_options": customization or None,
    }
    num_goal_attributes = draws.integer(1, 3)
    instruction_attributes = attributes[:num_goal_attributes]
    attribute_entry = {
        "attributes": attributes,
        "instruction": _instruction(draws, kind, instruction_attributes),
        "instruction_attributes": instruction_attributes,
    }
    reviews = [
        {
            "title": draws.pick(REVIEW_TITLES),
            "stars": draws.integer(2, 6),
            "review": draws.pick(REVIEW_BODIES),
        }
        for _ in range(draws.integer(0, 4))
    ]
    rating = f"{sum(r['stars'] for r in reviews) / len(reviews):.1f}" if reviews else "N.A."
    review_entry = {"asin": asin, "average_rating": rating, "reviews": reviews}
    return product, attribute_entry, review_entry


def generate_catalog_files(num_products: int = 3000, seed: int = 0) -> CatalogFiles:
    """``num_products`` products spread evenly over the product types of
    :mod:`~lamer_envs.webshop.vocabulary` (in shuffled order), deterministic in ``seed``."""
    if num_products < 1:
        raise ValueError(f"num_products must be >= 1, got {num_products}")
    rng = make_rng(seed, "webshop-catalog", num_products)
    kinds = [PRODUCT_TYPES[i % len(PRODUCT_TYPES)] for i in range(num_products)]
    order = rng.permutation(num_products)
    taken: set[str] = set()
    products, attributes, reviews, human = [], {}, [], {}
    for row, index in enumerate(order):
        if row % _CHUNK == 0:  # draw in blocks: 50k products x 128 floats would be 50 MB
            uniforms = rng.random((_CHUNK, _DRAWS_PER_PRODUCT))
        draws = _Draws(uniforms[row % _CHUNK])
        asin = draws.asin(taken)
        kind = kinds[int(index)]
        product, attribute_entry, review_entry = _product(draws, asin, kind)
        products.append(product)
        attributes[asin] = attribute_entry
        reviews.append(review_entry)
        human[asin] = _human_instructions(draws, asin, kind, product, attribute_entry["attributes"])
    return CatalogFiles(
        products=products, attributes=attributes, reviews=reviews, human_instructions=human
    )


FILE_NAMES = {
    "products": "items_shuffle.json",
    "attributes": "items_ins_v2.json",
    "reviews": "items_reviews.json",
    "human_instructions": "items_human_ins.json",
}
"""WebShop's names for the four files."""


def write_catalog_files(files: CatalogFiles, directory: str | Path) -> dict[str, Path]:
    """Write ``files`` as WebShop's JSON files into ``directory``; returns their paths
    (keys: ``products``, ``attributes``, ``reviews``, ``human_instructions``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for field_name, file_name in FILE_NAMES.items():
        paths[field_name] = directory / file_name
        with paths[field_name].open("w", encoding="utf-8") as handle:
            json.dump(getattr(files, field_name), handle)
    return paths
