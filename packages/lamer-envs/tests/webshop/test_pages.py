"""Text-mode pages: what each page shows and what its clicks do."""

from __future__ import annotations

from lamer_envs.webshop.pages import Page, click, clickables, render

PRODUCT = {
    "asin": "B0TEST0001",
    "Title": "Acme Mug",
    "Price": "$9.99",
    "Rating": "N.A.",
    "Description": "A mug.",
    "BulletPoints": ["Dishwasher safe", "Lid included"],
    "Reviews": [],
    "options": {"color": ["black", "white"], "size": ["12 oz"]},
}
PRODUCTS = {f"B0TEST{i:04d}": {**PRODUCT, "asin": f"B0TEST{i:04d}"} for i in range(1, 24)}


def results_page(number: int = 1) -> Page:
    return Page(kind="results", query="mug", results=tuple(PRODUCTS), page_number=number)


def test_search_page_text_and_no_clickables() -> None:
    assert (
        render(Page(), PRODUCTS, "buy a mug")
        == "WebShop [SEP] Instruction: [SEP] buy a mug [SEP] Search"
    )
    assert clickables(Page(), PRODUCTS) == {}


def test_results_page_lists_ten_products_and_paging_buttons() -> None:
    text = render(results_page(1), PRODUCTS, "buy a mug")
    assert text.startswith(
        "Instruction: [SEP] buy a mug [SEP] Back to Search [SEP] Page 1 (Total results: 23) "
        "[SEP] Next > [SEP] B0TEST0001 [SEP] Acme Mug [SEP] $9.99"
    )
    targets = clickables(results_page(1), PRODUCTS)
    assert list(targets)[:2] == ["back to search", "next >"]
    assert len([t for t in targets.values() if t[0] == "product"]) == 10
    last = clickables(results_page(3), PRODUCTS)
    assert "next >" not in last and "< prev" in last
    assert len([t for t in last.values() if t[0] == "product"]) == 3


def test_item_page_shows_options_and_buttons() -> None:
    page = click(results_page(2), ("product", "B0TEST0012"))
    assert page.kind == "item" and page.asin == "B0TEST0012" and page.options == ()
    assert render(page, PRODUCTS, "g") == (
        "Instruction: [SEP] g [SEP] Back to Search [SEP] < Prev [SEP] color [SEP] black [SEP] "
        "white [SEP] size [SEP] 12 oz [SEP] Acme Mug [SEP] Price: $9.99 [SEP] Rating: N.A. "
        "[SEP] Description [SEP] Features [SEP] Reviews [SEP] Buy Now"
    )
    assert list(clickables(page, PRODUCTS)) == [
        "back to search",
        "< prev",
        "description",
        "features",
        "reviews",
        "buy now",
        "black",
        "white",
        "12 oz",
    ]


def test_options_replace_per_name_and_prev_goes_back_to_the_same_results_page() -> None:
    page = click(results_page(2), ("product", "B0TEST0012"))
    page = click(page, ("option", "color", "black"))
    page = click(page, ("option", "color", "white"))
    page = click(page, ("option", "size", "12 oz"))
    assert page.options == (("color", "white"), ("size", "12 oz"))
    features = click(page, ("sub", "features"))
    assert render(features, PRODUCTS, "g").endswith(
        "< Prev [SEP] Dishwasher safe [SEP] Lid included"
    )
    assert click(features, ("prev",)) == page  # options kept
    back = click(page, ("prev",))
    assert back.kind == "results" and back.page_number == 2 and back.options == ()
    assert click(page, ("back",)) == Page()


def test_reviews_page_without_reviews() -> None:
    page = Page(kind="reviews", asin="B0TEST0001")
    assert render(page, PRODUCTS, "g").endswith("< Prev [SEP] No reviews found")


def test_anchor_tells_states_apart() -> None:
    item = click(results_page(1), ("product", "B0TEST0001"))
    anchors = {
        Page().anchor(),
        results_page(1).anchor(),
        results_page(2).anchor(),
        item.anchor(),
        click(item, ("option", "color", "black")).anchor(),
        click(item, ("sub", "description")).anchor(),
    }
    assert len(anchors) == 6
    assert item.anchor() == click(results_page(1), ("product", "B0TEST0001")).anchor()
