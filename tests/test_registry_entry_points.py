"""lamer_core.registry against real entry points of installed fixture packages."""

from __future__ import annotations

import textwrap

import pytest

pytestmark = pytest.mark.slow

CHECK_SINGLE = textwrap.dedent(
    """
    import sys
    from lamer_core.registry import PluginRegistry, UnknownPluginError, DuplicatePluginError

    reg = PluginRegistry("lamer.fixture_plugins")
    assert reg.names() == ["double", "shared"], reg.names()
    assert "lamer_plugin_fixture_a" not in sys.modules, "names() must not import plugins"
    assert "double" in reg and "missing" not in reg
    double = reg.get("double")
    assert double(21) == 42
    assert "lamer_plugin_fixture_a" in sys.modules
    assert reg.get("double") is double, "plugins are cached"
    try:
        reg.get("triple")
    except UnknownPluginError as error:
        message = str(error)
        assert "'triple'" in message and "lamer.fixture_plugins" in message, message
        assert "double, shared" in message, message
    else:
        raise AssertionError("unknown name must raise")
    reg.register("double", double)  # same object: allowed
    try:
        reg.register("double", lambda x: x)
    except DuplicatePluginError as error:
        assert "double" in str(error)
    else:
        raise AssertionError("rebinding a name must raise")
    print("OK")
    """
)

CHECK_CLASH = textwrap.dedent(
    """
    from lamer_core.registry import PluginRegistry, DuplicatePluginError

    reg = PluginRegistry("lamer.fixture_plugins")
    try:
        reg.names()
    except DuplicatePluginError as error:
        message = str(error)
        assert "lamer_plugin_fixture_a:shared" in message, message
        assert "lamer_plugin_fixture_b:other_shared" in message, message
        print("OK")
    else:
        raise AssertionError("two packages binding one name must be refused")
    """
)


def test_entry_point_plugins_are_lazy_cached_and_named_in_errors(isolated):
    result = isolated(["./packages/lamer-core", "./tests/fixtures/plugin_a"], CHECK_SINGLE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"


def test_two_packages_binding_one_name_are_refused(isolated):
    result = isolated(
        ["./packages/lamer-core", "./tests/fixtures/plugin_a", "./tests/fixtures/plugin_b"],
        CHECK_CLASH,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"
