"""A running `Service` on the test broker with a publisher and a governed-tree sink."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from uns.config.loader import load_model
from uns.config.settings import ServiceSettings
from uns.io.mqtt import BrokerSettings, Message, MqttClient
from uns.service import Service

MODEL = Path(__file__).parent.parent / "data" / "models" / "plant" / "model.yaml"


def model_under(tmp_path: Path, prefix: str, enterprise: str) -> Path:
    """The test model with raw topics under `prefix` and a unique enterprise (governed root)."""
    text = MODEL.read_text()
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
    port: int, prefix: str, tmp_path: Path, **overrides: Any
) -> AsyncIterator[Running]:
    """The service on the test model; `overrides` are extra ServiceSettings fields."""
    enterprise = f"e{secrets.token_hex(4)}"
    models = model_under(tmp_path, prefix, enterprise)
    settings = ServiceSettings(
        models=str(models),
        broker={"url": f"mqtt://127.0.0.1:{port}", "client_id": f"uns-{enterprise}"},
        metrics_port=None,
        **overrides,
    )
    service = Service(settings, load_model(models))
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
