import pytest

from lamer_core.registry import DuplicatePluginError, PluginRegistry, UnknownPluginError


def first(x):
    return x


def second(x):
    return -x


def test_register_and_get_in_process():
    reg = PluginRegistry("lamer.test_group_that_has_no_entry_points")
    assert reg.names() == []
    reg.register("first", first)
    assert reg.get("first") is first
    assert "first" in reg and list(reg) == ["first"]


def test_rebinding_a_name_to_another_object_is_refused():
    reg = PluginRegistry("lamer.test_group_that_has_no_entry_points")
    reg.register("f", first)
    reg.register("f", first)  # idempotent
    with pytest.raises(DuplicatePluginError, match=r"'f'.*test_registry:first"):
        reg.register("f", second)


def test_unknown_name_error_names_group_and_choices():
    reg = PluginRegistry("lamer.test_group_that_has_no_entry_points")
    with pytest.raises(UnknownPluginError) as info:
        reg.get("nope")
    assert "(none installed)" in str(info.value)
    reg.register("a", first)
    reg.register("b", second)
    with pytest.raises(UnknownPluginError) as info:
        reg.get("nope")
    message = str(info.value)
    assert "'nope'" in message
    assert "lamer.test_group_that_has_no_entry_points" in message
    assert "available: a, b" in message
    assert isinstance(info.value, KeyError)  # callers may catch either
