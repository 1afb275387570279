"""The built lamer-train wheel ships its configs: ``--config lamer_sokoban`` resolves
after a wheel install, outside the source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("lamer-core", "lamer-envs", "lamer-memory", "lamer-algos", "lamer-train")


def _run(*args: str | Path, cwd: Path) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def test_wheel_install_resolves_a_shipped_config(tmp_path):
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("needs uv to build the wheels")
    wheels = tmp_path / "wheels"
    for package in PACKAGES:
        _run(
            uv,
            "build",
            "--offline",
            "--quiet",
            "--package",
            package,
            "--wheel",
            "-o",
            wheels,
            cwd=REPO,
        )
    built = sorted(wheels.glob("*.whl"))
    assert len(built) == len(PACKAGES)
    train_wheel = next(w for w in built if w.name.startswith("lamer_train-"))
    assert any(
        name.endswith("lamer_train/configs/lamer_sokoban.yaml")
        for name in zipfile.ZipFile(train_wheel).namelist()
    )

    venv = tmp_path / "venv"
    _run(uv, "venv", "--quiet", "--offline", "--python", sys.executable, venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(
        uv,
        "pip",
        "install",
        "--quiet",
        "--offline",
        "--no-deps",
        "--python",
        python,
        *built,
        cwd=tmp_path,
    )
    # The lamer packages come only from the wheels; their third-party dependencies are
    # borrowed from this test's environment (whose lamer packages are editable installs,
    # which a plain path entry does not expose), so nothing is downloaded.
    site = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    )
    Path(site.strip(), "zz_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )

    where = _run(python, "-c", "import lamer_train; print(lamer_train.__file__)", cwd=tmp_path)
    assert Path(where.strip()).is_relative_to(venv)
    out = _run(
        venv / "bin" / "lamer-train", "show-config", "--config", "lamer_sokoban", cwd=tmp_path
    )
    resolved = yaml.safe_load(out)
    assert resolved["seed"] == 4608 and resolved["trial"]["group_size"] == 8
