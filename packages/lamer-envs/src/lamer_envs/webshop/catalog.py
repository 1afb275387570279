"""The product catalog: WebShop's JSON files -> validated, loaded products.

Input formats (WebShop's own, so the real data loads unchanged):

- **product list** (``items_shuffle*.json``): a JSON list of dicts with ``asin``,
  ``name``, ``full_description``, ``small_description`` (list or str), ``pricing``
  (``"$12.99"``, ``"$10.99 - $15.99"``, a list of numbers, or empty), ``images``,
  ``product_category`` (``"A › B › C"``), ``query``, ``category`` and
  ``customization_options`` (``{"Color": [{"value": ..., "image": ...}]}`` or null).
- **attribute file** (``items_ins_v2*.json``): ``asin -> {"attributes": [...],
  "instruction": str, "instruction_attributes": [...]}``.
- optional **reviews file**: ``[{"asin", "average_rating", "reviews": [{"title",
  "stars" | "score", "review" | "body"}]}]``.
- optional **human instructions** (``items_human_ins.json``): ``asin -> [{"instruction",
  "instruction_attributes", "instruction_options"}]``.

Loaded products are dicts shaped like upstream's loader output (``Title``,
``Description``, ``BulletPoints``, ``Price``, ``pricing`` as numbers, lower-cased
``options``, ``Attributes``, ...), which is what the reward reads. Like upstream, asins
that are ``"nan"`` or longer than 10 characters and repeated asins are skipped; unlike
upstream, malformed records are reported (:class:`CatalogError`) instead of crashing
somewhere later.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lamer_core.seeding import make_rng

DUMMY_ATTRIBUTE = "DUMMY_ATTR"
"""Upstream's placeholder ``Attributes`` of a product missing from the attribute file."""

DEFAULT_PRICE = 100.0
"""Upstream's price of a product without pricing."""

_MAX_REPORTED = 20


class CatalogError(ValueError):
    """Malformed catalog records; ``problems`` lists each as ``"record N (asin X): why"``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n  ".join(problems[:_MAX_REPORTED])
        more = (
            f"\n  ... and {len(problems) - _MAX_REPORTED} more"
            if len(problems) > _MAX_REPORTED
            else ""
        )
        super().__init__(f"{len(problems)} malformed catalog record(s):\n  {shown}{more}")


@dataclass(slots=True)
class Catalog:
    """Loaded products, their prices and the records that were skipped."""

    products: list[dict[str, Any]]
    """Loaded products (upstream loader layout), in file order."""
    prices: dict[str, float]
    """asin -> the price a purchase is charged: the single price, a seeded uniform draw
    inside a ``[low, high]`` range, or 100.0 without pricing."""
    skipped: list[str] = field(default_factory=list)
    """Why records were left out (bad asin, duplicate, or malformed with ``on_error="skip"``)."""
    by_asin: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_asin = {product["asin"]: product for product in self.products}

    def __len__(self) -> int:
        return len(self.products)

    def skip_summary(self) -> str:
        """One line: how many records were skipped, per reason (empty if none)."""
        if not self.skipped:
            return ""
        reasons: dict[str, int] = {}
        for line in self.skipped:
            reason = line.split(": ", 1)[-1]
            reasons[reason] = reasons.get(reason, 0) + 1
        parts = [f"{count} x {reason}" for reason, count in sorted(reasons.items())]
        return f"{len(self.skipped)} catalog record(s) skipped: " + "; ".join(parts[:10])


def parse_pricing(pricing: Any) -> list[float]:
    """Upstream's pricing parse: split a string on '$', keep digits and dots of each piece;
    a list of numbers passes through; empty -> ``[]``. Raises ValueError if unparseable."""
    if pricing is None or pricing == "" or pricing == []:
        return []
    if isinstance(pricing, list | tuple):
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pricing):
            raise ValueError(f"pricing list {pricing!r} must hold numbers")
        values = [float(value) for value in pricing]
    elif isinstance(pricing, str):
        try:
            values = [
                float(Decimal(re.sub(r"[^\d.]", "", piece))) for piece in pricing.split("$")[1:]
            ]
        except InvalidOperation as error:
            raise ValueError(f"unparseable pricing {pricing!r}") from error
    else:
        raise ValueError(
            f"pricing must be a string or a list of numbers, got {type(pricing).__name__}"
        )
    if not values:
        raise ValueError(f"pricing {pricing!r} holds no '$' price")
    if not all(math.isfinite(value) and value >= 0 for value in values):
        raise ValueError(f"pricing {pricing!r}: prices must be finite and >= 0")
    return values[:2]


def price_tag(pricing: list[float]) -> str:
    """Upstream's displayed price: ``$12.99``, ``$10.99 to $15.99`` or ``$100.0``."""
    if not pricing:
        return f"${DEFAULT_PRICE}"
    if len(pricing) == 1:
        return f"${pricing[0]}"
    return f"${pricing[0]} to ${pricing[1]}"


def normalize_option_value(value: str) -> str:
    """Upstream's option value as shown and clicked: stripped, '/' -> ' | ', lower case."""
    return value.strip().replace("/", " | ").lower()


def _require_str(record: dict, key: str, problems: list[str]) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        problems.append(f"'{key}' must be a string, got {type(value).__name__}")
        return ""
    return value


def _options(raw: Any, problems: list[str]) -> tuple[dict[str, list[str]], dict[str, Any]]:
    options: dict[str, list[str]] = {}
    option_to_image: dict[str, Any] = {}
    if not raw:
        return options, option_to_image
    if not isinstance(raw, dict):
        problems.append("'customization_options' must be a dict or null")
        return options, option_to_image
    for name, contents in raw.items():
        if contents is None:
            continue
        if not isinstance(contents, list):
            problems.append(f"option {name!r} must be a list of {{'value': ...}} dicts")
            continue
        values = []
        for content in contents:
            if not isinstance(content, dict) or not isinstance(content.get("value"), str):
                problems.append(f"option {name!r} has an entry without a string 'value'")
                continue
            value = normalize_option_value(content["value"])
            values.append(value)
            option_to_image[value] = content.get("image")
        options[str(name).lower()] = values
    return options, option_to_image


def _reviews(entry: Any) -> tuple[list[dict[str, Any]], str]:
    if not isinstance(entry, dict):
        return [], "N.A."
    reviews = []
    for review in entry.get("reviews") or []:
        if isinstance(review, dict):
            reviews.append(
                {
                    "title": str(review.get("title", "")),
                    "score": review.get("score", review.get("stars", "")),
                    "body": str(review.get("body", review.get("review", ""))),
                }
            )
    return reviews, str(entry.get("average_rating", "N.A."))


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _human_instruction_problems(entries: Any) -> list[str]:
    """What is wrong with one asin's human instructions (a list of instruction dicts)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [f"human instructions: must be a list of objects, got {type(entries).__name__}"]
    problems = []
    for number, entry in enumerate(entries):
        where = f"human instruction {number}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be an object, got {type(entry).__name__}")
            continue
        if not isinstance(entry.get("instruction"), str):
            problems.append(f"{where}: 'instruction' must be a string")
        for key in ("instruction_attributes", "instruction_options"):
            if entry.get(key) is not None and not _is_str_list(entry[key]):
                problems.append(f"{where}: {key!r} must be a list of strings")
    return problems


def load_product(
    raw: dict[str, Any],
    attribute_entry: dict[str, Any] | None,
    review_entry: dict[str, Any] | None = None,
    human_instructions: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, Any] | None, list[str]]:
    """One product record -> (loaded product, []) or (None, problems)."""
    problems: list[str] = []
    name = _require_str(raw, "name", problems)
    query = _require_str(raw, "query", problems)
    product_category = _require_str(raw, "product_category", problems)
    category = _require_str(raw, "category", problems)
    description = raw.get("full_description")
    if description is None:
        description = ""
    elif not isinstance(description, str):
        problems.append("'full_description' must be a string or null")
    bullets = raw.get("small_description")
    if bullets is None:
        bullets = []
    elif isinstance(bullets, str):
        bullets = [bullets]  # upstream wraps a lone string
    if not isinstance(bullets, list) or not all(isinstance(bullet, str) for bullet in bullets):
        problems.append("'small_description' must be a string or a list of strings")
    try:
        pricing = parse_pricing(raw.get("pricing"))
    except (ValueError, TypeError) as error:
        problems.append(str(error))
        pricing = []
    options, option_to_image = _options(raw.get("customization_options"), problems)
    images = raw.get("images")
    if not isinstance(images, list):
        problems.append("'images' must be a list")
        images = []
    attribute_entry = attribute_entry if isinstance(attribute_entry, dict) else {}
    attributes = attribute_entry.get("attributes", [DUMMY_ATTRIBUTE])
    if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
        problems.append("attribute file: 'attributes' must be a list of strings")
    instruction_attributes = attribute_entry.get("instruction_attributes")
    if instruction_attributes is not None and not (
        isinstance(instruction_attributes, list)
        and all(isinstance(a, str) for a in instruction_attributes)
    ):
        problems.append("attribute file: 'instruction_attributes' must be a list of strings")
    instruction = attribute_entry.get("instruction")
    if instruction is not None and not isinstance(instruction, str):
        problems.append(
            f"attribute file: 'instruction' must be a string, got {type(instruction).__name__}"
        )
    problems += _human_instruction_problems(human_instructions)
    if problems:
        return None, problems

    reviews, rating = _reviews(review_entry)
    product = dict(raw)
    product.update(
        {
            "query": query.lower().strip(),
            "Title": name,
            "Description": description,
            "Reviews": reviews,
            "Rating": rating,
            "BulletPoints": bullets,
            "pricing": pricing,
            "Price": price_tag(pricing),
            "options": options,
            "option_to_image": option_to_image,
            "Attributes": attributes,
            "instruction_text": attribute_entry.get("instruction"),
            "instruction_attributes": instruction_attributes,
            "MainImage": images[0] if images else None,
            "category": category,
            "product_category": product_category,
        }
    )
    if human_instructions:
        product["instructions"] = human_instructions
    return product, []


def build_catalog(
    raw_products: list[dict[str, Any]],
    attributes: dict[str, dict[str, Any]],
    reviews: list[dict[str, Any]] | None = None,
    human_instructions: dict[str, list[dict[str, Any]]] | None = None,
    price_seed: int = 0,
    on_error: str = "raise",
) -> Catalog:
    """Load raw WebShop records. ``on_error="raise"`` raises :class:`CatalogError` listing
    every malformed record; ``"skip"`` leaves them out and lists them in ``skipped``."""
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    if not isinstance(raw_products, list):
        raise CatalogError(
            [f"the product file must hold a JSON list, got {type(raw_products).__name__}"]
        )
    if reviews is not None and not isinstance(reviews, list):
        raise CatalogError(
            [f"the reviews file must hold a JSON list, got {type(reviews).__name__}"]
        )
    if human_instructions is not None and not isinstance(human_instructions, dict):
        raise CatalogError(
            [
                "the human instructions file must hold a JSON object asin -> [instructions], "
                f"got {type(human_instructions).__name__}"
            ]
        )
    review_by_asin = {r.get("asin"): r for r in reviews or [] if isinstance(r, dict)}
    human_instructions = human_instructions or {}
    products, skipped, problems = [], [], []
    seen: set[str] = set()
    for index, raw in enumerate(raw_products):
        if not isinstance(raw, dict):
            problems.append(f"record {index}: must be a JSON object, got {type(raw).__name__}")
            continue
        asin = raw.get("asin")
        if not isinstance(asin, str) or not asin:
            problems.append(f"record {index}: 'asin' must be a non-empty string")
            continue
        if asin == "nan" or len(asin) > 10:
            skipped.append(f"record {index} (asin {asin}): invalid asin, skipped as upstream does")
            continue
        if asin in seen:
            skipped.append(f"record {index} (asin {asin}): repeated asin, skipped")
            continue
        seen.add(asin)
        product, record_problems = load_product(
            raw, attributes.get(asin), review_by_asin.get(asin), human_instructions.get(asin)
        )
        if product is None:
            problems.extend(f"record {index} (asin {asin}): {why}" for why in record_problems)
        else:
            products.append(product)
    if problems and on_error == "raise":
        raise CatalogError(problems)
    skipped.extend(problems)
    return Catalog(products=products, prices=product_prices(products, price_seed), skipped=skipped)


def product_prices(products: list[dict[str, Any]], seed: int) -> dict[str, float]:
    """Each product's charged price; a range draws uniformly from a per-asin seeded stream
    (upstream uses the global ``random``)."""
    prices = {}
    for product in products:
        pricing = product["pricing"]
        if not pricing:
            prices[product["asin"]] = DEFAULT_PRICE
        elif len(pricing) == 1:
            prices[product["asin"]] = pricing[0]
        else:
            rng = make_rng(seed, "webshop-price", product["asin"])
            prices[product["asin"]] = float(rng.uniform(pricing[0], pricing[1]))
    return prices


def _read_json(path: str | Path, what: str) -> Any:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"WebShop {what} not found: {path}")
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise CatalogError([f"{what} {path} is not valid JSON: {error}"]) from error
    except UnicodeDecodeError as error:
        raise CatalogError([f"{what} {path} is not UTF-8 text: {error}"]) from None


def load_catalog(
    product_file: str | Path,
    attribute_file: str | Path,
    reviews_file: str | Path | None = None,
    human_instructions_file: str | Path | None = None,
    price_seed: int = 0,
    on_error: str = "raise",
    max_products: int | None = None,
) -> Catalog:
    """Load WebShop's files (the real data or files in the same format); with
    ``max_products``, only the first that many records (upstream's ``num_products``).
    Errors name the file (and the record); skipped records are listed in
    ``Catalog.skipped`` and summarised by :meth:`Catalog.skip_summary`."""
    attributes = _read_json(attribute_file, "attribute file")
    if not isinstance(attributes, dict):
        raise CatalogError(
            [f"the attribute file {attribute_file} must hold a JSON object asin -> entry"]
        )
    raw_products = _read_json(product_file, "product file")
    if max_products is not None and isinstance(raw_products, list):
        raw_products = raw_products[:max_products]
    try:
        return build_catalog(
            raw_products,
            attributes,
            _read_json(reviews_file, "reviews file") if reviews_file else None,
            _read_json(human_instructions_file, "human instructions file")
            if human_instructions_file
            else None,
            price_seed=price_seed,
            on_error=on_error,
        )
    except CatalogError as error:
        files = ", ".join(
            str(f)
            for f in (product_file, attribute_file, reviews_file, human_instructions_file)
            if f
        )
        raise CatalogError([f"in {files}: {problem}" for problem in error.problems]) from None
