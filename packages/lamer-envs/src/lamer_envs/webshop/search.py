"""BM25 product search (``bm25s``), standing in for upstream's Lucene index.

Each product is indexed as upstream's search documents are built: title, description,
first bullet point and the option text (``"color: black, white, and size: s, m"``),
lower-cased. A query returns the top :data:`SEARCH_RETURN_N` products with a
positive score, best first; ties keep catalog order, so results are deterministic.

Upstream's Lucene index (Pyserini defaults) is approximated with Lucene's English
stop words, its possessive filter, the Porter stemmer and ``bm25s``'s Lucene-variant
BM25 with Pyserini's default ``k1=0.9, b=0.4``. Tokens are split on non-alphanumerics
(decimal numbers kept whole) rather than by Unicode word-break rules.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from lamer_envs.webshop.dependencies import require
from lamer_envs.webshop.porter import porter_stem

SEARCH_RETURN_N = 50
"""Upstream returns the top 50 hits."""

RESULTS_PER_PAGE = 10
"""Upstream shows 10 results per page."""

STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with"
})  # fmt: skip
"""Lucene's English stop words."""

_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+")
_POSSESSIVE = re.compile(r"['’]s\b")


def tokenize(text: str) -> list[str]:
    """Lucene's English analysis, approximately: possessive ``'s`` removed, word tokens
    (decimal numbers kept whole), lower case, stop words removed, Porter stems."""
    words = _TOKEN.findall(_POSSESSIVE.sub("", text.lower()))
    return [porter_stem(word) for word in words if word not in STOP_WORDS]


def document_text(product: dict[str, Any]) -> str:
    """Upstream's search document of a loaded product."""
    option_text = ", and ".join(
        f"{name}: {', '.join(values)}" for name, values in product.get("options", {}).items()
    )
    bullets = product.get("BulletPoints") or [""]
    return " ".join(
        [product.get("Title", ""), product.get("Description", ""), bullets[0] or "", option_text]
    ).lower()


class SearchIndex:
    """BM25 over a catalog's products; :meth:`search` returns product positions."""

    def __init__(self, products: list[dict[str, Any]], k1: float = 0.9, b: float = 0.4) -> None:
        bm25s = require("bm25s")
        self._num_docs = len(products)
        corpus = [tokenize(document_text(product)) for product in products]
        self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        self._bm25.index(corpus, show_progress=False)
        self._vocabulary = self._bm25.vocab_dict

    def __len__(self) -> int:
        return self._num_docs

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every product for ``query`` (shape ``[num_products]``)."""
        tokens = [t for t in dict.fromkeys(tokenize(query)) if t in self._vocabulary]
        if not tokens:
            return np.zeros(self._num_docs, dtype=np.float32)
        return self._bm25.get_scores(tokens)

    def search(self, query: str, k: int = SEARCH_RETURN_N) -> list[int]:
        """Positions of the top ``k`` products with a positive score, best first."""
        scores = self.scores(query)
        positive = np.flatnonzero(scores > 0)
        if positive.size > k:
            # Keep every product tied with the k-th score, then order exactly.
            threshold = np.partition(scores[positive], positive.size - k)[positive.size - k]
            positive = positive[scores[positive] >= threshold]
        order = np.lexsort((positive, -scores[positive]))
        return positive[order][:k].tolist()
