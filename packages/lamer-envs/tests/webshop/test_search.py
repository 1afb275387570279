"""BM25 search over upstream's search documents."""

from __future__ import annotations

import pytest

from lamer_envs.webshop.catalog import build_catalog
from lamer_envs.webshop.generator import generate_catalog_files
from lamer_envs.webshop.search import SEARCH_RETURN_N, SearchIndex, document_text, tokenize


@pytest.fixture(scope="module")
def catalog():
    files = generate_catalog_files(600, seed=3)
    return build_catalog(files.products, files.attributes, files.reviews)


@pytest.fixture(scope="module")
def index(catalog):
    return SearchIndex(catalog.products)


def test_document_is_title_description_first_bullet_and_options() -> None:
    product = {
        "Title": "Mug",
        "Description": "Warm",
        "BulletPoints": ["Lid", "Handle"],
        "options": {"color": ["black", "white"], "size": ["12 oz"]},
    }
    assert document_text(product) == "mug warm lid color: black, white, and size: 12 oz"


def test_tokenizer_is_lucene_english_like() -> None:
    assert tokenize("The Running Shoes for Kids and berries") == ["run", "shoe", "kid", "berri"]
    assert tokenize("Men's 7.5 wide, 1,000 pieces") == ["men", "7.5", "wide", "1,000", "piec"]


def test_a_product_title_finds_that_product_first(index, catalog) -> None:
    hits = 0
    for position in range(0, 600, 30):
        results = index.search(catalog.products[position]["Title"])
        assert len(results) <= SEARCH_RETURN_N
        hits += position in results[:10]
    assert hits >= 18  # near-duplicate titles may share the top spot


def test_results_are_positive_scores_best_first_and_deterministic(index) -> None:
    results = index.search("black waterproof camping tent")
    assert len(results) == SEARCH_RETURN_N
    scores = index.scores("black waterproof camping tent")[results]
    assert (scores > 0).all()
    assert list(scores) == sorted(scores, reverse=True)
    assert results == index.search("Black Waterproof  CAMPING tents")


def test_unknown_or_empty_queries_return_nothing(index) -> None:
    assert index.search("zzzzqqq") == []
    assert index.search("") == []
    assert index.search("the and of") == []
