"""Noun extraction: spaCy when installed, a documented heuristic otherwise."""

from __future__ import annotations

import pytest

from lamer_envs.webshop.nouns import (
    get_noun_extractor,
    heuristic_nouns,
    noun_extractor_name,
    spacy_available,
)


def test_heuristic_keeps_content_words_in_order_with_duplicates() -> None:
    name = "Philips Sonicare 4100 Power Toothbrush, Rechargeable Electric Toothbrush with Sensor"
    assert heuristic_nouns(name) == [
        "philips",
        "sonicare",
        "power",
        "toothbrush",
        "rechargeable",
        "electric",
        "toothbrush",
        "sensor",
    ]


def test_heuristic_drops_numbers_function_words_and_possessives() -> None:
    assert heuristic_nouns("Men's T-Shirt for the Beach, 2 Pack of 12oz") == [
        "men",
        "t",
        "shirt",
        "beach",
        "pack",
    ]
    assert heuristic_nouns("with and for 100") == []
    assert heuristic_nouns("Garden Hose 5/8 in. x 50 ft") == ["garden", "hose", "ft"]


def test_auto_uses_the_heuristic_when_spacy_is_missing() -> None:
    if spacy_available():
        pytest.skip("spaCy with en_core_web_sm is installed here")
    assert noun_extractor_name() == "heuristic"
    assert get_noun_extractor("auto") is heuristic_nouns


def test_unknown_extractor_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="noun extractor"):
        get_noun_extractor("nltk")


def test_asking_for_spacy_without_it_fails_when_the_env_is_built() -> None:
    if spacy_available():
        pytest.skip("spaCy with en_core_web_sm is installed here")
    from lamer_envs.webshop.env import WebShopEnv

    with pytest.raises(ImportError, match="en_core_web_sm"):
        WebShopEnv(noun_extractor="spacy")
    with pytest.raises(ImportError, match="spacy download"):
        get_noun_extractor("spacy")("Acme Mug")
