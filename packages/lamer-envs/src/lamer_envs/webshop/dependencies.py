"""Lazy imports of the WebShop extra (``bm25s``, ``rapidfuzz``).

``import lamer_envs`` must stay light and work without the extra, so the WebShop
modules import these only when a catalog is indexed or a purchase is scored.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_INSTALL_HINT = "pip install 'lamer-envs[webshop]'"


def require(module_name: str) -> ModuleType:
    """Import ``module_name`` or raise an :class:`ImportError` that says how to install it."""
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise ImportError(
            f"The WebShop environment needs the package '{module_name.split('.')[0]}', "
            f"which is not installed. Install the extra with: {_INSTALL_HINT}"
        ) from error
