"""How a config is layered: defaults <- YAML file (optional) <- command-line overrides.

Every layer is merged onto the one below, so a layer changes exactly what it names:

- **Sections** (``trial``, ``trial.sampling``, ...) always merge field by field.
- **Mappings** (fields holding a free-form dict: ``env.kwargs``, ``eval.env_kwargs``,
  ``algorithm.estimator_params``) merge key by key on the command line
  (``env.kwargs.num_boxes=2`` or ``env.kwargs={num_boxes: 2}`` keep the other keys); an
  empty mapping clears one (``'algorithm.estimator_params={}'``); ``:=`` replaces one
  (``'env.kwargs:={num_boxes: 2}'``: exactly these keys). A YAML file states its
  mappings whole: a mapping given in a file replaces the one below.
- **Selectors.** Env kwargs belong to their env id, estimator params to their
  estimator: a layer that changes ``env.id`` (or ``algorithm.estimator``) drops the
  kwargs, eval kwargs and eval sets (params) of the layer below, keeping only the ones it
  sets itself. See :data:`SELECTORS`.

Command-line overrides are one layer, applied in order (a later override of the same
field wins).
"""

from __future__ import annotations

import copy
import inspect
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel

#: Path of a selector field -> {path of a mapping that belongs to its value: what that
#: mapping becomes when a layer changes the selector (before the layer's own values)}.
SELECTORS: dict[tuple[str, ...], dict[tuple[str, ...], dict[str, Any]]] = {
    ("env", "id"): {
        ("env", "kwargs"): {},
        ("eval", "env_kwargs"): {},
        ("eval", "sets"): {"held_out": {}},  # the default set: the training env, held out
    },
    ("algorithm", "estimator"): {("algorithm", "estimator_params"): {}},
}

REPLACE = ":="
"""``section.field:=value`` replaces a mapping instead of merging into it."""


class OverrideError(ValueError):
    """A malformed override or a key the schema does not have; the message names it."""


@dataclass
class Replace:
    """A layer value that replaces the value below instead of merging into it."""

    value: Any


@dataclass(frozen=True)
class Override:
    """One parsed ``a.b=value`` (or ``a.b:=value``)."""

    path: tuple[str, ...]
    value: Any
    replace: bool = False


# -- the schema: what kind of thing sits at a path ----------------------------------------
SECTION = "section"  # a pydantic model: merges field by field
MAPPING = "mapping"  # a dict-typed field: merges key by key, `{}` clears, `:=` replaces
FREE = "free"  # inside a mapping of Any: any keys
VALUE = "value"  # a typed leaf (number, string, list, ...)


def _kind(annotation: Any) -> tuple[str, Any]:
    """The kind of a field's annotation and what describes its children."""
    if annotation is Any:
        return FREE, None
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return SECTION, annotation
    origin = typing.get_origin(annotation)
    if annotation is dict or origin is dict:
        args = typing.get_args(annotation)
        return MAPPING, args[1] if len(args) == 2 else Any
    if origin in (typing.Union, types.UnionType):  # `X | None`: the non-None member decides
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _kind(members[0])
    return VALUE, None


def _child(kind: str, schema: Any, key: str) -> tuple[str, Any]:
    if kind == SECTION:
        field = schema.model_fields.get(key)
        return _kind(field.annotation) if field is not None else (VALUE, None)
    if kind == MAPPING:
        return _kind(schema)
    return (FREE, None) if kind == FREE else (VALUE, None)


def _walk(root: type[BaseModel], path: tuple[str, ...]) -> str:
    """The kind of the field at ``path``; an unknown key raises :class:`OverrideError`."""
    kind, schema = SECTION, root
    for depth, key in enumerate(path):
        if kind == SECTION and key not in schema.model_fields:
            raise OverrideError(
                f"unknown config key {'.'.join(path[: depth + 1])!r}; "
                f"valid keys here: {sorted(schema.model_fields)}"
            )
        if kind == VALUE:
            raise OverrideError(f"config key {'.'.join(path[:depth])!r} is a value, not a section")
        kind, schema = _child(kind, schema, key)
    return kind


# -- parsing ------------------------------------------------------------------------------
def parse_override(text: str) -> Override:
    """``"a.b=value"`` -> ``Override(("a", "b"), value parsed as YAML)``; ``a.b:=value``
    marks a replacement."""
    key, sep, raw = text.partition("=")
    replace = key.endswith(":")
    key = key.removesuffix(":").strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise OverrideError(
            f"override {text!r} must look like section.field=value (or section.field:=value)"
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as error:
        raise OverrideError(f"override {key}: value {raw!r} is not valid YAML ({error})") from None
    return Override(tuple(key.split(".")), value, replace)


def _set(node: dict[str, Any], key: str, value: Any) -> None:
    """``node[key] = value``, merging a dict into a dict already there (or into the
    value of an earlier :class:`Replace`)."""
    existing = node.get(key)
    target = existing.value if isinstance(existing, Replace) else existing
    if isinstance(value, dict) and isinstance(target, dict):
        for inner_key, inner in value.items():
            _set(target, inner_key, inner)
    else:
        node[key] = value


def overrides_layer(root: type[BaseModel], texts: Iterable[str]) -> dict[str, Any]:
    """All command-line overrides as one layer (nested dicts with :class:`Replace` marks)."""
    layer: dict[str, Any] = {}
    for text in texts:
        override = parse_override(text)
        kind = _walk(root, override.path)
        dotted = ".".join(override.path)
        value = copy.deepcopy(override.value)
        if override.replace:
            if kind == SECTION:
                raise OverrideError(
                    f"{dotted}{REPLACE}: {dotted} is a section; set its fields "
                    f"({dotted}.<field>=value). Only mappings (e.g. env.kwargs) can be replaced"
                )
            value = Replace(value)
        elif value == {} and kind in (MAPPING, FREE):  # an empty mapping clears it
            value = Replace({})
        node = layer
        for key in override.path[:-1]:
            child = node.get(key)
            if isinstance(child, Replace):
                child = child.value
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        _set(node, override.path[-1], value)
    return layer


# -- merging ------------------------------------------------------------------------------
def _get(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if isinstance(data, Replace):
            data = data.value
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data.value if isinstance(data, Replace) else data


def _unwrap(value: Any) -> Any:
    if isinstance(value, Replace):
        return _unwrap(value.value)
    if isinstance(value, dict):
        return {key: _unwrap(item) for key, item in value.items()}
    return copy.deepcopy(value)


def _merge(base: dict[str, Any], layer: Mapping[str, Any], kind: str, schema: Any, whole: bool):
    for key, value in layer.items():
        child_kind, child_schema = _child(kind, schema, key)
        below = base.get(key)
        if (
            isinstance(value, dict)
            and isinstance(below, dict)
            and not (whole and child_kind == MAPPING)
        ):
            _merge(below, value, child_kind, child_schema, whole)
        else:
            base[key] = _unwrap(value)


def merge_layer(
    base: Mapping[str, Any],
    layer: Mapping[str, Any],
    root: type[BaseModel],
    *,
    whole_mappings: bool,
) -> dict[str, Any]:
    """``base`` with ``layer`` merged on top (``base`` itself is not modified).

    ``whole_mappings``: a mapping given in the layer replaces the one below (YAML files)
    instead of merging key by key (command line).
    """
    merged = copy.deepcopy(dict(base))
    for selector, dependents in SELECTORS.items():
        new = _get(layer, selector)
        if new is not None and new != _get(merged, selector):
            for path, reset in dependents.items():
                parent = _get(merged, path[:-1])
                if isinstance(parent, dict):
                    parent[path[-1]] = copy.deepcopy(reset)
    _merge(merged, layer, SECTION, root, whole_mappings)
    return merged
