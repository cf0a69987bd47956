"""examples/field-data through `uns run` on mosquitto: tag groups, structured values, the
model's own context keys and one-field-per-topic MES context end to end (issue 12)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from tests.integration.harness import running_service

pytestmark = pytest.mark.broker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "field-data" / "model.yaml"


async def test_field_data_example_end_to_end(broker, unique_topic: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # In the harness's convention: enterprise `testco`, PLC topics under `raw/`.
    text = EXAMPLE.read_text(encoding="utf-8").replace("name: acme", "name: testco")
    source = tmp_path / "source.yaml"
    source.write_text(text.replace('"plc/', '"raw/plc/'), encoding="utf-8")
    models = tmp_path / "models"
    models.mkdir()
    async with running_service(broker.port, unique_topic, models, model=source) as r:
        await r.publish("mes/lyon/syrup/workorder", b'"WO-1234"')
        await r.publish("mes/lyon/syrup/lotnumber", b"L-77")
        await asyncio.sleep(0.5)  # the context lands before the data it applies to
        steps = [{"step": 1, "phase": "dose", "setpoint": 20, "duration": 300}]
        await r.publish("raw/plc/lyon/M2/recipe/steps", orjson.dumps({"value": steps}))
        parameters = {"brix": 11.2, "water": "soft"}
        await r.publish("raw/plc/lyon/M2/recipe/parameters", orjson.dumps({"value": parameters}))
        messages = dict(await r.sink.wait_for(2))
        base = f"{r.enterprise}/lyon/process/syrup/mixer-2"
    table = messages[f"{base}/recipe/steps"]
    assert table["value"] == [{"step": 1, "phase": "dose", "setpoint": 20.0, "duration": 300.0}]
    assert table["asset"]["equipment"] == "mixer-2"
    assert table["asset"]["group"] == "recipe"
    assert table["context"]["order"] == "WO-1234"
    assert table["context"]["lot"] == "L-77"
    assert table["context"]["recipe"] == "base-syrup"
    assert messages[f"{base}/recipe/parameters"]["value"] == parameters
