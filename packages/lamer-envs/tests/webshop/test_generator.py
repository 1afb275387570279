"""The built-in catalog: deterministic, varied, and in WebShop's formats."""

from __future__ import annotations

import string

from lamer_envs.webshop.catalog import build_catalog, load_catalog, normalize_option_value
from lamer_envs.webshop.generator import generate_catalog_files, write_catalog_files
from lamer_envs.webshop.vocabulary import PRODUCT_TYPES


def test_same_seed_same_catalog_and_different_seed_different_catalog() -> None:
    first = generate_catalog_files(300, seed=5)
    assert first == generate_catalog_files(300, seed=5)
    other = generate_catalog_files(300, seed=6)
    assert [p["asin"] for p in first.products] != [p["asin"] for p in other.products]


def test_catalog_spans_every_category_with_unique_asins() -> None:
    files = generate_catalog_files(1000, seed=0)
    assert len(files.products) == 1000
    assert len({p["asin"] for p in files.products}) == 1000
    categories = {p["category"] for p in files.products}
    assert len(categories) >= 12
    assert {p["query"] for p in files.products} == {kind.query for kind in PRODUCT_TYPES}


def test_generated_files_load_cleanly_with_options_prices_and_instructions() -> None:
    files = generate_catalog_files(500, seed=1)
    catalog = build_catalog(files.products, files.attributes, files.reviews)
    assert len(catalog) == 500 and catalog.skipped == []
    with_options = [p for p in catalog.products if p["options"]]
    assert len(with_options) > 400
    assert any(len(p["pricing"]) == 2 for p in catalog.products)  # some price ranges
    for product in catalog.products:
        entry = files.attributes[product["asin"]]
        assert set(entry["instruction_attributes"]) <= set(entry["attributes"])
        text = " ".join(product["BulletPoints"]).lower()
        assert all(attribute in text for attribute in entry["attributes"])
        assert 0 < catalog.prices[product["asin"]] < 400


def test_generated_text_is_printable_ascii() -> None:
    files = generate_catalog_files(200, seed=2)
    allowed = set(string.printable)
    for product in files.products:
        texts = [product["name"], product["full_description"], *product["small_description"]]
        texts += [
            o["value"]
            for values in (product["customization_options"] or {}).values()
            for o in values
        ]
        assert all(set(text) <= allowed for text in texts)


def test_human_style_instructions_name_one_value_of_every_option() -> None:
    files = generate_catalog_files(300, seed=4)
    catalog = build_catalog(
        files.products, files.attributes, files.reviews, files.human_instructions
    )
    assert set(files.human_instructions) == set(catalog.by_asin)
    for asin, instructions in files.human_instructions.items():
        product = catalog.by_asin[asin]
        assert 1 <= len(instructions) <= 2
        for entry in instructions:
            assert len(entry["instruction_options"]) == len(product["options"])
            for value, values in zip(
                entry["instruction_options"], product["options"].values(), strict=True
            ):
                assert normalize_option_value(value) in values and value in entry["instruction"]
            assert set(entry["instruction_attributes"]) <= set(product["Attributes"])


def test_written_files_load_back_into_the_same_catalog(tmp_path) -> None:
    files = generate_catalog_files(120, seed=8)
    paths = write_catalog_files(files, tmp_path / "data")
    assert sorted(path.name for path in paths.values()) == [
        "items_human_ins.json",
        "items_ins_v2.json",
        "items_reviews.json",
        "items_shuffle.json",
    ]
    loaded = load_catalog(
        paths["products"], paths["attributes"], paths["reviews"], paths["human_instructions"]
    )
    built = build_catalog(files.products, files.attributes, files.reviews, files.human_instructions)
    assert loaded.products == built.products
    assert loaded.prices == built.prices
