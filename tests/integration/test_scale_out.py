"""Two replicas on one broker: raw data shared ($share), context seen by both."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import orjson
import pytest

from tests.integration.harness import Sink, model_under
from uns.config.loader import load_model
from uns.config.settings import ServiceSettings
from uns.io.mqtt import BrokerSettings, MqttClient
from uns.service import Service

pytestmark = pytest.mark.broker

MESSAGES = 400


async def test_two_replicas_enrich_every_message_exactly_once_with_the_same_context(
    broker,
    unique_topic: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    enterprise = f"e{secrets.token_hex(4)}"
    models = model_under(tmp_path, unique_topic, enterprise)
    ns = load_model(models)
    replicas = [
        Service(
            ServiceSettings(
                models=str(models),
                broker={"url": f"mqtt://127.0.0.1:{broker.port}", "client_id": f"{enterprise}-{i}"},
                share_group=f"g{enterprise}",
                metrics_port=None,
            ),
            ns,
        )
        for i in range(2)
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in replicas]
    sink = Sink()
    listener = MqttClient(
        BrokerSettings(port=broker.port, client_id=f"sink-{enterprise}", clean_start=True),
        sink.handle,
    )
    publisher = MqttClient(
        BrokerSettings(port=broker.port, client_id=f"pub-{enterprise}", clean_start=True)
    )
    try:
        async with asyncio.timeout(10):
            for r in replicas:
                await r.subscribed.wait()
        await listener.connect()
        await listener.subscribe([(f"{enterprise}/#", 1)])
        await publisher.connect()
        # Context is not shared: both replicas must learn the batch.
        mes = b'{"batch_id": "B-42", "ts": 1774346400000}'
        await publisher.publish(f"{unique_topic}/mes/L1/batch", mes, qos=1)
        async with asyncio.timeout(10):
            # No event says "context applied"; poll briefly, bounded by the timeout.
            while any(r.counters.context_updates < 1 for r in replicas):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        for seq in range(MESSAGES):
            payload = orjson.dumps({"data": {"v": seq, "ts": 1774346401000 + seq}})
            await publisher.publish(f"{unique_topic}/raw/json/L1/O2", payload, qos=1)
        await sink.wait_for(MESSAGES, within_s=30)
    finally:
        stop.set()
        reports = await asyncio.gather(*tasks)  # drained: everything they took is published
    # The broker delivers in order: once a marker sent now arrives, any duplicate has too.
    await publisher.publish(f"{enterprise}/_marker", b'{"value": "marker"}', qos=1)
    async with asyncio.timeout(10):
        while sink.messages[-1][0] != f"{enterprise}/_marker":
            sink.changed.clear()
            await sink.changed.wait()
    await publisher.disconnect()
    await listener.disconnect()
    messages = [(t, m) for t, m in sink.messages if not t.endswith("/_marker")]

    assert all(report.finished for report in reports)
    seqs = sorted(round(m["value"] * 1.8 + 32) for _, m in messages)  # degF -> degC back
    assert seqs == list(range(MESSAGES)), "every message exactly once across the replicas"
    assert all(r.stats.received > MESSAGES // 10 for r in replicas), [
        r.stats.received for r in replicas
    ]
    assert {m["context"]["batch"] for _, m in messages} == {"B-42"}
