"""Broker settings, URL parsing, TLS context and reconnect backoff: no broker needed."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uns.errors import SettingsError
from uns.io.mqtt import BrokerSettings, _Gate, backoff_delay, ssl_context

EPHEMERAL: dict[str, Any] = {
    "clean_start": True
}  # no client_id needed without a persistent session


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker", {"host": "broker", "port": 1883, "tls": False}),
        ("mqtts://broker", {"host": "broker", "port": 8883, "tls": True}),
        ("mqtt://broker:1884/", {"host": "broker", "port": 1884}),
        ("MQTT://Broker.Example.COM", {"host": "broker.example.com"}),
        ("mqtt://10.0.0.5:11883", {"host": "10.0.0.5", "port": 11883}),
        ("mqtt://[::1]:1883", {"host": "::1", "port": 1883}),
        ("  mqtt://broker  ", {"host": "broker"}),
        ("mqtt://user@broker", {"username": "user", "password": None}),
        ("mqtts://us%40er:p%3Ass@broker", {"username": "us@er", "password": "p:ss"}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_from_url_accepts(url: str, expected: dict[str, Any]) -> None:
    settings = BrokerSettings.from_url(url, **EPHEMERAL)
    assert {key: getattr(settings, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("url", "overrides", "fragment"),
    [
        ("http://broker", {}, "scheme must be mqtt or mqtts, not 'http'"),
        ("broker:1883", {}, "scheme must be mqtt or mqtts"),
        ("", {}, "scheme must be mqtt or mqtts, not ''"),
        ("mqtt://", {}, "no host"),
        ("mqtt://user:pw@:1883", {}, "no host"),
        ("mqtt://broker:http", {}, "not valid"),
        ("mqtt://broker:70000", {}, "not valid"),
        ("mqtt://broker:0", {}, "port 0 is not in 1..65535"),
        ("mqtt://[::1", {}, "not valid"),
        ("mqtt://broker/uns", {}, "path, query or fragment"),
        ("mqtt://broker?qos=1", {}, "path, query or fragment"),
        ("mqtt://broker#x", {}, "path, query or fragment"),
        ("mqtt://broker", {"port": 1884}, "URL already sets port"),
        ("mqtt://u:pw@broker", {"password": "x"}, "URL already sets password"),
        ("mqtt://broker", {"clean_start": False}, "needs a client_id"),
        ("mqtt://broker", {"qos": 1}, "unknown broker settings: qos"),
    ],
)
def test_from_url_rejects(url: str, overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        BrokerSettings.from_url(url, **{**EPHEMERAL, **overrides})
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"protocol": 3}, "protocol 3 is not 4 or 5"),
        ({"port": 65536}, "port 65536"),
        ({"host": ""}, "host is empty"),
        ({"keepalive_s": -1}, "keepalive_s"),
        ({"session_expiry_s": 2**32}, "session_expiry_s"),
        ({"receive_maximum": 0}, "receive_maximum"),
        ({"publish_timeout_s": 0}, "timeouts must be > 0"),
        ({"backoff_min_s": 5, "backoff_max_s": 1}, "backoff min <= max"),
        ({"backoff_min_s": 0}, "backoff min <= max"),
        ({"password": "pw"}, "password without username"),
        ({"tls": True, "key_file": "k.pem"}, "key_file without cert_file"),
        ({"ca_file": "ca.pem"}, "TLS files but tls is off"),
        ({"clean_start": False, "client_id": ""}, "needs a client_id"),
    ],
)
def test_settings_validation(fields: dict[str, Any], fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        BrokerSettings(**{**EPHEMERAL, **fields})
    assert fragment in str(caught.value)


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(SettingsError) as caught:
        BrokerSettings(port=0, protocol=6, clean_start=True)
    assert "port 0" in str(caught.value)
    assert "protocol 6" in str(caught.value)


def test_password_stays_out_of_repr_address_and_errors() -> None:
    settings = BrokerSettings.from_url("mqtts://ops:s3cr3t@broker", client_id="uns-1")
    assert settings.password == "s3cr3t"
    assert "s3cr3t" not in repr(settings)
    assert settings.address == "mqtts://ops@broker:8883"
    with pytest.raises(SettingsError) as caught:
        BrokerSettings.from_url("mqtt://ops:s3cr3t@broker:99999", client_id="uns-1")
    assert "s3cr3t" not in str(caught.value)


def test_persistent_session_is_the_default() -> None:
    settings = BrokerSettings(client_id="uns-1")
    assert settings.clean_start is False
    assert settings.session_expiry_s > 0


@given(st.text(max_size=60), st.sampled_from(["", "mqtt://", "mqtts://", "mqtt://u:p@"]))
def test_from_url_fails_only_with_settings_error(text: str, prefix: str) -> None:
    with contextlib.suppress(SettingsError):
        BrokerSettings.from_url(prefix + text, **EPHEMERAL)


# -- TLS ---------------------------------------------------------------------------------------


def test_no_tls_no_context() -> None:
    assert ssl_context(BrokerSettings(**EPHEMERAL)) is None


def test_tls_context_verifies_by_default() -> None:
    context = ssl_context(BrokerSettings.from_url("mqtts://broker", **EPHEMERAL))
    assert context is not None
    assert context.check_hostname is True
    relaxed = ssl_context(BrokerSettings(tls=True, verify_hostname=False, **EPHEMERAL))
    assert relaxed is not None
    assert relaxed.check_hostname is False


def test_missing_tls_file_is_a_settings_error(tmp_path: Any) -> None:
    settings = BrokerSettings(tls=True, ca_file=str(tmp_path / "missing.pem"), **EPHEMERAL)
    with pytest.raises(SettingsError, match=r"TLS files for 127\.0\.0\.1"):
        ssl_context(settings)


# -- backoff -----------------------------------------------------------------------------------

seconds = st.floats(min_value=0.001, max_value=1000, allow_nan=False)


@given(
    st.integers(min_value=0, max_value=100_000),
    seconds,
    seconds,
    st.floats(min_value=0.0, max_value=1.0),
)
def test_backoff_stays_within_bounds(attempt: int, a: float, b: float, jitter: float) -> None:
    low, high = min(a, b), max(a, b)
    assert low <= backoff_delay(attempt, low, high, rand=lambda: jitter) <= high


def test_backoff_doubles_until_capped() -> None:
    top = [backoff_delay(n, 0.5, 30.0, rand=lambda: 1.0) for n in range(9)]
    assert top == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_backoff_jitter_spans_the_upper_half() -> None:
    assert backoff_delay(4, 0.5, 30.0, rand=lambda: 0.0) == 4.0
    assert backoff_delay(4, 0.5, 30.0, rand=lambda: 1.0) == 8.0


# -- handler gate (bounded concurrency without asyncio.Semaphore's quadratic wake-up) ----------


async def test_gate_admits_at_most_size_in_arrival_order() -> None:
    gate = _Gate(2)
    order: list[int] = []

    async def hold(i: int, release: asyncio.Event) -> None:
        await gate.acquire()
        order.append(i)
        await release.wait()
        gate.release()

    releases = [asyncio.Event() for _ in range(4)]
    tasks = [asyncio.create_task(hold(i, releases[i])) for i in range(4)]
    await asyncio.sleep(0)  # let every task reach the gate
    assert order == [0, 1]
    releases[1].set()
    await tasks[1]
    await asyncio.sleep(0)
    assert order == [0, 1, 2]
    for release in releases:
        release.set()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3]


async def test_gate_cancelled_waiter_gives_its_turn_away() -> None:
    gate = _Gate(1)
    await gate.acquire()
    waiter = asyncio.create_task(gate.acquire())
    after = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    gate.release()
    await after  # the slot went past the cancelled waiter
    assert waiter.cancelled()
    gate.release()
    await gate.acquire()  # and nothing leaked: the slot is free again
