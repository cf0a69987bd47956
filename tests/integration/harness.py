"""A running `Service` on the test broker with a publisher and a governed-tree sink."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from uns.config.loader import load_model
from uns.config.settings import ServiceSettings
from uns.demo.mosquitto import MosquittoProcess, start_mosquitto
from uns.errors import TransportError
from uns.io.mqtt import BrokerSettings, Message, MqttClient
from uns.metrics import Stats
from uns.model.namespace import Namespace
from uns.reload import fingerprint
from uns.service import Service

MODEL = Path(__file__).parent.parent / "data" / "models" / "plant" / "model.yaml"


def model_under(tmp_path: Path, prefix: str, enterprise: str, model: Path = MODEL) -> Path:
    """The test model with raw topics under `prefix` and a unique enterprise (governed root)."""
    text = model.read_text()
    text = text.replace('"raw/', f'"{prefix}/raw/').replace('"mes/', f'"{prefix}/mes/')
    text = text.replace("name: testco", f"name: {enterprise}")
    (tmp_path / "model.yaml").write_text(text)
    return tmp_path


@dataclass
class Sink:
    """Collects governed messages and lets a test wait for a count."""

    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, msg: Message) -> None:
        self.messages.append((msg.topic, orjson.loads(msg.payload)))
        self.changed.set()

    async def wait_for(self, n: int, within_s: float = 10.0) -> list[tuple[str, dict[str, Any]]]:
        async with asyncio.timeout(within_s):
            while len(self.messages) < n:
                self.changed.clear()
                await self.changed.wait()
        return self.messages


@dataclass
class Running:
    service: Service
    enterprise: str
    prefix: str
    publisher: MqttClient
    sink: Sink

    async def publish(self, topic: str, payload: bytes) -> None:
        await self.publisher.publish(f"{self.prefix}/{topic}", payload, qos=1)


@asynccontextmanager
async def running_service(
    port: int, prefix: str, tmp_path: Path, *, model: Path = MODEL, **overrides: Any
) -> AsyncIterator[Running]:
    """The service on the test model (or `model`, whose enterprise is `testco` and raw
    topics start `raw/`); `overrides` are extra ServiceSettings fields."""
    enterprise = f"e{secrets.token_hex(4)}"
    models = model_under(tmp_path, prefix, enterprise, model)
    settings = ServiceSettings(
        models=str(models),
        broker={"url": f"mqtt://127.0.0.1:{port}", "client_id": f"uns-{enterprise}"},
        metrics_port=None,
        **overrides,
    )
    # As the runner does: the model's fingerprint is the revision every output names.
    stats = Stats(model_version=fingerprint(models))
    service = Service(settings, load_model(models), stats=stats)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    sink = Sink()
    listener = MqttClient(
        BrokerSettings(port=port, client_id=f"sink-{enterprise}", clean_start=True),
        sink.handle,
    )
    publisher = MqttClient(
        BrokerSettings(port=port, client_id=f"pub-{enterprise}", clean_start=True)
    )
    await listener.connect()
    await listener.subscribe([(f"{enterprise}/#", 1)])
    await publisher.connect()
    async with asyncio.timeout(10):
        await service.subscribed.wait()
    yield Running(service, enterprise, prefix, publisher, sink)
    stop.set()
    report = await asyncio.wait_for(task, 15)
    assert report.finished
    await publisher.disconnect()
    await listener.disconnect()


# -- fault tests: brokers with extra config, a freezable proxy, `uns run` as a child ----------
#
# Sequence-numbered traffic: every raw message is `s<seq>` on the scalar STATE binding, so the
# enriched value names its sequence number and a sink can count arrivals and duplicates.

SEQ_RAW = "raw/scalar/O1/STATE"  # under the test's prefix
SEQ_GOVERNED = "berlin/baking/line-1/oven-cell/oven-1/state"  # under the enterprise
ROOT = Path(__file__).resolve().parents[2]

# mosquitto saves its in-memory state only every `autosave_interval` s (default 1800) or on a
# clean exit; with `autosave_on_changes` it saves at the end of every main-loop pass that
# changed anything. Its per-client queue holds 1000 QoS 1 messages by default and drops the
# rest, so a service that is down for a second at 1000 msg/s loses data at the broker.
AUTOSAVE = ("autosave_interval 1", "autosave_on_changes true")
UNBOUNDED_QUEUES = ("max_queued_messages 0",)


def tuned_mosquitto(workdir: Path, *extra: str, persistence: bool = False) -> MosquittoProcess:
    """A dedicated broker with extra config lines (it can also be paused: SIGSTOP)."""
    return start_mosquitto(workdir, extra=extra, persistence=persistence)


def _frame_size(buf: bytearray) -> int | None:
    """Bytes in the first complete MQTT packet of `buf`, or None while it is incomplete."""
    length, shift = 0, 0
    for i in range(1, min(len(buf), 5)):
        length |= (buf[i] & 0x7F) << shift
        if not buf[i] & 0x80:
            size = i + 1 + length
            return size if len(buf) >= size else None
        shift += 7
    return None


class FreezableProxy:
    """A TCP forwarder to the broker. After `freeze()` every packet a client sends is swallowed
    (whole packets: the client-to-broker stream is cut at packet boundaries), so its publishes
    are never acknowledged, while the broker's traffic to it still flows. Swallowed packets are
    not replayed by `thaw()`: freeze a connection that is going to be closed anyway."""

    def __init__(self, port: int) -> None:
        self.upstream_port = port
        self.port = 0
        self.frozen = False
        self.held_publishes = 0
        self.held = asyncio.Event()  # set on every swallowed PUBLISH
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> FreezableProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def freeze(self) -> None:
        self.frozen = True

    def thaw(self) -> None:
        """Packets flow again from now on."""
        self.frozen = False

    async def _accept(self, down_r: asyncio.StreamReader, down_w: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        for coro in (self._client_to_broker(down_r, up_w), self._copy(up_r, down_w)):
            task = asyncio.create_task(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _client_to_broker(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        buf = bytearray()
        try:
            while data := await reader.read(65536):
                buf += data
                while (size := _frame_size(buf)) is not None:
                    packet = bytes(buf[:size])
                    del buf[:size]
                    if not self.frozen:
                        writer.write(packet)
                    elif packet[0] >> 4 == 3:  # PUBLISH
                        self.held_publishes += 1
                        self.held.set()
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.transport.abort()  # an abrupt close, as a crashed client would leave

    async def _copy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.transport.abort()


class UnsProcess:
    """`python -m uns run --config FILE` as a child process; its log lines can be awaited."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> UnsProcess:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "uns", "run", "--config", str(self.config),
            cwd=ROOT, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, limit=1 << 20,  # long log lines
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read(self._proc))
        return self

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while line := await proc.stderr.readline():  # drained always: a full pipe would block it
            self.lines.append(line.decode(errors="replace").rstrip())
            self._changed.set()
        self._changed.set()

    @property
    def returncode(self) -> int | None:
        assert self._proc is not None
        return self._proc.returncode

    def log(self) -> str:
        return "\n".join(self.lines[-60:])

    async def wait_log(self, pattern: str, within_s: float = 20.0) -> re.Match[str]:
        """The first log line matching `pattern` (a regex), waiting for it if need be."""
        rx = re.compile(pattern)
        seen = 0
        try:
            async with asyncio.timeout(within_s):
                while True:
                    for line in self.lines[seen:]:
                        if match := rx.search(line):
                            return match
                    seen = len(self.lines)
                    if self._reader is not None and self._reader.done():
                        raise AssertionError(f"uns exited before logging {pattern!r}")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"no log line matching {pattern!r}:\n{self.log()}") from None

    def send(self, sig: int) -> None:
        assert self._proc is not None
        self._proc.send_signal(sig)

    async def wait(self, within_s: float = 30.0) -> int:
        assert self._proc is not None
        assert self._reader is not None
        async with asyncio.timeout(within_s):
            code = await self._proc.wait()
            await self._reader
        return code

    async def kill(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
            await self.wait()


def write_settings(path: Path, models: Path, port: int, client_id: str, **extra: Any) -> Path:
    """A settings file for `uns run` (JSON is YAML); it must live outside the models dir."""
    settings = {
        "models": str(models),
        "broker": {"url": f"mqtt://127.0.0.1:{port}", "client_id": client_id},
        "metrics_port": None,
        "log_level": "info",
        **extra,
    }
    path.write_text(json.dumps(settings, indent=2))
    return path


def client_settings(port: int, client_id: str, **kw: Any) -> BrokerSettings:
    """A persistent-session test client with fast reconnects."""
    values: dict[str, Any] = {
        "port": port,
        "client_id": client_id,
        "clean_start": False,
        "session_expiry_s": 600,
        "connect_timeout_s": 5.0,
        "publish_timeout_s": 10.0,
        "backoff_min_s": 0.05,
        "backoff_max_s": 0.5,
    }
    return BrokerSettings(**{**values, **kw})


class SeqPublisher:
    """Publishes `s<seq>` payloads at QoS 1 and, like any QoS 1 client, publishes again whatever
    was not acknowledged (gmqtt itself resends unacknowledged packets when a session resumes;
    a publish that fails outright is retried here)."""

    def __init__(self, client: MqttClient, topic: str, window: int = 50) -> None:
        self.client = client
        self.topic = topic
        self.acked: set[int] = set()
        self.issued = 0  # publishes handed to the client (in flight or acknowledged)
        self.retries = 0
        self._window = asyncio.Semaphore(window)
        self._progress = asyncio.Event()

    @property
    def in_flight(self) -> int:
        return self.issued - len(self.acked)

    async def run(self, start: int, stop: int, rate: float | None = None) -> None:
        """Publish `start..stop-1`, paced at `rate` msg/s (None: as fast as the window allows);
        returns when every one of them is acknowledged."""
        t0 = time.monotonic()
        async with asyncio.TaskGroup() as tg:
            for seq in range(start, stop):
                if rate is not None and (delay := t0 + (seq - start) / rate - time.monotonic()) > 0:
                    await asyncio.sleep(delay)  # pacing the load, not waiting for an outcome
                await self._window.acquire()
                tg.create_task(self._one(seq))

    async def _one(self, seq: int) -> None:
        self.issued += 1
        self._progress.set()  # a waiter runs once this publish has been written (or waits)
        try:
            while True:
                try:
                    await self.client.publish(self.topic, b"s%06d" % seq, qos=1)
                    break
                except TransportError:
                    self.retries += 1
            self.acked.add(seq)
            self._progress.set()
        finally:
            self._window.release()

    async def wait_issued(self, n: int, within_s: float = 10.0) -> None:
        async with asyncio.timeout(within_s):
            while self.issued < n:
                self._progress.clear()
                await self._progress.wait()


class SeqSink:
    """Counts enriched `s<seq>` values by sequence number; dead letters are kept apart."""

    def __init__(self, enterprise: str) -> None:
        self.topic = f"{enterprise}/{SEQ_GOVERNED}"
        self.counts: Counter[int] = Counter()
        self.other: list[tuple[str, bytes]] = []
        self._changed = asyncio.Event()

    async def handle(self, msg: Message) -> None:
        if msg.topic == self.topic:
            value = orjson.loads(msg.payload)["value"]
            self.counts[int(value[1:])] += 1
        else:
            self.other.append((msg.topic, msg.payload))
        self._changed.set()

    @property
    def duplicates(self) -> int:
        return sum(self.counts.values()) - len(self.counts)

    def missing(self, n: int) -> list[int]:
        return [seq for seq in range(n) if seq not in self.counts]

    async def wait_unique(self, n: int, within_s: float = 20.0) -> None:
        try:
            async with asyncio.timeout(within_s):
                while len(self.counts) < n:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            missing = self.missing(n)
            raise AssertionError(f"{len(missing)} of {n} never arrived: {missing[:20]}") from None


class WatchedService(Service):
    """A `Service` whose broker connection can be awaited."""

    def __init__(self, settings: ServiceSettings, ns: Namespace) -> None:
        super().__init__(settings, ns)
        self.up = asyncio.Event()
        self.lost = asyncio.Event()  # set on the first loss of the connection

    def _on_connection_change(self, up: bool) -> None:
        super()._on_connection_change(up)
        (self.up.set if up else self.up.clear)()
        if not up:
            self.lost.set()


@asynccontextmanager
async def serving(settings: ServiceSettings) -> AsyncIterator[WatchedService]:
    """The service in this process until the block ends; the drain must finish."""
    service = WatchedService(settings, load_model(Path(settings.models)))
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        async with asyncio.timeout(10):
            await service.subscribed.wait()
        yield service
    finally:
        stop.set()
        report = await asyncio.wait_for(task, 30)
    assert report.finished
