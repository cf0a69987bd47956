"""MQTT 3.1.1 behind the same seam, for brokers without MQTT 5 (the demo's embedded amqtt).

Weaker than `uns.io.client`, because 3.1.1 and gmqtt are: no reason codes (a refused publish
looks delivered), no Receive Maximum (gmqtt's gate bounds the work, not the intake), PUBACKs in
completion order. A publish that fails (timeout, lost session) reports 0x80, so the service
dead-letters it rather than losing it. `uns run` against an MQTT 5 broker never uses this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from uns.config.broker import BrokerSettings
from uns.errors import TransportError
from uns.io.connection import backoff_delay
from uns.io.mqtt import Message, MqttClient
from uns.io.transport import REFUSED, Inbound, OnAck, Will

log = logging.getLogger(__name__)


class Mqtt311Transport:
    def __init__(
        self,
        settings: BrokerSettings,
        on_message: Callable[[Inbound], None],
        on_connection_change: Callable[[bool], None] | None = None,
        will: Will | None = None,
    ) -> None:
        self.settings = settings
        self._on_message = on_message
        self._client = MqttClient(settings, self._handle, on_connection_change, will=will)
        self._done: dict[int, asyncio.Event] = {}  # id(Inbound) -> set by ack()
        self._tasks: set[asyncio.Task[None]] = set()
        self._intake_open = True

    @property
    def connected(self) -> bool:
        return self._client.connected

    @property
    def in_flight(self) -> int:
        return self._client.in_flight

    @property
    def publishes_pending(self) -> int:
        return self._client.publishes_pending

    @property
    def max_packet_size(self) -> int | None:
        return None  # 3.1.1 has no CONNACK properties

    def start(self) -> None:
        self._spawn(self._connect())

    async def _connect(self) -> None:
        s, attempt = self.settings, 0
        while True:  # the first connection; MqttClient reconnects by itself after that
            try:
                await self._client.connect()
                return
            except TransportError as exc:
                delay = backoff_delay(attempt, s.backoff_min_s, s.backoff_max_s)
                log.warning("%s; retrying in %.1fs", exc, delay)
                attempt += 1
                await asyncio.sleep(delay)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(TransportError):
            await self._client.disconnect()

    async def wait_connected(self) -> None:
        await self._client.wait_connected()

    async def subscribe(self, filters: Sequence[tuple[str, int]]) -> list[int]:
        while True:
            await self._client.wait_connected()
            try:
                await self._client.subscribe(filters)
                return [q for _, q in filters]  # a refusal raises above
            except TransportError as exc:
                log.warning("subscribing again after: %s", exc)

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        *,
        content_type: str | None = None,
        on_ack: OnAck | None = None,
    ) -> None:
        self._spawn(self._publish(topic, payload, qos, retain, content_type, on_ack))

    async def _publish(  # noqa: PLR0917 (the arguments of publish, passed on)
        self,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool,
        content_type: str | None,
        on_ack: OnAck | None,
    ) -> None:
        await self._client.wait_connected()
        try:
            await self._client.publish(topic, payload, qos, retain, content_type)
            code = 0
        except TransportError as exc:
            log.warning("publish to %r failed: %s", topic, exc)
            code = REFUSED
        if on_ack is not None:
            on_ack(code)

    def ack(self, message: Inbound) -> None:
        message.acked = True
        done = self._done.pop(id(message), None)
        if done is not None:
            done.set()

    def close_intake(self) -> None:
        self._intake_open = False

    async def _handle(self, msg: Message) -> None:
        """gmqtt sends the PUBACK when this returns, so it waits for `ack()`."""
        if not self._intake_open:
            raise TransportError("stopping: left for the next session")
        message = Inbound(
            msg.topic, msg.payload, msg.qos, msg.retain, msg.dup, msg.content_type,
            1 if msg.qos else 0, msg.connection,
        )  # fmt: skip
        done = self._done[id(message)] = asyncio.Event()
        try:
            self._on_message(message)
            if not message.acked:
                await done.wait()
        finally:
            self._done.pop(id(message), None)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
