"""TLS to a real mosquitto: CA verification, hostname verification, client certificates."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.prerequisites import require
from uns.demo.mosquitto import find_mosquitto, start_mosquitto
from uns.errors import TransportError
from uns.io.mqtt import BrokerSettings, Message, MqttClient

pytestmark = pytest.mark.broker


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_pki(d: Path) -> Pki:
    """A throwaway CA; the server certificate names 127.0.0.1 only (not 'localhost')."""
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=uns test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        cwd=d,
    )
    (d / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, subject in (("server", "/CN=uns test broker"), ("client", "/CN=uns-client")):
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            subject,
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            cwd=d,
        )
        extra = ["-extfile", "san.cnf"] if name == "server" else []
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            f"{name}.crt",
            *extra,
            cwd=d,
        )
    return Pki(d / "ca.crt", d / "server.crt", d / "server.key", d / "client.crt", d / "client.key")


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[int, Pki]]:
    require(find_mosquitto() is not None, "mosquitto not found on PATH or in /usr/sbin")
    require(shutil.which("openssl") is not None, "openssl is needed to make the test certificates")
    pki = make_pki(tmp_path)
    tls = (  # they apply to the listener, which the launcher's config defines first
        f"cafile {pki.ca}",
        f"certfile {pki.server_cert}",
        f"keyfile {pki.server_key}",
        "require_certificate true",
    )
    broker = start_mosquitto(tmp_path / "broker", extra=tls, detached=True)
    yield broker.port, pki
    broker.kill()


def settings(port: int, pki: Pki, host: str = "127.0.0.1", **kw: object) -> BrokerSettings:
    url = f"mqtts://{host}:{port}"
    return BrokerSettings.from_url(
        url,
        client_id=f"tls-{time.monotonic_ns()}",
        clean_start=True,
        ca_file=str(pki.ca),
        cert_file=str(pki.client_cert),
        key_file=str(pki.client_key),
        connect_timeout_s=5.0,
        **kw,
    )


async def test_tls_round_trip_with_ca_and_client_certificate(tls_broker: tuple[int, Pki]) -> None:
    port, pki = tls_broker
    got: asyncio.Queue[bytes] = asyncio.Queue()

    async def handle(msg: Message) -> None:
        await got.put(msg.payload)

    async with MqttClient(settings(port, pki), handle) as client:
        await client.subscribe([("tls/test", 1)])
        await client.publish("tls/test", b"secret", qos=1)
        assert await asyncio.wait_for(got.get(), 5) == b"secret"


async def test_hostname_mismatch_is_refused(tls_broker: tuple[int, Pki]) -> None:
    port, pki = tls_broker
    # Same listener, reached as "localhost": a name the certificate does not carry.
    with pytest.raises(TransportError):
        await MqttClient(settings(port, pki, host="localhost")).connect()
    # Only the name was wrong: without hostname verification the same connection works.
    client = MqttClient(settings(port, pki, host="localhost", verify_hostname=False))
    await client.connect()
    assert client.connected
    await client.disconnect()


async def test_unknown_ca_is_refused(tls_broker: tuple[int, Pki], tmp_path: Path) -> None:
    port, pki = tls_broker
    other = tmp_path / "other"
    other.mkdir()
    stranger = make_pki(other)
    with pytest.raises(TransportError):
        await MqttClient(settings(port, replace(pki, ca=stranger.ca))).connect()
