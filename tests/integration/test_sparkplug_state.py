"""Primary-host STATE against a real mosquitto: `uns run` with `sparkplug.host_id` set.

Sparkplug 3.0: the host connects with a retained QoS 1 Will `{"online": false, "timestamp": T}`
on `spBv1.0/STATE/{host_id}`, publishes `{"online": true, "timestamp": T}` there (retained,
QoS 1, the same T) once subscribed, and publishes the offline message itself before a clean
disconnect. A SIGKILL leaves the broker to publish the Will.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import MosquittoProcess
from tests.integration.harness import (
    Sink,
    UnsProcess,
    client_settings,
    model_under,
    write_settings,
)
from uns.io.mqtt import Message, MqttClient

pytestmark = pytest.mark.broker


@pytest.fixture
async def uns_runs() -> AsyncIterator[Callable[[Path], Awaitable[UnsProcess]]]:
    """Start `uns run` children; any still running at the end are killed."""
    started: list[UnsProcess] = []

    async def start(config: Path) -> UnsProcess:
        process = await UnsProcess(config).start()
        started.append(process)
        return process

    yield start
    for process in started:
        await process.kill()


@asynccontextmanager
async def watching(port: int, topic: str) -> AsyncIterator[Sink]:
    """A subscriber on `topic` (retained messages included), for the whole block."""
    sink = Sink()
    client = MqttClient(
        client_settings(port, f"watch-{secrets.token_hex(4)}", clean_start=True), sink.handle
    )
    async with client:
        await client.subscribe([(topic, 1)])
        yield sink


async def retained(port: int, topic: str) -> dict[str, Any]:
    """What a newcomer subscribing to `topic` gets first: the retained message."""
    got: asyncio.Future[Message] = asyncio.get_running_loop().create_future()

    async def first(msg: Message) -> None:
        if not got.done():
            got.set_result(msg)

    client = MqttClient(client_settings(port, f"late-{secrets.token_hex(4)}"), first)
    async with client:
        await client.subscribe([(topic, 1)])
        async with asyncio.timeout(10):
            msg = await got
    assert msg.retain
    body: dict[str, Any] = orjson.loads(msg.payload)
    return body


async def wait_state(sink: Sink, online: bool, within_s: float = 20.0) -> dict[str, Any]:
    """The first STATE with `online` that the watcher received, waiting for it."""
    async with asyncio.timeout(within_s):
        while True:
            for _, body in sink.messages:
                if body.get("online") is online:
                    return body
            sink.changed.clear()
            await sink.changed.wait()


MARKER = {"marker": True}


async def mark(port: int, topic: str, sink: Sink) -> None:
    """Publish a non-retained marker after everything the stopped service caused, and wait
    for the watcher to see it: what the broker sent before it is then all in `sink`."""
    async with MqttClient(client_settings(port, f"mark-{secrets.token_hex(4)}")) as client:
        await client.publish(topic, orjson.dumps(MARKER), qos=1, retain=False)
    async with asyncio.timeout(10):
        while (topic, MARKER) not in sink.messages:
            sink.changed.clear()
            await sink.changed.wait()


def settings_for(tmp_path: Path, broker: MosquittoProcess, prefix: str, host_id: str) -> Path:
    models = tmp_path / "models"
    models.mkdir()
    model_under(models, prefix, f"e{secrets.token_hex(4)}")
    return write_settings(
        tmp_path / "uns.json",
        models,
        broker.port,
        f"uns-{secrets.token_hex(4)}",
        sparkplug={"host_id": host_id},
    )


async def test_online_state_is_retained_while_running_and_offline_after_a_clean_stop(
    broker: MosquittoProcess,
    uns_runs: Callable[[Path], Awaitable[UnsProcess]],
    unique_topic: str,
    tmp_path: Path,
) -> None:
    host_id = f"uns-{secrets.token_hex(4)}"
    topic = f"spBv1.0/STATE/{host_id}"
    config = settings_for(tmp_path, broker, unique_topic, host_id)
    async with watching(broker.port, topic) as sink:
        uns = await uns_runs(config)
        online = await wait_state(sink, online=True)
        assert set(online) == {"online", "timestamp"}
        assert type(online["timestamp"]) is int
        assert await retained(broker.port, topic) == online
        uns.send(signal.SIGTERM)
        assert await uns.wait() == 0, uns.log()
        offline = await wait_state(sink, online=False)
        await mark(broker.port, topic, sink)
    assert offline == {"online": False, "timestamp": online["timestamp"]}
    assert await retained(broker.port, topic) == offline
    # One offline message: ours. A second would be the Will, sent when a client goes away
    # without a DISCONNECT.
    before_marker = [body for _, body in sink.messages[: sink.messages.index((topic, MARKER))]]
    assert before_marker == [online, offline]


async def test_the_will_says_offline_when_the_service_is_killed(
    broker: MosquittoProcess,
    uns_runs: Callable[[Path], Awaitable[UnsProcess]],
    unique_topic: str,
    tmp_path: Path,
) -> None:
    host_id = f"uns-{secrets.token_hex(4)}"
    topic = f"spBv1.0/STATE/{host_id}"
    config = settings_for(tmp_path, broker, unique_topic, host_id)
    async with watching(broker.port, topic) as sink:
        uns = await uns_runs(config)
        online = await wait_state(sink, online=True)
        await uns.kill()  # SIGKILL: no clean disconnect, so the broker sends the Will
        will = await wait_state(sink, online=False)
    assert will == {"online": False, "timestamp": online["timestamp"]}
    assert await retained(broker.port, topic) == will
