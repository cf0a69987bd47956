"""The broker a demo or simulation talks to: an external URL or an embedded one.

Embedded: the `mosquitto` binary when it is on PATH or in /usr/sbin (`uns.demo.mosquitto`:
a free loopback port, a generated config in a temp dir, its own session so that Ctrl+C
reaches us and not it), else amqtt's broker in this process (MQTT 3.1.1).
`UNS_DEMO_BROKER=mosquitto|amqtt` (or `--embedded`) forces one.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uns.demo.mosquitto import find_mosquitto, free_port, start_mosquitto
from uns.errors import SettingsError, TransportError

__all__ = ["BROKER_ENV", "Broker", "start_amqtt", "start_embedded", "start_embedded_mosquitto"]

log = logging.getLogger(__name__)

BROKER_ENV = "UNS_DEMO_BROKER"


@dataclass
class Broker:
    """The broker a demo or simulation talks to; `stop` ends an embedded one."""

    kind: str  # "mosquitto", "amqtt" or "external"
    url: str
    protocol: int  # 5 = MQTT 5, 4 = MQTT 3.1.1
    _stop: Callable[[], Awaitable[None]] | None = None

    async def stop(self) -> None:
        if self._stop is not None:
            stop, self._stop = self._stop, None
            await stop()

    def __str__(self) -> str:
        return f"{self.kind} at {self.url}" if self.kind != "external" else self.url


async def start_embedded_mosquitto() -> Broker:
    """mosquitto on a free loopback port, configured in a temp dir that `stop` removes."""
    workdir = Path(tempfile.mkdtemp(prefix="uns-demo-"))
    try:
        process = await asyncio.to_thread(
            start_mosquitto, workdir, extra=("max_queued_messages 100000",), detached=True
        )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise

    async def stop() -> None:
        try:
            await asyncio.to_thread(process.stop, 5.0)
        finally:  # also when a second Ctrl+C cancels the wait
            process.kill()
            shutil.rmtree(workdir, ignore_errors=True)

    return Broker("mosquitto", process.url, 5, stop)


async def start_amqtt() -> Broker:
    """amqtt's broker in this event loop (MQTT 3.1.1 only), anonymous, loopback only."""
    try:
        module: Any = importlib.import_module("amqtt.broker")  # optional; untyped
    except ImportError:
        raise SettingsError(
            "no MQTT broker available: install mosquitto (e.g. apt-get install mosquitto) "
            "or the Python package amqtt, or pass --broker mqtt://host:port"
        ) from None
    for name in ("amqtt", "transitions"):
        logging.getLogger(name).setLevel(logging.ERROR)  # they log every connection at INFO
    port = free_port()
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }
    broker = module.Broker(config)
    try:
        await broker.start()
    except Exception as exc:  # amqtt raises its own BrokerError and OSError alike
        raise TransportError(f"cannot start the amqtt broker: {exc!r}") from exc

    async def stop() -> None:
        try:
            await broker.shutdown()
        except Exception as exc:  # stopping anyway; nothing to recover
            log.debug("amqtt shutdown: %r", exc)

    return Broker("amqtt", f"mqtt://127.0.0.1:{port}", 4, stop)


async def start_embedded(choice: str = "auto") -> Broker:
    """`mosquitto`, `amqtt`, or `auto`: mosquitto when installed, else amqtt."""
    if choice not in ("auto", "mosquitto", "amqtt"):
        raise SettingsError(f"{BROKER_ENV} / --embedded must be auto, mosquitto or amqtt")
    if choice in ("auto", "mosquitto"):
        if find_mosquitto() is not None:
            try:
                return await start_embedded_mosquitto()
            except TransportError:
                if choice == "mosquitto":
                    raise
                log.warning("mosquitto did not start; using amqtt's broker instead")
        elif choice == "mosquitto":
            raise SettingsError("mosquitto not found on PATH or in /usr/sbin")
    return await start_amqtt()
