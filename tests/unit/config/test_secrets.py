"""Secrets never leak (issue 13): no credentials on the command line, none in a settings file
others can read, and no message ever quotes a password, whatever characters it holds."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uns.cli import main
from uns.config.broker import BrokerSettings, redacted
from uns.config.settings import load_settings
from uns.errors import SettingsError

# Markers that appear in no message of ours: any of them in a message is a leaked password.
MARKERS = ("K9Q", "W7Z", "J4X")
URL_SPECIAL = "#?/@:%[] !&=+;$,'\"\\"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=URL_SPECIAL, max_size=4), min_size=4, max_size=4))
def test_no_broker_url_error_quotes_any_part_of_the_password(pieces: list[str]) -> None:
    password = "".join(p + m for p, m in zip(pieces, (*MARKERS, ""), strict=True))
    url = f"mqtt://operator:{password}@broker.example:1883"
    try:
        parsed = BrokerSettings.from_url(url)
    except SettingsError as exc:
        text = str(exc)
    else:
        text = f"{parsed!r} {parsed.address}"  # what log lines show of a good URL
    assert not any(marker in text for marker in MARKERS), text


@given(st.text(alphabet=URL_SPECIAL + "abc", max_size=12))
def test_redacted_keeps_only_scheme_and_address(password: str) -> None:
    url = f"mqtt://u:{password}K9Q@host:1883"
    assert redacted(url) == "mqtt://***@host:1883"


def test_credentials_in_the_broker_flag_are_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["run", "--broker", "mqtt://bob:hunter2K9Q@broker:1883", "--models", "nope"])
    err = capsys.readouterr().err
    assert code == 2
    assert "UNS_BROKER_PASSWORD" in err
    assert "K9Q" not in err
    assert len(err.strip().splitlines()) == 1


def test_replay_refuses_credentials_in_its_broker_flag(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    spool = tmp_path / "dead.jsonl"
    spool.write_text('{"reason": "x", "topic": "a", "payload": "1", "payload_encoding": "utf-8"}\n')
    code = main(["replay", str(spool), "--broker", "mqtt://bob:pw#K9Q@broker"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no credentials on the command line" in err
    assert "K9Q" not in err


@pytest.mark.parametrize(("mode", "refused"), [(0o644, True), (0o640, True), (0o600, False)])
def test_a_settings_file_with_a_password_must_be_private(
    tmp_path: Path, mode: int, refused: bool
) -> None:
    path = tmp_path / "uns.yaml"
    path.write_text("broker:\n  url: mqtt://bob:hunter2K9Q@broker:1883\n")
    path.chmod(mode)
    if not refused:
        assert load_settings(str(path), {}).broker.url.endswith("@broker:1883")
        return
    with pytest.raises(SettingsError, match="readable by others: chmod 600") as caught:
        load_settings(str(path), {})
    assert "K9Q" not in str(caught.value)


def test_a_shared_settings_file_without_a_password_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "uns.yaml"
    path.write_text("broker:\n  url: mqtt://bob@broker:1883\n")
    path.chmod(0o644)
    assert load_settings(str(path), {}).broker.url == "mqtt://bob@broker:1883"


def test_a_hash_in_the_password_is_not_echoed(caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SettingsError) as caught:
        BrokerSettings.from_url("mqtt://bob:abc#K9Q@broker:1883")
    assert "K9Q" not in str(caught.value)
    assert "percent-encoded" in str(caught.value)
