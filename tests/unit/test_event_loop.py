"""`event_loop`: uvloop when installed and asked for (or left on auto), asyncio's loop otherwise."""

from __future__ import annotations

import asyncio
import sys
import types

import pytest

from uns.config.settings import ServiceSettings
from uns.errors import SettingsError
from uns.runner import loop_factory


def test_auto_is_the_default() -> None:
    assert ServiceSettings().event_loop == "auto"


def test_asyncio_means_the_standard_loop() -> None:
    assert loop_factory("asyncio") is None


def test_auto_and_uvloop_use_uvloop_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = types.ModuleType("uvloop")  # stands in for the package, installed or not

    def new_event_loop() -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    installed.new_event_loop = new_event_loop  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "uvloop", installed)
    assert loop_factory("auto") is new_event_loop
    assert loop_factory("uvloop") is new_event_loop


def test_without_uvloop_auto_falls_back_and_uvloop_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError
    assert loop_factory("auto") is None
    with pytest.raises(SettingsError, match="uvloop is not installed"):
        loop_factory("uvloop")
