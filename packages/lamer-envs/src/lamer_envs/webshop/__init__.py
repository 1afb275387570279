"""WebShop (Yao et al., 2022) for LaMer: installs with ``pip install lamer-envs[webshop]``
and runs offline on a generated catalog, or on WebShop's real data files.

Modules: ``catalog`` (WebShop's JSON formats, loader), ``generator`` + ``vocabulary``
(the built-in catalog), ``goals`` (goals and the train/test split), ``search`` +
``porter`` (BM25 with Lucene-style analysis), ``pages`` (text-mode pages and clicks),
``reward`` (upstream's purchase score), ``nouns`` (title nouns), ``config`` + ``shop``
(settings, per-process cache), ``env`` (``lamer/WebShop-v0``), ``oracle`` (a scripted
shopper).
"""

from lamer_envs.webshop.config import WebShopConfig

__all__ = ["WebShopConfig"]
