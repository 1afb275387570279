"""Loading WebShop's file formats: a fixture in the real format, and bad records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lamer_envs.webshop.catalog import (
    DUMMY_ATTRIBUTE,
    CatalogError,
    build_catalog,
    load_catalog,
    parse_pricing,
    price_tag,
)

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(**kwargs):
    return load_catalog(
        FIXTURES / "items_fixture.json",
        FIXTURES / "items_ins_fixture.json",
        FIXTURES / "items_reviews_fixture.json",
        FIXTURES / "items_human_ins_fixture.json",
        **kwargs,
    )


def test_fixture_loads_into_upstream_loader_layout() -> None:
    catalog = load_fixture()
    assert len(catalog) == 6
    assert catalog.skipped == []
    tea = catalog.by_asin["B01TEA0001"]
    assert tea["Title"] == tea["name"]
    assert tea["query"] == "green tea"  # lower-cased and stripped
    assert tea["options"] == {
        "flavor name": ["jasmine", "lemon | ginger"],
        "size": ["20 count", "100 count"],
    }
    assert tea["option_to_image"]["jasmine"] == "img/tea-jasmine.jpg"
    assert tea["pricing"] == [12.99] and tea["Price"] == "$12.99"
    assert tea["Rating"] == "4.5"
    assert tea["Reviews"][0] == {
        "title": "Lovely evening tea",
        "score": 5,
        "body": "Calm flavour, not bitter.",
    }
    assert tea["Reviews"][1]["score"] == 4
    assert tea["Attributes"] == ["caffeine free", "individually wrapped", "usda organic"]
    assert tea["instruction_attributes"] == ["caffeine free"]
    assert tea["MainImage"] == "img/tea-main.jpg"


def test_fixture_quirks_follow_upstream() -> None:
    catalog = load_fixture()
    matcha = catalog.by_asin["B01TEA0002"]
    assert matcha["BulletPoints"] == ["Ceremonial grade matcha, whisk into hot water"]
    assert matcha["options"] == {}
    assert matcha["Price"] == "$18.5 to $32.0"
    assert 18.5 <= catalog.prices["B01TEA0002"] <= 32.0
    crew = catalog.by_asin["B01SOC0006"]
    assert crew["Attributes"] == [DUMMY_ATTRIBUTE]  # not in the attribute file
    assert catalog.prices["B01SOC0006"] == 100.0 and crew["Price"] == "$100.0"
    assert catalog.by_asin["B01SOC0005"]["instructions"][0]["instruction_options"] == [
        "large",
        "olive",
    ]


def test_range_prices_are_seeded() -> None:
    assert load_fixture(price_seed=3).prices == load_fixture(price_seed=3).prices
    assert load_fixture(price_seed=3).prices != load_fixture(price_seed=4).prices


@pytest.mark.parametrize(
    ("pricing", "expected", "tag"),
    [
        ("$12.99", [12.99], "$12.99"),
        ("$1,299.00", [1299.0], "$1299.0"),
        ("$10.99 - $15.99", [10.99, 15.99], "$10.99 to $15.99"),
        ([5, 7.5], [5.0, 7.5], "$5.0 to $7.5"),
        ("", [], "$100.0"),
        (None, [], "$100.0"),
    ],
)
def test_pricing_parse(pricing, expected: list[float], tag: str) -> None:
    assert parse_pricing(pricing) == expected
    assert price_tag(expected) == tag


def _raw_products() -> list[dict]:
    with (FIXTURES / "items_fixture.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def test_bad_records_are_reported_with_their_index_and_asin() -> None:
    products = _raw_products()
    del products[2]["name"]
    products[3]["pricing"] = "twelve dollars"
    products[4]["customization_options"] = {"Size": [{"label": "M"}]}
    products.append("not a record")
    with pytest.raises(CatalogError) as error:
        build_catalog(products, {})
    problems = error.value.problems
    assert len(problems) == 4
    assert problems[0].startswith("record 2 (asin B01MUG0003): 'name' must be a string")
    assert "record 3 (asin B01MUG0004)" in problems[1] and "pricing" in problems[1]
    assert "record 4 (asin B01SOC0005)" in problems[2] and "'value'" in problems[2]
    assert problems[3].startswith("record 6: must be a JSON object")


def test_skip_mode_keeps_good_records_and_lists_the_rest() -> None:
    products = _raw_products()
    products[0]["small_description"] = 42
    products.append(dict(products[1]))  # repeated asin
    products.append({**products[1], "asin": "nan"})
    catalog = build_catalog(products, {}, on_error="skip")
    assert len(catalog) == 5
    assert "B01TEA0001" not in catalog.by_asin
    assert any("repeated asin" in why for why in catalog.skipped)
    assert any("invalid asin" in why for why in catalog.skipped)
    assert any("small_description" in why for why in catalog.skipped)


def test_missing_and_invalid_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="product file not found"):
        load_catalog(tmp_path / "missing.json", FIXTURES / "items_ins_fixture.json")
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog(broken, FIXTURES / "items_ins_fixture.json")


def _copy_fixtures(tmp_path: Path) -> dict[str, Path]:
    names = {
        "products": "items_fixture.json",
        "attributes": "items_ins_fixture.json",
        "reviews": "items_reviews_fixture.json",
        "human": "items_human_ins_fixture.json",
    }
    paths = {}
    for key, name in names.items():
        paths[key] = tmp_path / name
        paths[key].write_bytes((FIXTURES / name).read_bytes())
    return paths


def _load(paths: dict[str, Path]):
    return load_catalog(paths["products"], paths["attributes"], paths["reviews"], paths["human"])


@pytest.mark.parametrize("which", ["products", "attributes", "reviews", "human"])
def test_a_file_that_is_not_utf8_is_an_error_naming_it(tmp_path: Path, which: str) -> None:
    paths = _copy_fixtures(tmp_path)
    paths[which].write_bytes(paths[which].read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(CatalogError, match="not UTF-8") as error:
        _load(paths)
    assert paths[which].name in str(error.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([["an instruction"]], "human instructions file must hold a JSON object"),
        ({"B01TEA0001": "buy tea"}, "B01TEA0001.*must be a list of objects"),
        ({"B01TEA0001": ["buy tea"]}, "B01TEA0001.*human instruction 0: must be an object"),
        ({"B01TEA0001": [{"instruction": 7}]}, "'instruction' must be a string"),
        (
            {"B01TEA0001": [{"instruction": "tea", "instruction_attributes": "caffeine free"}]},
            "'instruction_attributes' must be a list of strings",
        ),
    ],
    ids=["list", "str-entry", "str-instruction", "int-instruction", "str-attributes"],
)
def test_human_instructions_of_the_wrong_shape_name_the_file_and_record(
    tmp_path: Path, content, message: str
) -> None:
    paths = _copy_fixtures(tmp_path)
    paths["human"].write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(CatalogError, match=message) as error:
        _load(paths)
    assert paths["human"].name in str(error.value)


@pytest.mark.parametrize(
    ("pricing", "message"),
    [
        ([float("nan")], "finite"),
        ([-3.5], ">= 0"),
        ([float("inf"), 2.0], "finite"),
        (["12"], "must hold numbers"),
    ],
)
def test_nan_negative_or_non_numeric_prices_are_rejected(pricing, message: str) -> None:
    products = _raw_products()
    products[1]["pricing"] = pricing
    with pytest.raises(CatalogError, match=message) as error:
        build_catalog(products, {})
    assert "record 1 (asin" in error.value.problems[0]


def test_an_integer_instruction_or_string_attributes_are_rejected() -> None:
    products = _raw_products()
    asin = products[0]["asin"]
    entry = {"attributes": ["a"], "instruction": 12, "instruction_attributes": ["a"]}
    with pytest.raises(CatalogError, match="'instruction' must be a string, got int"):
        build_catalog(products, {asin: entry})
    entry = {"attributes": "cotton", "instruction": "a shirt", "instruction_attributes": ["a"]}
    with pytest.raises(CatalogError, match="'attributes' must be a list of strings"):
        build_catalog(products, {asin: entry})


def test_skipped_records_are_summarised_with_their_reasons() -> None:
    products = _raw_products()
    products.append(dict(products[1]))
    products.append(dict(products[2]))
    products.append({**products[1], "asin": "nan"})
    catalog = build_catalog(products, {})
    summary = catalog.skip_summary()
    assert summary.startswith("3 catalog record(s) skipped:")
    assert "2 x repeated asin, skipped" in summary and "1 x invalid asin" in summary
    assert build_catalog(_raw_products(), {}).skip_summary() == ""


def test_the_shop_warns_once_with_the_skip_summary_of_real_data(tmp_path: Path) -> None:
    from lamer_envs.webshop.config import WebShopConfig
    from lamer_envs.webshop.shop import build_shop

    paths = _copy_fixtures(tmp_path)
    products = _raw_products()
    products.append(dict(products[0]))
    paths["products"].write_text(json.dumps(products), encoding="utf-8")
    config = WebShopConfig(
        product_file=str(paths["products"]), attribute_file=str(paths["attributes"])
    )
    with pytest.warns(UserWarning, match=r"items_fixture\.json: 1 catalog record\(s\) skipped"):
        build_shop(config)
