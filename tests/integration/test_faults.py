"""Faults against real mosquitto processes: a broker crash, SIGTERM under load, drains that
finish, overrun or are forced, and a model reload storm. In every one a QoS 1 publisher sends
sequence-numbered raw messages and a persistent-session sink counts the enriched copies: every
sequence number must arrive at least once (duplicates are allowed, at-least-once, and counted).

What "every message" means across a broker crash (mosquitto 2.0, see `harness.AUTOSAVE`):
mosquitto persists by snapshot. With `autosave_on_changes true` and `autosave_interval 1` it
writes the whole in-memory state at the end of each pass of its main loop that changed anything,
but it sends PUBACKs during the pass. A SIGKILL after a PUBACK and before the end of that pass
loses the acknowledged message: the publisher will not send it again, the broker no longer has
it. No client can make up for that, so the crash test kills the broker only when no raw message
is acknowledged-but-unsaved: every raw publish before the kill was acknowledged before the
service even connected (a later pass, so their pass was saved); the publishes that are on the
wire at the kill were never read by the (paused) broker. The service's own hop needs no such
care: it acknowledges a raw message only after the PUBACK of its enriched copy, so the broker
reads that acknowledgement in a later pass than the one that stored the enriched copy, and every
snapshot holds the raw message (redelivered: a duplicate) or the enriched copy, or both.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.documented import exit_code
from tests.integration.harness import (
    AUTOSAVE,
    SEQ_RAW,
    UNBOUNDED_QUEUES,
    FreezableProxy,
    SeqPublisher,
    SeqSink,
    UnsProcess,
    client_settings,
    model_under,
    serving,
    tuned_mosquitto,
    write_settings,
)
from uns.config.loader import load_model
from uns.config.settings import ServiceSettings
from uns.demo.mosquitto import MosquittoProcess
from uns.io.mqtt import BrokerSettings, MqttClient
from uns.reload import fingerprint
from uns.service import Service

pytestmark = pytest.mark.broker

# The exit codes docs/operations.md promises, not the constants uns.runner defines.
EXIT_OK = exit_code("every message taken in was published and acknowledged")
EXIT_DRAIN_CUT = exit_code("the drain deadline passed")
EXIT_FORCED = exit_code("a second SIGTERM/SIGINT forced the exit")

RATE = 400  # msg/s: a steady load the in-process clients sustain on a shared 2-core machine
SUBSCRIBED = r"subscribed to "


@pytest.fixture
def brokers(
    mosquitto_factory: Callable[..., Any],  # for its skip-or-fail when mosquitto is missing
    tmp_path: Path,
) -> Iterator[Callable[..., MosquittoProcess]]:
    started: list[MosquittoProcess] = []

    def make(*extra: str, persistence: bool = False) -> MosquittoProcess:
        broker = tuned_mosquitto(tmp_path / f"tuned{len(started)}", *extra, persistence=persistence)
        started.append(broker)
        return broker

    yield make
    for broker in started:
        broker.resume()  # a paused broker ignores SIGTERM but not SIGKILL; be tidy anyway
        broker.kill()


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


class Plant:
    """The test model under a fresh enterprise, a persistent sink and a QoS 1 publisher."""

    def __init__(self, port: int, prefix: str, tmp_path: Path) -> None:
        self.port = port
        self.enterprise = f"e{secrets.token_hex(4)}"
        models = tmp_path / "models"
        models.mkdir()
        self.models = model_under(models, prefix, self.enterprise)
        self.sink = SeqSink(self.enterprise)
        self.lost = asyncio.Event()  # the sink lost its connection
        self.sink_up = asyncio.Event()
        self.sink_client = MqttClient(
            client_settings(port, f"sink-{self.enterprise}"), self.sink.handle, self._changed
        )
        self.pub_client = MqttClient(client_settings(port, f"pub-{self.enterprise}"))
        self.publisher = SeqPublisher(self.pub_client, f"{prefix}/{SEQ_RAW}")
        self.client_id = f"uns-{self.enterprise}"

    def _changed(self, up: bool) -> None:
        (self.sink_up.set if up else self.sink_up.clear)()
        if not up:
            self.lost.set()

    async def __aenter__(self) -> Plant:
        await self.sink_client.connect()
        await self.sink_client.subscribe([(f"{self.enterprise}/#", 1)])
        await self.pub_client.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.pub_client.disconnect()
        await self.sink_client.disconnect()

    def settings(self, port: int | None = None, **extra: Any) -> ServiceSettings:
        """The service's settings; `port` to reach the broker another way (a proxy)."""
        url = f"mqtt://127.0.0.1:{port or self.port}"
        broker = {"url": url, "client_id": self.client_id}
        return ServiceSettings(models=str(self.models), broker=broker, metrics_port=None, **extra)

    def assert_all_arrived(self, total: int) -> None:
        assert self.sink.missing(total) == []
        assert self.sink.other == []  # nothing was dead-lettered


# -- broker crash -------------------------------------------------------------------------------


@pytest.mark.slow
async def test_broker_sigkill_and_restart_mid_stream_loses_nothing(
    brokers: Callable[..., MosquittoProcess],
    unique_topic: str,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    broker = brokers(*AUTOSAVE, *UNBOUNDED_QUEUES, persistence=True)
    before, on_wire, while_down, total = 1000, 10, 100, 1600
    async with Plant(broker.port, unique_topic, tmp_path) as plant:
        async with serving(plant.settings()):
            pass  # the service's session and subscriptions now live at the broker
        # Before: a backlog for the service, each raw message acknowledged by the broker.
        await plant.publisher.run(0, before)
        async with serving(plant.settings()):
            await plant.sink.wait_unique(100)
            broker.pause()  # nothing below runs the event loop until the kill
            arrived_at_kill = len(plant.sink.counts)
            wire = asyncio.create_task(plant.publisher.run(before, before + on_wire))
            await plant.publisher.wait_issued(before + on_wire)
            unacked_at_kill = plant.pub_client.publishes_pending
            broker.kill()
            async with asyncio.timeout(10):
                await plant.lost.wait()  # the clients saw the broker go
            down = asyncio.create_task(
                plant.publisher.run(before + on_wire, before + on_wire + while_down, RATE)
            )
            await asyncio.to_thread(broker.start)  # same port, state from mosquitto.db
            await asyncio.gather(wire, down)
            await plant.publisher.run(before + on_wire + while_down, total, RATE)
            await plant.sink.wait_unique(total)
    # The kill hit the stream: the service was working through its backlog and the publisher
    # had publishes on the wire that the broker never read.
    assert arrived_at_kill < before
    assert unacked_at_kill == on_wire
    plant.assert_all_arrived(total)
    record_property("duplicates", plant.sink.duplicates)
    record_property("publisher_retries", plant.publisher.retries)


# -- SIGTERM to `uns run` -----------------------------------------------------------------------


@pytest.mark.slow
async def test_sigterm_under_load_drains_and_a_restart_loses_nothing(
    brokers: Callable[..., MosquittoProcess],
    uns_runs: Callable[[Path], Awaitable[UnsProcess]],
    unique_topic: str,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    broker = brokers(*UNBOUNDED_QUEUES)
    total = 2000
    async with Plant(broker.port, unique_topic, tmp_path) as plant:
        config = write_settings(tmp_path / "uns.json", plant.models, broker.port, plant.client_id)
        first = await uns_runs(config)
        await first.wait_log(SUBSCRIBED)
        stream = asyncio.create_task(plant.publisher.run(0, total, RATE))
        await plant.sink.wait_unique(total // 3)
        first.send(signal.SIGTERM)
        # The broker is healthy, so every message in flight gets its PUBACK within
        # milliseconds, far inside drain_timeout_s (10 s): the drain finishes, exit 0.
        # Deliveries after the signal are refused unacknowledged and wait for the restart.
        assert await first.wait() == EXIT_OK, first.log()
        await first.wait_log(r"drained: every message taken in was published and acknowledged")
        second = await uns_runs(config)  # same client id: the same session
        await second.wait_log(SUBSCRIBED)
        await stream
        await plant.sink.wait_unique(total)
        second.send(signal.SIGTERM)
        assert await second.wait() == EXIT_OK, second.log()
    plant.assert_all_arrived(total)
    record_property("duplicates", plant.sink.duplicates)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("drain_timeout_s", "signals", "code", "says"),
    [
        pytest.param(
            0.5,
            1,
            EXIT_DRAIN_CUT,
            r"drain deadline of 0\.5s passed; (\d+) message\(s\) not finished",
            id="deadline-passes",
        ),
        pytest.param(
            30.0, 2, EXIT_FORCED, r"second SIGTERM: exiting without waiting", id="second-sigterm"
        ),
    ],
)
async def test_stuck_drain_exits_and_a_restart_loses_nothing(
    brokers: Callable[..., MosquittoProcess],
    uns_runs: Callable[[Path], Awaitable[UnsProcess]],
    unique_topic: str,
    tmp_path: Path,
    drain_timeout_s: float,
    signals: int,
    code: int,
    says: str,
) -> None:
    broker = brokers(*UNBOUNDED_QUEUES)
    total = 1600
    async with (
        Plant(broker.port, unique_topic, tmp_path) as plant,
        FreezableProxy(broker.port) as proxy,
    ):
        config = write_settings(
            tmp_path / "uns.json",
            plant.models,
            proxy.port,  # only the service goes through the proxy
            plant.client_id,
            drain_timeout_s=drain_timeout_s,
        )
        first = await uns_runs(config)
        await first.wait_log(SUBSCRIBED)
        stream = asyncio.create_task(plant.publisher.run(0, total, RATE))
        await plant.sink.wait_unique(total // 4)
        proxy.freeze()  # the service's publishes can no longer be acknowledged
        async with asyncio.timeout(10):
            await proxy.held.wait()  # so this message's handler cannot finish
        first.send(signal.SIGTERM)
        if signals == 2:
            await first.wait_log(r"SIGTERM: stopping intake and draining")
            first.send(signal.SIGTERM)
        assert await first.wait() == code, first.log()
        said = await first.wait_log(says)
        if code == EXIT_DRAIN_CUT:
            # Exactly the handlers whose enriched publish the proxy holds were cut off. The
            # proxy may still be reading the last bytes the process sent before it exited.
            cut = int(said[1])
            async with asyncio.timeout(5):
                while proxy.held_publishes < cut:
                    proxy.held.clear()
                    await proxy.held.wait()
            assert cut == proxy.held_publishes
        proxy.thaw()
        second = await uns_runs(config)
        await second.wait_log(SUBSCRIBED)
        await stream
        await plant.sink.wait_unique(total)
        second.send(signal.SIGTERM)
        assert await second.wait() == EXIT_OK, second.log()
    plant.assert_all_arrived(total)


# -- model reload storm -------------------------------------------------------------------------


async def _http_get(port: int, path: str) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    response = (await reader.read()).decode()
    writer.close()
    head, _, body = response.partition("\r\n\r\n")
    return int(head.split()[1]), body


def _reloads(metrics: str) -> dict[str, float]:
    found = re.findall(r'^uns_model_reloads_total\{outcome="(\w+)"\} (\S+)$', metrics, re.M)
    return {outcome: float(n) for outcome, n in found}


@pytest.mark.slow
async def test_reload_storm_under_load_keeps_the_service_up_and_loses_nothing(
    brokers: Callable[..., MosquittoProcess],
    uns_runs: Callable[[Path], Awaitable[UnsProcess]],
    unique_topic: str,
    tmp_path: Path,
) -> None:
    broker = brokers(*UNBOUNDED_QUEUES)
    rounds, chunk = 8, 120  # per reload, this many messages are published meanwhile
    total = rounds * 2 * chunk
    async with Plant(broker.port, unique_topic, tmp_path) as plant:
        config = write_settings(
            tmp_path / "uns.json",
            plant.models,
            broker.port,
            plant.client_id,
            reload_interval_s=0.1,
            metrics_port=0,
        )
        service = await uns_runs(config)
        port = int((await service.wait_log(r"metrics on http://[\d.]+:(\d+)/metrics"))[1])
        await service.wait_log(SUBSCRIBED)
        model = plant.models / "model.yaml"
        good = model.read_text()
        broken = good.replace("oven-2: oven", "oven-2: ovn")  # an unknown class
        version = fingerprint(plant.models)
        sent = 0
        for i in range(rounds):
            _replace(model, f"{broken}# storm {i}\n")
            refused = service.wait_log(rf"has \d+ problem\(s\); keeping model {version}:")
            await asyncio.gather(refused, plant.publisher.run(sent, sent + chunk, RATE))
            _replace(model, f"{good}# storm {i}\n")  # a new version every time
            version = fingerprint(plant.models)
            loaded = service.wait_log(rf"model {version} loaded from ")
            await asyncio.gather(loaded, plant.publisher.run(sent + chunk, sent + 2 * chunk, RATE))
            sent += 2 * chunk
        await plant.sink.wait_unique(total)
        assert service.returncode is None
        assert (await _http_get(port, "/readyz"))[0] == 200
        _, metrics = await _http_get(port, "/metrics")
        assert _reloads(metrics) == {"ok": rounds, "failed": rounds}
        assert f'uns_model_loaded_timestamp_seconds{{version="{version}"}}' in metrics
        service.send(signal.SIGTERM)
        assert await service.wait() == EXIT_OK, service.log()
    assert any("unknown class 'ovn'" in line for line in service.lines)  # with its position
    plant.assert_all_arrived(total)


def _replace(path: Path, text: str) -> None:
    """Write atomically, so the watcher never reads half a file (`.tmp` is not a model file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


# -- a broker that forgot the session -------------------------------------------------------


@pytest.mark.slow
async def test_service_publishes_again_after_the_broker_forgot_its_session(
    brokers: Callable[..., MosquittoProcess], unique_topic: str, tmp_path: Path
) -> None:
    # No persistence: a restart forgets every session. The broker's receive maximum (from
    # max_inflight_messages) is the client's packet-id pool; gmqtt uses all but one of them.
    window = 10
    broker = brokers(*UNBOUNDED_QUEUES, f"max_inflight_messages {window}")
    burst, after = 200, 50
    async with (
        Plant(broker.port, unique_topic, tmp_path) as plant,
        FreezableProxy(broker.port) as proxy,
        serving(plant.settings(proxy.port, drain_timeout_s=2)) as service,
    ):
        proxy.freeze()
        await plant.publisher.run(0, burst)
        async with asyncio.timeout(10):
            while proxy.held_publishes < window - 1:  # every packet id in use
                proxy.held.clear()
                await proxy.held.wait()
        await asyncio.to_thread(broker.restart)
        proxy.thaw()
        async with asyncio.timeout(5):
            for lost, up in ((service.lost, service.up), (plant.lost, plant.sink_up)):
                await lost.wait()
                await up.wait()  # connected again, so subscribed again
        # What the broker forgot is lost (no persistence); what comes after must arrive.
        await plant.publisher.run(burst, burst + after)
        async with asyncio.timeout(5):
            while any(seq not in plant.sink.counts for seq in range(burst, burst + after)):
                await plant.sink.wait_unique(len(plant.sink.counts) + 1)


# -- a drain whose publishes fail -----------------------------------------------------------


class _ImpatientSettings(ServiceSettings):
    """Publishes give up after 0.5 s (`publish_timeout_s` is not a service setting)."""

    def broker_settings(self, env: dict[str, str] | None = None) -> BrokerSettings:
        return dataclasses.replace(super().broker_settings(env), publish_timeout_s=0.5)


async def test_a_drain_whose_publishes_fail_is_not_reported_finished(
    brokers: Callable[..., MosquittoProcess], unique_topic: str, tmp_path: Path
) -> None:
    broker = brokers(*UNBOUNDED_QUEUES)
    async with (
        Plant(broker.port, unique_topic, tmp_path) as plant,
        FreezableProxy(broker.port) as proxy,
    ):
        values = plant.settings(proxy.port, drain_timeout_s=5).model_dump()
        service = Service(_ImpatientSettings(**values), load_model(plant.models))
        stop = asyncio.Event()
        running = asyncio.create_task(service.run(stop))
        async with asyncio.timeout(10):
            await service.subscribed.wait()
            proxy.freeze()
            await plant.publisher.run(0, 5)
            await proxy.held.wait()  # an enriched publish that will never be acknowledged
        stop.set()
        report = await asyncio.wait_for(running, 15)
    assert service.stats.publish_failures >= 1  # the publishes did fail during the drain
    assert not report.finished
    assert report.cut_off >= 1
