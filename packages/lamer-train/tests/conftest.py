"""Shared helpers of the lamer-train tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lamer_train.checkpoint import latest_checkpoint


def _kill_after_first_checkpoint(arguments: list[str], run_dir: Path) -> None:
    """Run ``lamer-train <arguments>`` in a subprocess and SIGKILL it as soon as
    ``run_dir`` holds a complete checkpoint (at most 10 minutes)."""
    command = [sys.executable, "-m", "lamer_train.cli", *arguments]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 600
        while latest_checkpoint(run_dir) is None:
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no checkpoint within 10 minutes"
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()


@pytest.fixture
def kill_after_first_checkpoint() -> Callable[[list[str], Path], None]:
    """``kill(arguments, run_dir)``: start a run, SIGKILL it after its first checkpoint."""
    return _kill_after_first_checkpoint
