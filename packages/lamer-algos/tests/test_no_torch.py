"""lamer-algos must stay importable without torch (any trainer can use it)."""

import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "lamer_algos"

PROBE = """
import sys
import lamer_algos, lamer_algos.testing
for name in lamer_algos.estimator_names():
    if name in {"gigpo", "grpo", "rloo", "gae", "reinforce_pp", "reinforce_pp_baseline"}:
        lamer_algos.get_estimator(name)
print("torch" in sys.modules)
"""


def test_importing_every_module_and_estimator_does_not_import_torch() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"


def test_no_source_file_mentions_a_torch_import() -> None:
    for path in SOURCE.rglob("*.py"):
        text = path.read_text()
        assert "import torch" not in text and "from torch" not in text, path
