"""uns.io.mqtt against a real mosquitto: delivery, shared and persistent subscriptions,
deferred acknowledgement and reconnection. Every wait is on an event under a timeout."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from uns.errors import TransportError
from uns.io.mqtt import BrokerSettings, Message, MqttClient

pytestmark = pytest.mark.broker

WAIT_S = 5.0
_ids = itertools.count()


def settings_for(broker: Any, *, persistent: bool = False, **kw: Any) -> BrokerSettings:
    """Fast timeouts and backoff for tests; a persistent session only when asked for."""
    values: dict[str, Any] = {
        "host": broker.host,
        "port": broker.port,
        "client_id": f"uns-test-{next(_ids)}",
        "clean_start": not persistent,
        "session_expiry_s": 60 if persistent else 0,
        "connect_timeout_s": 3.0,
        "publish_timeout_s": 3.0,
        "backoff_min_s": 0.05,
        "backoff_max_s": 0.2,
    }
    return BrokerSettings(**{**values, **kw})


class Inbox:
    """A handler that records messages and lets a test wait for a count."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._arrived = asyncio.Event()

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)
        self._arrived.set()

    async def wait_for(self, count: int) -> list[Message]:
        async with asyncio.timeout(WAIT_S):
            while len(self.messages) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.messages


@asynccontextmanager
async def connected(settings: BrokerSettings, handler: Any = None) -> AsyncIterator[MqttClient]:
    async with MqttClient(settings, handler) as client:
        yield client


@pytest.mark.parametrize("protocol", [5, 4])
@pytest.mark.parametrize("qos", [0, 1])
async def test_round_trip(broker: Any, unique_topic: str, qos: int, protocol: int) -> None:
    inbox = Inbox()
    async with (
        connected(settings_for(broker, protocol=protocol), inbox) as sub,
        connected(settings_for(broker, protocol=protocol)) as pub,
    ):
        await sub.subscribe([(f"{unique_topic}/#", qos)])
        await pub.publish(
            f"{unique_topic}/a/b", b'{"v":1}', qos=qos, content_type="application/json"
        )
        assert pub.publishes_pending == 0  # QoS 1: publish() returned after the PUBACK
        [message] = await inbox.wait_for(1)
    assert (message.topic, message.payload, message.qos) == (f"{unique_topic}/a/b", b'{"v":1}', qos)
    assert message.retain is False
    assert message.content_type == ("application/json" if protocol == 5 else None)


async def test_retained_message_is_flagged(broker: Any, unique_topic: str) -> None:
    inbox = Inbox()
    async with connected(settings_for(broker)) as pub:
        await pub.publish(f"{unique_topic}/state", b"on", retain=True)
        async with connected(settings_for(broker), inbox) as sub:
            await sub.subscribe([(f"{unique_topic}/#", 1)])
            [message] = await inbox.wait_for(1)
        await pub.publish(f"{unique_topic}/state", b"", retain=True)  # clear it
    assert message.retain is True
    assert message.payload == b"on"


async def test_shared_subscription_delivers_each_message_once(
    broker: Any, unique_topic: str
) -> None:
    first, second = Inbox(), Inbox()
    both = Inbox()  # sees every delivery to either member, so duplicates cannot hide
    count = 20

    async def tee(inbox: Inbox) -> Callable[[Message], Any]:
        async def handle(message: Message) -> None:
            await inbox(message)
            await both(message)

        return handle

    async with (
        connected(settings_for(broker), await tee(first)) as a,
        connected(settings_for(broker), await tee(second)) as b,
        connected(settings_for(broker)) as pub,
    ):
        for member in (a, b):
            await member.subscribe([(f"$share/g/{unique_topic}/#", 1)])
        for i in range(count):
            await pub.publish(f"{unique_topic}/m", str(i).encode())
        messages = await both.wait_for(count)
        assert sorted(int(m.payload) for m in messages) == list(range(count))
    assert first.messages
    assert second.messages


@pytest.mark.parametrize("protocol", [5, 4])
async def test_persistent_session_keeps_messages_while_away(
    broker: Any, unique_topic: str, protocol: int
) -> None:
    settings = settings_for(broker, persistent=True, protocol=protocol)
    async with connected(settings, Inbox()) as away:
        await away.subscribe([(f"{unique_topic}/#", 1)])
    async with connected(settings_for(broker)) as pub:
        for i in range(3):
            await pub.publish(f"{unique_topic}/m", str(i).encode())
    inbox = Inbox()
    async with connected(settings, inbox):  # same client id, no new subscribe
        messages = await inbox.wait_for(3)
    assert [m.payload for m in messages] == [b"0", b"1", b"2"]


@pytest.mark.parametrize("protocol", [5, 4])
@pytest.mark.parametrize("failure", ["raises", "unfinished"])
async def test_unacknowledged_message_is_redelivered(
    broker: Any, unique_topic: str, failure: str, protocol: int
) -> None:
    settings = settings_for(broker, persistent=True, protocol=protocol)
    started = asyncio.Event()

    async def fail(message: Message) -> None:
        started.set()
        if failure == "raises":
            raise TransportError("downstream publish failed")
        await asyncio.Event().wait()  # never finishes; disconnect() cancels it

    async with connected(settings, fail) as first:
        await first.subscribe([(f"{unique_topic}/#", 1)])
        async with connected(settings_for(broker)) as pub:
            await pub.publish(f"{unique_topic}/m", b"payload")
        async with asyncio.timeout(WAIT_S):
            await started.wait()
    inbox = Inbox()
    async with connected(settings, inbox):
        [message] = await inbox.wait_for(1)
    assert (message.topic, message.payload) == (f"{unique_topic}/m", b"payload")
    assert message.dup is True


@pytest.mark.parametrize("protocol", [5, 4])
async def test_acknowledged_message_is_not_redelivered(
    broker: Any, unique_topic: str, protocol: int
) -> None:
    settings = settings_for(broker, persistent=True, protocol=protocol)
    first = Inbox()
    async with connected(settings, first) as client:
        await client.subscribe([(f"{unique_topic}/#", 1)])
        async with connected(settings_for(broker)) as pub:
            await pub.publish(f"{unique_topic}/m", b"once")
            await first.wait_for(1)
            assert client.in_flight == 0  # the handler returned, so the PUBACK went out
    inbox = Inbox()
    async with connected(settings, inbox), connected(settings_for(broker)) as pub:
        # A redelivery would be sent on reconnect, before this later message.
        await pub.publish(f"{unique_topic}/sentinel", b"later")
        messages = await inbox.wait_for(1)
    assert [m.payload for m in messages] == [b"later"]


async def test_reconnects_and_resubscribes_after_broker_restart(
    mosquitto_factory: Callable[..., Any], unique_topic: str
) -> None:
    broker = mosquitto_factory()  # no persistence: the restart forgets every session
    states: asyncio.Queue[bool] = asyncio.Queue()
    inbox = Inbox()
    client = MqttClient(settings_for(broker), inbox, on_connection_change=states.put_nowait)
    async with client, connected(settings_for(broker)) as pub:
        await client.subscribe([(f"{unique_topic}/#", 1)])
        assert await states.get() is True
        await asyncio.to_thread(broker.restart)
        async with asyncio.timeout(WAIT_S):
            assert await states.get() is False
            assert await states.get() is True
        assert client.connected
        await pub.publish(f"{unique_topic}/m", b"after restart")  # waits for pub's reconnect
        [message] = await inbox.wait_for(1)
    assert message.payload == b"after restart"


async def test_publish_fails_with_transport_error_when_broker_is_gone(
    mosquitto_factory: Callable[..., Any], unique_topic: str
) -> None:
    broker = mosquitto_factory()
    lost = asyncio.Event()
    settings = settings_for(broker, publish_timeout_s=0.3, backoff_min_s=5, backoff_max_s=5)

    def on_change(up: bool) -> None:
        if not up:
            lost.set()

    async with MqttClient(settings, on_connection_change=on_change) as client:
        broker.kill()
        async with asyncio.timeout(WAIT_S):
            await lost.wait()
        with pytest.raises(TransportError, match="not connected"):
            await client.publish(f"{unique_topic}/m", b"x")


async def test_connect_refused_is_a_transport_error(
    mosquitto_factory: Callable[..., Any],
) -> None:
    broker = mosquitto_factory()
    broker.stop()
    with pytest.raises(TransportError, match=r"cannot connect to mqtt://127\.0\.0\.1"):
        await MqttClient(settings_for(broker)).connect()


async def test_subscribe_without_handler_is_refused(broker: Any, unique_topic: str) -> None:
    async with connected(settings_for(broker)) as client:
        with pytest.raises(TransportError, match="needs a message handler"):
            await client.subscribe([(f"{unique_topic}/#", 1)])


async def test_publish_to_a_wildcard_is_refused(broker: Any, unique_topic: str) -> None:
    async with connected(settings_for(broker)) as client:
        with pytest.raises(TransportError, match="cannot publish"):
            await client.publish(f"{unique_topic}/+", b"x")
        assert client.connected  # refused locally, the broker never saw it
