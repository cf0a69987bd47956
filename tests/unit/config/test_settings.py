"""Service settings: file, flags, environment; secrets never from argv and never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from uns.config.settings import load_settings
from uns.errors import SettingsError


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "uns.yaml"
    path.write_text(text)
    return str(path)


def test_flags_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "broker: {url: 'mqtt://a:1883', client_id: one}\nqos: 0\n")
    s = load_settings(path, {"broker.url": "mqtts://b:8883", "share_group": "g"})
    assert (s.broker.url, s.broker.client_id, s.qos, s.share_group) == (
        "mqtts://b:8883",
        "one",
        0,
        "g",
    )


def test_unknown_setting_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="brokr"):
        load_settings(write(tmp_path, "brokr: {url: x}\n"), {})


def test_password_from_environment_is_used_but_never_shown(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    s = load_settings(write(tmp_path, "broker: {url: 'mqtt://h:1883', username: op}\n"), {})
    b = s.broker_settings({"UNS_BROKER_PASSWORD": "hunter2"})
    assert (b.username, b.password) == ("op", "hunter2")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("%s %r %s", b, b, b.address)
    assert "hunter2" not in repr(b) + str(b) + b.address + caplog.text


def test_password_file_must_not_be_readable_by_others(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    text = f"broker: {{url: 'mqtt://h:1883', username: op, password_file: '{secret}'}}\n"
    s = load_settings(write(tmp_path, text), {})
    with pytest.raises(SettingsError, match="chmod 600"):
        s.broker_settings({})
    secret.chmod(0o600)
    assert s.broker_settings({}).password == "s3cret"


def test_run_has_no_password_flag() -> None:
    from uns.cli import build_parser

    run = build_parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    assert not [a for a in run._actions if "pass" in " ".join(a.option_strings)]


def test_environment_sits_between_the_file_and_the_flags(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "metrics_port: 9000\nbroker: {url: 'mqtt://file:1883'}\n")
    monkeypatch.setenv("UNS_METRICS_PORT", "null")
    monkeypatch.setenv("UNS_BROKER_URL", "mqtt://env:1883")
    monkeypatch.setenv("UNS_SPARKPLUG_ACTIVE", "true")
    monkeypatch.setenv("UNS_NOT_A_SETTING", "x")
    s = load_settings(path, {})
    assert (s.metrics_port, s.broker.url, s.sparkplug.active) == (None, "mqtt://env:1883", True)
    assert load_settings(path, {"broker.url": "mqtt://flag:1883"}).broker.url == "mqtt://flag:1883"
