from __future__ import annotations

import pytest

from uns.formats import format_names, get_format, register
from uns.formats.json_object import JSON_OBJECT


def test_every_format_is_registered_once_under_its_own_name() -> None:
    assert format_names() == ("json", "scalar", "kepware", "records", "sparkplug")
    assert all(get_format(name).name == name for name in format_names())


def test_a_second_registration_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        register(JSON_OBJECT)
    assert format_names().count("json") == 1


def test_unknown_name() -> None:
    with pytest.raises(KeyError):
        get_format("xml")
    assert "xml" not in format_names()


def test_every_format_decodes_per_binding_or_through_a_host() -> None:
    for name in format_names():
        fmt = get_format(name)
        assert (fmt.decoder is None) == fmt.host_routed, name
        assert (fmt.encode is None) == fmt.host_routed, name
