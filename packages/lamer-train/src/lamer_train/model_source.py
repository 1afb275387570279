"""Where the policy comes from, checked before a run starts (no torch, no weights loaded).

``model.name_or_path`` is ``"tiny"`` (built locally), a local folder written by
``save_pretrained`` (a checkpoint's ``model/`` or an ``lamer-train export``), a warm start shipped with the package (``warm_start:<name>``,
see :func:`resolve_model_path`), or a Hugging Face Hub id such as ``Qwen/Qwen3-4B``. A Hub id is resolved by fetching its
``config.json`` (transformers later downloads the rest into the same cache); with
``HF_HUB_OFFLINE=1`` only the cache is used. Any problem becomes one line naming the
id, so that it is reported before the run folder exists.
"""

from __future__ import annotations

import re
from pathlib import Path

from lamer_train.model_config import TINY_MODEL, ModelConfig


class ModelSourceError(ValueError):
    """``model.name_or_path`` cannot be used; the message says why and what to do."""


SHIPPED_PREFIX = "warm_start:"
"""``model.name_or_path`` prefix of a warm start shipped with the package:
``warm_start:sokoban_6x6`` is the folder ``lamer_train/warm_starts/sokoban_6x6``
(made by ``lamer-train sft``, see :mod:`lamer_train.sft`)."""


def shipped_warm_starts() -> Path:
    """Folder of the warm starts shipped with the package."""
    return Path(__file__).parent / "warm_starts"


def resolve_model_path(name_or_path: str) -> str:
    """``warm_start:<name>`` -> that shipped folder's path; anything else unchanged."""
    if not name_or_path.startswith(SHIPPED_PREFIX):
        return name_or_path
    name = name_or_path.removeprefix(SHIPPED_PREFIX)
    folder = shipped_warm_starts() / name
    if not name or "/" in name or not (folder / "config.json").is_file():
        root = shipped_warm_starts()
        shipped = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        raise ModelSourceError(
            f"model.name_or_path={name_or_path!r}: no such shipped warm start; shipped: {shipped}"
        )
    return str(folder)


def check_model_source(config: ModelConfig) -> str:
    """``"tiny"``, ``"local"`` or ``"hub"``; raises :class:`ModelSourceError` otherwise.

    A Hub id is looked up (network, or the cache when offline); nothing but its
    ``config.json`` is fetched here. ``model.tokenizer`` is checked the same way.
    """
    check_tokenizer_source(config)
    name = resolve_model_path(config.name_or_path)
    if name == TINY_MODEL:
        return "tiny"
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelSourceError(
                f"model.name_or_path={name!r} is a folder without config.json; point it at "
                "a save_pretrained folder (e.g. a checkpoint's model/ or an exported model)"
            )
        return "local"
    if looks_like_path(name):
        raise ModelSourceError(
            f"model.name_or_path={name!r}: no such checkpoint folder (and not a Hub id "
            "like 'Qwen/Qwen3-4B')"
        )
    _resolve_hub_id(name, "model.name_or_path")
    return "hub"


def looks_like_path(name: str) -> bool:
    """A name meant as a file-system path (a Hub id is ``owner/name`` or ``name``)."""
    return (
        Path(name).expanduser().exists()
        or name.startswith((".", "/", "~"))
        or name.count("/") > 1
        or "\\" in name
    )


def check_tokenizer_source(config: ModelConfig) -> None:
    """``model.tokenizer``, when set to a folder or a Hub id, can be found (see above)."""
    name = config.tokenizer
    if name is None or name == "qwen3" or re.fullmatch(r"qwen3-\d+", name):
        return
    path = Path(name).expanduser()
    if path.is_dir():
        return
    if looks_like_path(name):
        raise ModelSourceError(
            f"model.tokenizer={name!r}: not 'qwen3', 'qwen3-N', an existing folder or a Hub id"
        )
    _resolve_hub_id(name, "model.tokenizer", filename="tokenizer_config.json")


def _resolve_hub_id(repo_id: str, field: str, filename: str = "config.json") -> Path:
    """The cached ``filename`` of a Hub repo; fetched first when it is not cached yet."""
    import logging

    from huggingface_hub import constants, hf_hub_download, try_to_load_from_cache
    from huggingface_hub.errors import (
        GatedRepoError,
        HFValidationError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    where = f"{field}={repo_id!r}"
    not_cached = (
        f"download it once with network access (e.g. `hf download {repo_id}`) or point "
        f"{field} at a local save_pretrained folder"
    )
    try:
        cached = try_to_load_from_cache(repo_id, filename)
    except HFValidationError:
        raise ModelSourceError(
            f"{where}: neither 'tiny', a checkpoint folder nor a hub id like 'Qwen/Qwen3-4B'"
        ) from None
    if isinstance(cached, str):
        return Path(cached)
    if constants.HF_HUB_OFFLINE:
        raise ModelSourceError(
            f"{where}: HF_HUB_OFFLINE=1 is set and it is not in the Hugging Face cache "
            f"({constants.HF_HUB_CACHE}); {not_cached}"
        )
    if not _hub_reachable(constants.ENDPOINT):
        raise ModelSourceError(
            f"{where}: not in the Hugging Face cache ({constants.HF_HUB_CACHE}) and "
            f"{constants.ENDPOINT} cannot be reached; {not_cached}, or set HF_HUB_OFFLINE=1 "
            "once it is cached"
        )
    hub_logger = logging.getLogger("huggingface_hub")
    level = hub_logger.level
    hub_logger.setLevel(logging.ERROR)  # its retry warnings would bury the one-line error
    try:
        return Path(hf_hub_download(repo_id=repo_id, filename=filename))
    except (LocalEntryNotFoundError, OfflineModeIsEnabled):
        raise ModelSourceError(
            f"{where}: the Hub did not answer and it is not in the Hugging Face cache "
            f"({constants.HF_HUB_CACHE}); {not_cached}"
        ) from None
    except GatedRepoError:
        raise ModelSourceError(
            f"{where}: the Hub model is gated; accept its terms and log in (`hf auth login`)"
        ) from None
    except RepositoryNotFoundError:
        raise ModelSourceError(
            f"{where}: no such model on the Hugging Face Hub (or it is private)"
        ) from None
    finally:
        hub_logger.setLevel(level)


def _hub_reachable(endpoint: str, timeout: float = 5.0) -> bool:
    """A quick connection to the Hub's host (skipped behind a proxy, which may be the only
    way out): no network fails here in seconds instead of after the client's retries."""
    import os
    import socket
    from urllib.parse import urlparse

    if any(
        os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
    ):
        return True
    url = urlparse(endpoint)
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=timeout).close()
    except OSError:
        return False
    return True
