"""Shared fixtures of the cross-package tests: throwaway environments built with uv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

UvRunner = Callable[..., subprocess.CompletedProcess]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def uv() -> UvRunner:
    """``uv(*args, cwd=...)`` runs the uv CLI outside the test's own virtualenv."""
    executable = shutil.which("uv")
    if executable is None:
        pytest.skip("uv is not on PATH")
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.setdefault("UV_PYTHON", f"{sys.version_info.major}.{sys.version_info.minor}")

    def run(*args: str, cwd: Path = REPO_ROOT, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )

    return run


@pytest.fixture(scope="session")
def isolated(uv: UvRunner) -> Callable[[list[str], str], subprocess.CompletedProcess]:
    """``isolated(withs, code)``: ``python -c code`` in a throwaway env holding only ``withs``."""

    def run(withs: list[str], code: str) -> subprocess.CompletedProcess:
        args = ["run", "--isolated", "--no-project", "--quiet"]
        for item in withs:
            args += ["--with", item]
        return uv(*args, "python", "-c", code)

    return run
