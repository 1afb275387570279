"""A lazy, cached registry of plugins found through ``importlib.metadata`` entry points.

Built-in components register through the same entry-point groups as third-party
packages, so an installed package adds e.g. an advantage estimator by declaring::

    [project.entry-points."lamer.estimators"]
    my_estimator = "my_package.module:my_function"

Nothing is imported until a plugin is asked for by name.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class PluginError(LookupError):
    """Base class of registry errors."""


class UnknownPluginError(PluginError, KeyError):
    """No plugin of that name in the group."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DuplicatePluginError(PluginError):
    """One name bound to two different objects."""


class PluginRegistry(Generic[T]):
    """Plugins of one entry-point group, plus objects registered in-process.

    - ``names()`` lists what is available without importing anything;
    - ``get(name)`` imports the entry point on first use and caches it;
    - a name bound to two different objects is refused with :class:`DuplicatePluginError`;
    - an unknown name raises :class:`UnknownPluginError` naming the group and the
      available names.
    """

    def __init__(self, group: str) -> None:
        self.group = group
        self._local: dict[str, T] = {}
        self._loaded: dict[str, T] = {}
        self._entry_points: dict[str, EntryPoint] | None = None
        self._lock = threading.Lock()

    # -- discovery -------------------------------------------------------------------
    def _discover(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            found: dict[str, EntryPoint] = {}
            for ep in entry_points(group=self.group):
                previous = found.get(ep.name)
                if previous is not None and previous.value != ep.value:
                    raise DuplicatePluginError(
                        f"entry-point group {self.group!r}: name {ep.name!r} is bound to both "
                        f"{previous.value!r} and {ep.value!r}; uninstall one of the packages "
                        "or rename its entry point"
                    )
                found[ep.name] = ep
            self._entry_points = found
        return self._entry_points

    def refresh(self) -> None:
        """Forget discovered entry points (after installing a package at run time)."""
        with self._lock:
            self._entry_points = None

    def names(self) -> list[str]:
        """Sorted names of every available plugin; imports nothing."""
        return sorted(set(self._discover()) | set(self._local))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._local or name in self._discover())

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    # -- registration and lookup -----------------------------------------------------
    def register(self, name: str, obj: T) -> T:
        """Register ``obj`` under ``name`` in this process (tests, notebooks)."""
        with self._lock:
            existing = self._local.get(name, self._loaded.get(name))
            if existing is None and name in self._discover():
                existing = self._load_entry_point(name)
            if existing is not None and existing is not obj:
                raise DuplicatePluginError(
                    f"entry-point group {self.group!r}: {name!r} is already bound to "
                    f"{_describe(existing)}; refusing to rebind it to {_describe(obj)}"
                )
            self._local[name] = obj
            return obj

    def get(self, name: str) -> T:
        """The plugin called ``name``, imported on first use."""
        with self._lock:
            if name in self._local:
                return self._local[name]
            if name in self._loaded:
                return self._loaded[name]
            if name not in self._discover():
                available = ", ".join(self.names()) or "(none installed)"
                raise UnknownPluginError(
                    f"no plugin named {name!r} in entry-point group {self.group!r}; "
                    f"available: {available}"
                )
            return self._load_entry_point(name)

    def _load_entry_point(self, name: str) -> T:
        ep = self._discover()[name]
        try:
            obj = ep.load()
        except Exception as error:  # report which plugin failed, keep the cause
            raise PluginError(
                f"entry-point group {self.group!r}: loading {name!r} ({ep.value}) failed: {error}"
            ) from error
        self._loaded[name] = obj
        return obj


def _describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    return f"{module}:{qualname}" if module and qualname else repr(obj)
