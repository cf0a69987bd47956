"""SparkplugHost against a real third-party edge node: the Eclipse Tahu JavaScript client
(`sparkplug-client` from npm, pinned in tests/peers/tahu/package-lock.json) on mosquitto.

The edge node (tests/peers/tahu/edge_node.js) publishes NBIRTH, a DBIRTH for one device and
alias-only DDATA every 100 ms, answers rebirth NCMDs and leaves a Will NDEATH. Most tests
subscribe through uns.io.mqtt.MqttClient and feed a SparkplugHost directly; the last runs the
whole service and reads the governed tree.

Needs `node` and `npm`; `npm ci` runs once per session. Without them, or when `npm ci`
fails, the tests skip locally and fail under any non-empty CI (tests/prerequisites.py). Every
wait is on an event or on a line from the peer, under a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.harness import Sink
from tests.prerequisites import unavailable
from uns.config.loader import load_model
from uns.config.settings import ServiceSettings
from uns.io.mqtt import BrokerSettings, Message, MqttClient
from uns.service import Service
from uns.sparkplug import DataType, HostActions, SparkplugHost

pytestmark = pytest.mark.broker

PEER_DIR = Path(__file__).resolve().parents[1] / "peers" / "tahu"
SCRIPT = PEER_DIR / "edge_node.js"
WAIT_S = 15.0
DEVICE = "press-1"
DEVICE_METRICS = {
    "Line/Temperature": DataType.Float,
    "Count": DataType.Int32,
    "Running": DataType.Boolean,
    "Recipe": DataType.String,
}
_ids = itertools.count()


@pytest.fixture(scope="session")
def node_binary() -> str:
    """`node`, with the peer's locked dependencies installed by `npm ci` (once per session)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable("node and npm are needed for the Tahu edge node peer")
    assert node is not None
    assert npm is not None
    try:
        done = subprocess.run(
            [npm, "ci", "--prefix", str(PEER_DIR), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired:
        unavailable("npm ci for tests/peers/tahu timed out")
    if done.returncode != 0:
        unavailable(f"npm ci for tests/peers/tahu failed: {done.stderr[-2000:]}")
    return node


class EdgeNode:
    """The Tahu edge node process; its stdout lines are events the test can wait on."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read(), name="tahu.stdout")

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            self.lines.append(raw.decode().strip())
            self._changed.set()
        self._changed.set()

    async def wait_line(self, line: str, count: int = 1) -> None:
        async with asyncio.timeout(WAIT_S):
            while self.lines.count(line) < count:
                if self._reader.done():
                    raise AssertionError(f"edge node exited; it printed {self.lines[-5:]}")
                self._changed.clear()
                await self._changed.wait()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()
        await self._reader


class Host:
    """A SparkplugHost fed by a subscription; records every message's actions."""

    def __init__(self, host: SparkplugHost) -> None:
        self.host = host
        self.seen: list[tuple[str, HostActions]] = []
        self._changed = asyncio.Event()

    async def __call__(self, message: Message) -> None:
        now = int(time.time() * 1000)
        self.seen.append((message.topic, self.host.handle(message.topic, message.payload, now)))
        self._changed.set()

    def of(self, verb: str) -> list[HostActions]:
        return [actions for topic, actions in self.seen if topic.split("/")[2] == verb]

    async def wait_for(self, ready: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_S):
            while not ready():
                self._changed.clear()
                await self._changed.wait()


def _settings(broker: Any) -> BrokerSettings:
    return BrokerSettings(
        host=broker.host,
        port=broker.port,
        client_id=f"uns-tahu-test-{os.getpid()}-{next(_ids)}",
        clean_start=True,
        session_expiry_s=0,
        connect_timeout_s=5.0,
        publish_timeout_s=5.0,
    )


@contextlib.asynccontextmanager
async def subscribed(broker: Any, group: str, host: Host) -> AsyncIterator[MqttClient]:
    async with MqttClient(_settings(broker), host) as client:
        await client.subscribe([(f"spBv1.0/{group}/#", 0)])
        yield client


@contextlib.asynccontextmanager
async def edge_node(node: str, broker: Any, group: str) -> AsyncIterator[EdgeNode]:
    url = f"mqtt://{broker.host}:{broker.port}"
    proc = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        url,
        group,
        "tahu-node",
        DEVICE,
        "100",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    peer = EdgeNode(proc)
    try:
        yield peer
    finally:
        await peer.stop()


@pytest.fixture
def group(unique_topic: str) -> str:
    # A group of its own per test: no other test's births, deaths or commands reach it.
    return unique_topic.replace("/", "-")


def _names(actions: HostActions) -> dict[str, Any]:
    return {s.name: s for s in actions.samples}


async def test_births_and_alias_only_ddata_decode(
    node_binary: str, broker: Any, group: str
) -> None:
    host = Host(SparkplugHost())
    async with subscribed(broker, group, host), edge_node(node_binary, broker, group):
        await host.wait_for(lambda: len(host.of("DDATA")) >= 3)
    [nbirth] = host.of("NBIRTH")
    [dbirth] = host.of("DBIRTH")
    uptime = _names(nbirth)["Uptime"]
    assert set(_names(nbirth)) == {"Uptime"}  # bdSeq and Node Control/Rebirth are not samples
    assert uptime.datatype is DataType.Int64
    assert isinstance(uptime.value, int)
    births = _names(dbirth)
    assert {name: s.datatype for name, s in births.items()} == DEVICE_METRICS
    assert births["Count"].value == -12  # a negative Int32 stays negative
    assert births["Line/Temperature"].value == 20.5
    assert births["Recipe"].value == "A-100"
    for ddata in host.of("DDATA"):
        samples = _names(ddata)
        assert {name: s.datatype for name, s in samples.items()} == DEVICE_METRICS
        assert isinstance(samples["Count"].value, int)
        assert samples["Count"].value < -12
        assert all(s.device == DEVICE and s.quality == "good" for s in samples.values())
        assert all(s.timestamp_ms is not None for s in samples.values())
    assert all(not a.problems and not a.seq_gaps for _, a in host.seen)


async def test_sigkill_gives_a_will_ndeath_that_marks_every_metric_stale(
    node_binary: str, broker: Any, group: str
) -> None:
    host = Host(SparkplugHost())
    async with subscribed(broker, group, host), edge_node(node_binary, broker, group) as peer:
        await host.wait_for(lambda: len(host.of("DDATA")) >= 1)
        peer.proc.kill()  # SIGKILL: no NDEATH of its own, the broker publishes the Will
        await host.wait_for(lambda: bool(host.of("NDEATH")))
    [death] = host.of("NDEATH")
    assert not death.problems
    assert {(s.device, s.name) for s in death.stale} == {
        (None, "Uptime"),
        *((DEVICE, name) for name in DEVICE_METRICS),
    }
    assert all(s.quality == "stale" and s.value is None for s in death.stale)
    [info] = host.host.nodes()
    assert not info.online


async def test_rebirth_request_makes_the_node_publish_its_births_again(
    node_binary: str, broker: Any, group: str
) -> None:
    host = Host(SparkplugHost())
    async with (
        subscribed(broker, group, host) as client,
        edge_node(node_binary, broker, group) as peer,
    ):
        await host.wait_for(lambda: len(host.of("DBIRTH")) == 1)
        topic = SparkplugHost.rebirth_topic(group, "tahu-node")
        await client.publish(topic, SparkplugHost.rebirth_payload(int(time.time() * 1000)), qos=0)
        await peer.wait_line("REBIRTH")
        await host.wait_for(lambda: len(host.of("DBIRTH")) == 2)
    assert len(host.of("NBIRTH")) == 2
    [info] = host.host.nodes()
    assert info.births == 2
    assert all(not a.problems and not a.seq_gaps for _, a in host.seen)


async def test_an_active_host_that_joins_late_asks_for_a_rebirth(
    node_binary: str, broker: Any, group: str
) -> None:
    # The birth cache is empty after a host restart (DOMAIN "aliases unresolved"): the first
    # DDATA is a problem, the host asks for a rebirth, and the aliases resolve again.
    host = Host(SparkplugHost(active=True))
    async with edge_node(node_binary, broker, group) as peer:
        await peer.wait_line("DDATA 3")  # the births went out well before we subscribe
        async with subscribed(broker, group, host) as client:
            await host.wait_for(lambda: any(a.rebirths for _, a in host.seen))
            first = next(a for _, a in host.seen if a.rebirths)
            assert [r for r, _ in first.problems] == ["sparkplug_data_before_birth"]
            for group_id, edge in first.rebirths:
                topic = SparkplugHost.rebirth_topic(group_id, edge)
                payload = SparkplugHost.rebirth_payload(int(time.time() * 1000))
                await client.publish(topic, payload, qos=0)
            await peer.wait_line("REBIRTH")
            await host.wait_for(lambda: bool(host.of("DBIRTH")) and bool(_resolved(host)))
    assert set(_names(_resolved(host)[0])) == set(DEVICE_METRICS)
    assert sum(len(a.rebirths) for _, a in host.seen) == 1  # throttled: one request only


def _resolved(host: Host) -> list[HostActions]:
    after = False
    out = []
    for topic, actions in host.seen:
        after = after or "/DBIRTH/" in topic
        if after and "/DDATA/" in topic and actions.samples:
            out.append(actions)
    return out


# -- the whole service -------------------------------------------------------------------------

TAHU_MODEL = """
enterprise: {{name: {enterprise}}}
classes:
  press:
    tags:
      temperature: {{datatype: float, unit: degC}}
      count: int
      running: bool
      recipe: string
sites:
  plant:
    timezone: UTC
    area:
      pressing:
        line:
          line-1:
            equipment:
              {device}: press
bindings:
  - name: tahu
    format: sparkplug
    topic: "spBv1.0/{group}/tahu-node/{{device}}"
    id: "{{raw_tag}}"
    equipment: "plant/pressing/line-1/{{device}}"
    tag: "{{raw_tag}}"
    tags: {{Line/Temperature: temperature, Count: count, Running: running, Recipe: recipe}}
"""


async def test_the_service_enriches_tahu_traffic_and_marks_a_killed_node_stale(
    node_binary: str, broker: Any, group: str, tmp_path: Path
) -> None:
    enterprise = f"tahu{next(_ids)}x{os.getpid()}"
    (tmp_path / "model.yaml").write_text(
        TAHU_MODEL.format(enterprise=enterprise, group=group, device=DEVICE)
    )
    settings = ServiceSettings(
        models=str(tmp_path),
        broker={"url": f"mqtt://{broker.host}:{broker.port}", "client_id": enterprise},
        metrics_port=None,
        sparkplug={"active": True, "rebirth_min_interval_ms": 0},
    )
    service = Service(settings, load_model(tmp_path))
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    sink = Sink()
    base = f"{enterprise}/plant/pressing/line-1/{DEVICE}"

    def values(tag: str) -> list[dict[str, Any]]:
        return [m for t, m in sink.messages if t == f"{base}/{tag}"]

    async def until(ready: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_S):
            while not ready():
                sink.changed.clear()
                await sink.changed.wait()

    try:
        async with asyncio.timeout(WAIT_S):
            await service.subscribed.wait()
        async with MqttClient(_settings(broker), sink.handle) as listener:
            await listener.subscribe([(f"{enterprise}/#", 1)])
            async with edge_node(node_binary, broker, group) as peer:
                await until(lambda: len(values("count")) >= 3)  # DBIRTH + alias-only DDATA
                counts = [m["value"] for m in values("count")]
                assert all(isinstance(c, int) and c <= -12 for c in counts)
                temp = values("temperature")[-1]
                assert temp["unit"] == "degC"
                assert temp["asset"]["equipment"] == DEVICE
                assert temp["quality"] == "good"
                assert temp["timestamp_source"] == "source"
                peer.proc.kill()  # the broker publishes the Will NDEATH
                await until(lambda: all(values(t)[-1]["quality"] == "stale" for t in TAGS))
            for tag in TAGS:
                assert values(tag)[-1]["value"] is None
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT_S)


TAGS = ("temperature", "count", "running", "recipe")
