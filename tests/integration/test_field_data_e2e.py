"""examples/field-data through `uns run` on mosquitto: tag groups, structured values, the
model's own context keys and one-field-per-topic MES context end to end (issue 12)."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import orjson
import pytest

from tests.integration.harness import Sink
from uns.config.loader import load_model
from uns.config.settings import ServiceSettings
from uns.io.mqtt import BrokerSettings, MqttClient
from uns.service import Service

pytestmark = pytest.mark.broker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "field-data" / "model.yaml"


async def test_field_data_example_end_to_end(broker, unique_topic: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    enterprise = f"e{secrets.token_hex(4)}"
    text = EXAMPLE.read_text(encoding="utf-8").replace("name: acme", f"name: {enterprise}")
    text = text.replace('"plc/', f'"{unique_topic}/plc/').replace('"mes/', f'"{unique_topic}/mes/')
    (tmp_path / "model.yaml").write_text(text, encoding="utf-8")
    settings = ServiceSettings(
        models=str(tmp_path),
        broker={"url": f"mqtt://127.0.0.1:{broker.port}", "client_id": f"uns-{enterprise}"},
        metrics_port=None,
    )
    service = Service(settings, load_model(tmp_path))
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    sink = Sink()
    listener = MqttClient(
        BrokerSettings(port=broker.port, client_id=f"sink-{enterprise}", clean_start=True),
        sink.handle,
    )
    publisher = MqttClient(
        BrokerSettings(port=broker.port, client_id=f"pub-{enterprise}", clean_start=True)
    )
    await listener.connect()
    await listener.subscribe([(f"{enterprise}/#", 1)])
    await publisher.connect()
    async with asyncio.timeout(10):
        await service.subscribed.wait()
    try:
        await publisher.publish(f"{unique_topic}/mes/lyon/syrup/workorder", b'"WO-1234"', qos=1)
        await publisher.publish(f"{unique_topic}/mes/lyon/syrup/lotnumber", b"L-77", qos=1)
        await asyncio.sleep(0.5)  # the context lands before the data it applies to
        steps = [{"step": 1, "phase": "dose", "setpoint": 20, "duration": 300}]
        await publisher.publish(
            f"{unique_topic}/plc/lyon/M2/recipe/steps", orjson.dumps({"value": steps}), qos=1
        )
        await publisher.publish(
            f"{unique_topic}/plc/lyon/M2/recipe/parameters",
            orjson.dumps({"value": {"brix": 11.2, "water": "soft"}}),
            qos=1,
        )
        messages = dict(await sink.wait_for(2))
    finally:
        stop.set()
        report = await asyncio.wait_for(task, 15)
        await publisher.disconnect()
        await listener.disconnect()
    assert report.finished
    base = f"{enterprise}/lyon/process/syrup/mixer-2"
    table = messages[f"{base}/recipe/steps"]
    assert table["value"] == [{"step": 1, "phase": "dose", "setpoint": 20.0, "duration": 300.0}]
    assert table["asset"]["equipment"] == "mixer-2"
    assert table["asset"]["group"] == "recipe"
    assert table["context"]["order"] == "WO-1234"
    assert table["context"]["lot"] == "L-77"
    assert table["context"]["recipe"] == "base-syrup"
    parameters = messages[f"{base}/recipe/parameters"]
    assert parameters["value"] == {"brix": 11.2, "water": "soft"}
