"""Noun extraction for the reward's title score.

Upstream WebShop keeps the tokens of a product name that spaCy tags ``NOUN`` or
``PROPN`` (lower-cased, in order, duplicates kept). spaCy and its English model are
large and optional here:

- :func:`spacy_nouns` uses spaCy when it and a pipeline (``en_core_web_sm`` by
  default, the one upstream loads) are installed.
- :func:`heuristic_nouns` is the dependency-free fallback. Product titles are mostly
  title-cased, and spaCy tags almost every capitalised word of them ``PROPN``; the
  fallback therefore keeps every word that has a letter and no digit and is not a
  function word (article, preposition, conjunction, pronoun, possessive ``'s``) or the
  dimension sign "x". It also keeps words spaCy would call adjectives or verbs ("adjustable", "folding"),
  which only matters when goal and product names differ.

:func:`default_noun_extractor` picks spaCy when available, else the fallback; the
choice is reported by :func:`noun_extractor_name`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

NounExtractor = Callable[[str], list[str]]
"""``name -> nouns``: lower-cased noun tokens of a product name, in order, duplicates kept."""

NOUN_TAGS = frozenset({"NOUN", "PROPN", "PNOUN"})
"""Coarse POS tags upstream keeps (``PNOUN`` is listed upstream but never produced)."""

SPACY_MODEL = "en_core_web_sm"

FUNCTION_WORDS = frozenset({
    "a", "an", "the", "and", "or", "nor", "but", "plus", "with", "without", "for", "of",
    "in", "on", "at", "by", "to", "from", "into", "onto", "over", "under", "up", "down",
    "off", "out", "about", "as", "per", "via", "vs", "versus", "than", "so", "too", "very",
    "all", "any", "each", "every", "no", "not", "this", "that", "these", "those", "it",
    "its", "you", "your", "my", "our", "their", "his", "her", "we", "they", "he", "she",
    "i", "me", "us", "them", "is", "are", "be", "was", "were", "will", "can"
})  # fmt: skip
"""Words the fallback never counts as nouns (spaCy tags them ADP, CCONJ, DET, PRON, ...)."""

_POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")


def heuristic_nouns(name: str) -> list[str]:
    """Fallback nouns: lower-cased words with a letter and no digit, minus function words."""
    words = _WORD.findall(_POSSESSIVE.sub(" ", name))
    nouns = []
    for word in words:
        lowered = word.lower()
        if any(ch.isdigit() for ch in lowered) or not any(ch.isalpha() for ch in lowered):
            continue
        if lowered in FUNCTION_WORDS or lowered == "x":  # "x" as in "5 x 7": spaCy's SYM
            continue
        nouns.append(lowered)
    return nouns


@functools.cache
def _spacy_pipeline(model: str):  # -> spacy.Language | None
    try:
        import spacy
    except ImportError:
        return None
    try:
        return spacy.load(model, disable=["ner", "lemmatizer", "parser"])
    except OSError:  # spaCy present, model not installed
        return None


def spacy_available(model: str = SPACY_MODEL) -> bool:
    """spaCy and the pipeline ``model`` can be loaded in this process."""
    return _spacy_pipeline(model) is not None


def spacy_nouns(name: str, model: str = SPACY_MODEL) -> list[str]:
    """Upstream's nouns: tokens tagged NOUN/PROPN by the spaCy pipeline ``model``."""
    nlp = _spacy_pipeline(model)
    if nlp is None:
        raise ImportError(
            f"spaCy noun extraction needs spaCy and the pipeline '{model}' "
            f"(pip install spacy && python -m spacy download {model})"
        )
    return [token.text.lower() for token in nlp(name) if token.pos_ in NOUN_TAGS]


def noun_extractor_name() -> str:
    """``"spacy"`` or ``"heuristic"``: what :func:`default_noun_extractor` uses here."""
    return "spacy" if spacy_available() else "heuristic"


def default_noun_extractor() -> NounExtractor:
    """spaCy's nouns when spaCy and ``en_core_web_sm`` are installed, else the fallback."""
    return spacy_nouns if spacy_available() else heuristic_nouns


def get_noun_extractor(kind: str) -> NounExtractor:
    """``"auto"``, ``"spacy"`` or ``"heuristic"`` -> an extractor."""
    if kind == "auto":
        return default_noun_extractor()
    if kind == "spacy":
        return spacy_nouns
    if kind == "heuristic":
        return heuristic_nouns
    raise ValueError(f"noun extractor must be 'auto', 'spacy' or 'heuristic', got {kind!r}")
