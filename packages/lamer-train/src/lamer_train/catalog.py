"""What can be trained with, for ``lamer-train list``: envs, estimators, shipped configs
and experiment specs.

Each entry names the installed package (distribution) that provides it. Nothing heavy
is imported: envs are listed from gymnasium's registry, estimators from their entry
points, configs from the package data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.metadata import (
    PackageNotFoundError,
    distribution,
    entry_points,
    packages_distributions,
)


@dataclass(frozen=True)
class Entry:
    """One line of ``lamer-train list``."""

    name: str
    package: str
    note: str = ""


@functools.cache
def _package_of_module(module: str) -> str:
    """The distribution that installs the top-level module of ``module`` ("a.b:C")."""
    top = module.split(":", 1)[0].split(".", 1)[0]
    found = _module_distributions().get(top)
    if found:
        return ", ".join(sorted(set(found)))
    try:  # editable installs list no modules; their distribution is usually the same name
        return distribution(top.replace("_", "-")).name
    except PackageNotFoundError:
        return top


@functools.cache
def _module_distributions() -> dict[str, list[str]]:
    return packages_distributions()


def env_entries() -> list[Entry]:
    """Every gymnasium id registered once ``lamer_envs`` is imported, except
    gymnasium's own (non-text) envs; the note is the env's ``module:Class``."""
    import gymnasium

    import lamer_envs

    lamer_envs.register_envs()
    entries = []
    for env_id, spec in sorted(gymnasium.registry.items()):
        entry_point = spec.entry_point
        if not isinstance(entry_point, str):  # a callable: name its module
            entry_point = f"{entry_point.__module__}:{entry_point.__qualname__}"
        if entry_point.startswith("gymnasium."):  # classic control, Box2D, MuJoCo, ...
            continue
        package = _package_of_module(entry_point)
        entries.append(Entry(env_id, package, entry_point))
    return entries


def estimator_entries() -> list[Entry]:
    """Every estimator of the ``lamer.estimators`` entry points; the note says whether
    the trainer supports it (see :func:`lamer_train.preflight.check_trainer_supports_estimator`)."""
    from lamer_algos.registry import ENTRY_POINT_GROUP
    from lamer_train.config import AlgorithmSection, ConfigError
    from lamer_train.preflight import check_trainer_supports_estimator

    entries = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        package = point.dist.name if point.dist is not None else _package_of_module(point.value)
        try:
            check_trainer_supports_estimator(AlgorithmSection(estimator=point.name))
            note = ""
        except ConfigError:
            note = "not supported by the trainer"
        entries.append(Entry(point.name, package, note))
    return entries


def config_entries() -> list[Entry]:
    """Every shipped config with the first line of its header comment."""
    from lamer_train.config import SHIPPED_CONFIGS, shipped_config_names

    entries = []
    for name in shipped_config_names():
        text = (SHIPPED_CONFIGS / f"{name}.yaml").read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        description = first.lstrip("#").strip() if first.startswith("#") else ""
        entries.append(Entry(name, "lamer-train", description))
    return entries


def experiment_entries() -> list[Entry]:
    """Every shipped experiment spec with the first line of its header comment."""
    from lamer_train.experiment import SHIPPED_SPECS

    entries = []
    for path in sorted(SHIPPED_SPECS.glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        description = first.lstrip("#").strip() if first.startswith("#") else ""
        entries.append(Entry(path.stem, "lamer-train", description))
    return entries


def format_catalog() -> str:
    """The text ``lamer-train list`` prints."""
    sections = [
        ("envs (env.id)", env_entries()),
        ("estimators (algorithm.estimator)", estimator_entries()),
        ("configs (--config)", config_entries()),
        ("experiment specs (lamer-train experiment <name>)", experiment_entries()),
    ]
    width = max(len(entry.name) for _, entries in sections for entry in entries)
    package_width = max(len(entry.package) for _, entries in sections for entry in entries)
    lines = []
    for title, entries in sections:
        lines.append(title)
        for entry in entries:
            name, package = entry.name.ljust(width), entry.package.ljust(package_width)
            lines.append(f"  {name}  {package}  {entry.note}".rstrip())
        if title.startswith("envs"):
            lines.append("  (your own env: env.id=my_module:my/Env-v0 imports my_module first)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
