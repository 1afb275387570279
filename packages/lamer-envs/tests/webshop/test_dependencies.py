"""The WebShop extra (bm25s, rapidfuzz) is imported lazily, with an install hint."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from lamer_envs.webshop.dependencies import require
from lamer_envs.webshop.env import WebShopEnv
from lamer_envs.webshop.reward import fuzzy_score


def test_importing_the_env_does_not_import_the_extra() -> None:
    code = textwrap.dedent(
        """
        import sys
        import lamer_envs, lamer_envs.webshop.env
        print(sorted(m for m in ("bm25s", "rapidfuzz", "spacy", "torch") if m in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"


def test_missing_extra_raises_an_import_error_naming_the_install_command(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "bm25s", None)  # makes `import bm25s` fail
    with pytest.raises(ImportError, match=r"pip install 'lamer-envs\[webshop\]'"):
        WebShopEnv(num_products=40, catalog_seed=123)
    monkeypatch.setitem(sys.modules, "rapidfuzz", None)
    monkeypatch.setitem(sys.modules, "rapidfuzz.fuzz", None)
    with pytest.raises(ImportError, match="rapidfuzz"):
        fuzzy_score("a", "b")


def test_require_returns_the_module() -> None:
    assert require("json").dumps([1]) == "[1]"
