"""Pieces for the delivery-core tests: a model with many raw topics, an ordered sink and
publisher on the service's own transport, and the service in this process."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson

from uns.config.broker import BrokerSettings
from uns.config.settings import ServiceSettings
from uns.io.client import Mqtt5Transport
from uns.io.transport import Inbound

MACHINES = 20


def seq_model(root: Path, prefix: str, enterprise: str, extra_bindings: str = "") -> Path:
    """`MACHINES` machines, each with a `state` tag fed by `<prefix>/raw/seq/<machine>`."""
    machines = "\n".join(f"              m{i:02d}: machine" for i in range(MACHINES))
    root.mkdir(parents=True, exist_ok=True)
    (root / "model.yaml").write_text(f"""
enterprise:
  name: {enterprise}
classes:
  machine:
    tags:
      state: string
      count: int
sites:
  s1:
    timezone: UTC
    area:
      a1:
        line:
          l1:
            equipment:
{machines}
bindings:
  - name: seq
    topic: "{prefix}/raw/seq/{{asset}}"
    format: scalar
    equipment: "s1/a1/l1/{{asset}}"
    tag: state
{extra_bindings}""")
    return root


def counts_binding(prefix: str) -> str:
    """A second binding, for a reload that adds a subscription."""
    return f"""  - name: counts
    topic: "{prefix}/raw/count/{{asset}}"
    format: scalar
    equipment: "s1/a1/l1/{{asset}}"
    tag: count
"""


def governed(enterprise: str, machine: int, tag: str = "state") -> str:
    return f"{enterprise}/s1/a1/l1/m{machine:02d}/{tag}"


def fast_settings(port: int, client_id: str, **kw: Any) -> BrokerSettings:
    values: dict[str, Any] = {
        "port": port,
        "client_id": client_id,
        "clean_start": True,
        "connect_timeout_s": 5.0,
        "backoff_min_s": 0.05,
        "backoff_max_s": 0.5,
    }
    return BrokerSettings(**{**values, **kw})


class OrderedSink:
    """Everything received, in order, acknowledged at once."""

    def __init__(self) -> None:
        self.messages: list[Inbound] = []
        self.transport: Mqtt5Transport | None = None
        self._changed = asyncio.Event()

    def take(self, message: Inbound) -> None:
        self.messages.append(message)
        assert self.transport is not None
        self.transport.ack(message)
        self._changed.set()

    def on(self, topic_prefix: str) -> list[Inbound]:
        return [m for m in self.messages if m.topic.startswith(topic_prefix)]

    def unique(self, topic_prefix: str = "") -> list[Inbound]:
        """First copies only: a redelivered output repeats its message id."""
        first: dict[str, Inbound] = {}
        for m in self.on(topic_prefix):
            first.setdefault(orjson.loads(m.payload)["id"], m)
        return list(first.values())

    async def wait_for(
        self, n: int, topic_prefix: str = "", within_s: float = 30.0, unique: bool = False
    ) -> list[Inbound]:
        count = self.unique if unique else self.on
        try:
            async with asyncio.timeout(within_s):
                while len(count(topic_prefix)) < n:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            got = len(count(topic_prefix))
            raise AssertionError(f"{got} of {n} on {topic_prefix!r} arrived") from None
        return count(topic_prefix)


@asynccontextmanager
async def endpoint(
    settings: BrokerSettings, on_message: Callable[[Inbound], None] | None = None
) -> AsyncIterator[Mqtt5Transport]:
    transport = Mqtt5Transport(settings, on_message or (lambda m: None))
    transport.start()
    try:
        async with asyncio.timeout(10):
            await transport.wait_connected()
        yield transport
    finally:
        await transport.close()


@asynccontextmanager
async def sink_on(
    port: int, filters: list[str], persistent: bool = False
) -> AsyncIterator[OrderedSink]:
    """`persistent`: the broker keeps the subscriptions while the sink is away (restarts)."""
    sink = OrderedSink()
    settings = fast_settings(
        port, f"sink-{secrets.token_hex(4)}", receive_maximum=65535, clean_start=not persistent
    )
    async with endpoint(settings, sink.take) as transport:
        sink.transport = transport
        codes = await transport.subscribe([(f, 1) for f in filters])
        assert all(code == 1 for code in codes), codes
        yield sink


async def publish_all(
    transport: Mqtt5Transport, messages: Iterable[tuple[str, bytes]], within_s: float = 60.0
) -> list[int]:
    """Publish in order at QoS 1; the PUBACK reason codes, once every one has arrived."""
    codes: list[int] = []
    done = asyncio.Event()
    items = list(messages)

    def acked(code: int) -> None:
        codes.append(code)
        if len(codes) == len(items):
            done.set()

    for topic, payload in items:
        transport.publish(topic, payload, 1, on_ack=acked)
    if items:
        async with asyncio.timeout(within_s):
            await done.wait()
    return codes


def values(messages: list[Inbound]) -> list[Any]:
    return [orjson.loads(m.payload)["value"] for m in messages]


def service_settings(models: Path, port: int, client_id: str, **kw: Any) -> ServiceSettings:
    broker = {"url": f"mqtt://127.0.0.1:{port}", "client_id": client_id}
    broker.update(kw.pop("broker", {}))
    return ServiceSettings(models=str(models), broker=broker, metrics_port=None, **kw)
