"""A separately installed package adds an estimator that is found by name.

Builds a throwaway environment holding only lamer-core, lamer-algos and the example
plugin package, then looks the plugin up through the entry-point group.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import json
import numpy as np
import lamer_algos
from lamer_algos.testing import check_estimator
names = lamer_algos.estimator_names()
fn = lamer_algos.get_estimator("median_baseline")
batch = {"score": [0.0, 0.0, 10.0, 4.0, 2.0], "group_id": [0, 0, 0, 1, 1],
         "trajectory_id": [0, 1, 2, 3, 4]}
check_estimator(fn, group_relative=True, max_examples=10)
print(json.dumps({"names": names, "advantage": fn(batch).tolist(),
                  "module": fn.__module__}))
"""


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs the uv executable")
def test_example_plugin_is_discovered_by_name_once_installed() -> None:
    command = ["uv", "run", "--isolated", "--no-project"]
    for package in ("lamer-core", "lamer-algos-example"):
        command += ["--with", f"./packages/{package}"]
    # The conformance suite needs hypothesis, which only the testing extra brings.
    command += ["--with", "lamer-algos[testing] @ ./packages/lamer-algos"]
    command += ["python", "-c", PROBE]
    completed = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "median_baseline" in result["names"]
    assert {"gigpo", "grpo", "rloo", "gae"} <= set(result["names"])
    assert result["module"] == "lamer_algos_example.median_baseline"
    assert result["advantage"] == [0.0, 0.0, 10.0, 1.0, -1.0]
