"""WebShop's pages in text mode: what is shown and what can be clicked.

A :class:`Page` is the whole navigation state (which page, the last search, the
product and the chosen options). :func:`render` gives the observation: the page's
visible texts joined by ``" [SEP] "``, as WebShop's ``text`` observation mode does.
:func:`clickables` maps each clickable's lower-cased text (buttons, product links,
option values) to what clicking it does.

Page texts, upstream layout::

    search   WebShop [SEP] Instruction: [SEP] <goal> [SEP] Search
    results  Instruction: [SEP] <goal> [SEP] Back to Search [SEP] Page 1 (Total results: 50)
             [SEP] Next > [SEP] <ASIN> [SEP] <title> [SEP] <price> ...
    item     Instruction: [SEP] <goal> [SEP] Back to Search [SEP] < Prev [SEP] <option name>
             [SEP] <value> ... [SEP] <title> [SEP] Price: <price> [SEP] Rating: <rating>
             [SEP] Description [SEP] Features [SEP] Reviews [SEP] Buy Now
    description / features / reviews
             Instruction: [SEP] <goal> [SEP] Back to Search [SEP] < Prev [SEP] <content>
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from lamer_envs.webshop.search import RESULTS_PER_PAGE

PageKind = Literal["search", "results", "item", "description", "features", "reviews", "done"]
SUB_PAGES: tuple[PageKind, ...] = ("description", "features", "reviews")

SEP = " [SEP] "
BACK_TO_SEARCH = "Back to Search"
NEXT_PAGE = "Next >"
PREV_PAGE = "< Prev"
BUY_NOW = "Buy Now"
SUB_PAGE_BUTTONS = {"description": "Description", "features": "Features", "reviews": "Reviews"}


@dataclass(frozen=True, slots=True)
class Page:
    """The navigation state of one shopping session (immutable; cheap to pickle)."""

    kind: PageKind = "search"
    query: str = ""
    """Keywords of the last search."""
    results: tuple[str, ...] = ()
    """Asins the last search returned, best first (at most 50)."""
    page_number: int = 1
    """1-based results page."""
    asin: str | None = None
    """Product shown on the item page and its sub-pages."""
    options: tuple[tuple[str, str], ...] = ()
    """Chosen options ``(name, value)``, sorted by name."""

    @property
    def num_result_pages(self) -> int:
        return max(1, -(-len(self.results) // RESULTS_PER_PAGE))

    def page_results(self) -> tuple[str, ...]:
        start = (self.page_number - 1) * RESULTS_PER_PAGE
        return self.results[start : start + RESULTS_PER_PAGE]

    def with_option(self, name: str, value: str) -> Page:
        chosen = dict(self.options)
        chosen[name] = value
        return replace(self, options=tuple(sorted(chosen.items())))

    def anchor(self) -> str:
        """A key of this state; equal states give equal keys (GiGPO's step groups)."""
        options = ",".join(f"{name}={value}" for name, value in self.options)
        if self.kind == "search":
            return "search"
        if self.kind == "results":
            return f"results|{self.query}|{self.page_number}"
        return f"{self.kind}|{self.query}|{self.page_number}|{self.asin}|{options}"


Click = tuple[str, ...]
"""What a click does: ``("back",)``, ``("next",)``, ``("prev",)``, ``("product", asin)``,
``("option", name, value)``, ``("sub", kind)`` or ``("buy",)``."""


def clickables(page: Page, products: dict[str, dict[str, Any]]) -> dict[str, Click]:
    """Lower-cased clickable text -> action, in upstream's order (buttons, product links,
    then option values; a later duplicate text wins, as in upstream's dict)."""
    targets: dict[str, Click] = {}
    if page.kind == "results":
        targets[BACK_TO_SEARCH.lower()] = ("back",)
        if page.page_number > 1:
            targets[PREV_PAGE.lower()] = ("prev",)
        if page.page_number < page.num_result_pages:
            targets[NEXT_PAGE.lower()] = ("next",)
        for asin in page.page_results():
            targets[asin.lower()] = ("product", asin)
    elif page.kind == "item":
        targets[BACK_TO_SEARCH.lower()] = ("back",)
        targets[PREV_PAGE.lower()] = ("prev",)
        for kind, label in SUB_PAGE_BUTTONS.items():
            targets[label.lower()] = ("sub", kind)
        targets[BUY_NOW.lower()] = ("buy",)
        for name, values in products[page.asin]["options"].items():
            for value in values:
                targets[value] = ("option", name, value)
    elif page.kind in SUB_PAGES:
        targets[BACK_TO_SEARCH.lower()] = ("back",)
        targets[PREV_PAGE.lower()] = ("prev",)
    return targets


def click(page: Page, target: Click) -> Page:
    """The page after a click on ``target`` (one of ``clickables(page)``)."""
    action = target[0]
    if action == "back":
        return Page()
    if action == "next":
        return replace(page, page_number=page.page_number + 1)
    if action == "prev":
        if page.kind == "results":
            return replace(page, page_number=page.page_number - 1)
        if page.kind == "item":  # back to the results page it came from; options reset
            return replace(page, kind="results", asin=None, options=())
        return replace(page, kind="item")  # a sub-page goes back to its item page
    if action == "product":
        return replace(page, kind="item", asin=target[1], options=())
    if action == "option":
        return page.with_option(target[1], target[2])
    if action == "sub":
        return replace(page, kind=target[1])
    if action == "buy":
        return replace(page, kind="done")
    raise ValueError(f"unknown click target {target!r}")


def _reviews_text(product: dict[str, Any]) -> list[str]:
    reviews = product.get("Reviews") or []
    if not reviews:
        return ["No reviews found"]
    texts = []
    for review in reviews:
        texts.extend(
            [
                f'"{review.get("title", "")}"',
                str(review.get("score", "")),
                str(review.get("body", "")),
            ]
        )
    return texts


def visible_texts(
    page: Page, products: dict[str, dict[str, Any]], instruction: str, score: float | None = None
) -> list[str]:
    """The texts of ``page`` in reading order."""
    if page.kind == "search":
        return ["WebShop", "Instruction:", instruction, "Search"]
    if page.kind == "done":
        texts = ["Thank you for shopping with us!", "Your score (min 0.0, max 1.0)"]
        return [*texts, f"{score if score is not None else 0.0}"]
    texts = ["Instruction:", instruction, BACK_TO_SEARCH]
    if page.kind == "results":
        texts.append(f"Page {page.page_number} (Total results: {len(page.results)})")
        if page.page_number > 1:
            texts.append(PREV_PAGE)
        if page.page_number < page.num_result_pages:
            texts.append(NEXT_PAGE)
        for asin in page.page_results():
            product = products[asin]
            texts.extend([asin, product["Title"], product["Price"]])
        return texts
    product = products[page.asin]
    texts.append(PREV_PAGE)
    if page.kind == "item":
        for name, values in product["options"].items():
            texts.append(name)
            texts.extend(values)
        texts.extend(
            [product["Title"], f"Price: {product['Price']}", f"Rating: {product['Rating']}"]
        )
        texts.extend([*SUB_PAGE_BUTTONS.values(), BUY_NOW])
    elif page.kind == "description":
        texts.append(product["Description"])
    elif page.kind == "features":
        texts.extend(product["BulletPoints"])
    elif page.kind == "reviews":
        texts.extend(_reviews_text(product))
    return texts


def render(
    page: Page, products: dict[str, dict[str, Any]], instruction: str, score: float | None = None
) -> str:
    """The text observation of ``page`` (visible texts joined by ``" [SEP] "``)."""
    return SEP.join(text.strip() for text in visible_texts(page, products, instruction, score))
