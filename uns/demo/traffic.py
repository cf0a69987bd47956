"""The simulator pump: publish a simulator's raw messages at a steady rate to a broker."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uns.errors import TransportError

if TYPE_CHECKING:
    from uns.demo.broker import Broker
    from uns.io.mqtt import MqttClient
    from uns.simulator import RawMessage, Simulator

__all__ = ["DEFAULT_RATE", "PumpStats", "mqtt_client", "pump", "wait_for"]

DEFAULT_RATE = 200.0  # raw messages per second: modest, the demo shares the machine
_TICK_S = 0.05  # the simulator publishes in small bursts this often
# Publishes in flight at once. Brokers allow few unacknowledged QoS 1 messages per client
# (mosquitto: 20); many more concurrent publishes only wait for packet ids in a crowd.
_WINDOW = 8


@dataclass
class PumpStats:
    data: int = 0
    invalid: int = 0
    context: int = 0
    failed: int = 0  # publishes not acknowledged

    @property
    def total(self) -> int:
        return self.data + self.invalid + self.context


async def wait_for(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait for `event` at most `timeout_s`; True if it is set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await event.wait()
    return event.is_set()


async def _publish(client: MqttClient, m: RawMessage, qos: int, window: asyncio.Semaphore) -> None:
    async with window:
        await client.publish(m.topic, m.payload, qos, m.retain)


async def pump(
    sim: Simulator,
    client: MqttClient,
    rate: float,
    stop: asyncio.Event,
    *,
    qos: int = 1,
    stats: PumpStats | None = None,
    clock: Callable[[], float] = time.time,
) -> PumpStats:
    """Publish the simulator's messages at `rate` per second until `stop` is set.

    Messages go out in bursts every 50 ms, at most `_WINDOW` publishes in flight (QoS 1 waits
    for each PUBACK); MES context is published and acknowledged before the data of its burst.
    When the broker cannot keep up, the backlog is dropped rather than sent as a flood later.
    """
    stats = stats if stats is not None else PumpStats()
    window = asyncio.Semaphore(_WINDOW)
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = 0
    while not stop.is_set():
        due = int(rate * (loop.time() - started)) - sent
        if due > rate:  # more than a second behind: forget it, keep the pace from here
            sent += due - int(rate * _TICK_S)
            due = int(rate * _TICK_S)
        due = max(due, 0)
        sent += due
        messages = sim.messages(int(clock() * 1000), due)
        context = [m for m in messages if m.kind == "context"]
        rest = [m for m in messages if m.kind != "context"]
        for group in (context, rest):
            results = await asyncio.gather(
                *(_publish(client, m, qos, window) for m in group), return_exceptions=True
            )
            for m, result in zip(group, results, strict=True):
                if isinstance(result, BaseException):
                    if not isinstance(result, TransportError):
                        raise result
                    stats.failed += 1
                elif m.kind == "data":
                    stats.data += 1
                elif m.kind == "invalid":
                    stats.invalid += 1
                else:
                    stats.context += 1
        await wait_for(stop, _TICK_S)
    return stats


def mqtt_client(broker: Broker, role: str, token: str, handler: Any = None) -> MqttClient:
    from uns.io.mqtt import BrokerSettings, MqttClient

    settings = BrokerSettings.from_url(
        broker.url, client_id=f"uns-{role}-{token}", clean_start=True, protocol=broker.protocol
    )
    return MqttClient(settings, handler)
