"""Field payloads end to end (issue 12): model -> `uns run` on mosquitto -> governed payloads.

The model is tests/data/models/field-decoders: a Siemens Industrial Edge Databus batch with
`qc` codes, an OPC UA JSON DataValue that leaves `Value` out because its status is bad, and
LabVIEW and Excel serial timestamps. The payloads are written from the public definitions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.integration.harness import running_service
from uns.reload import fingerprint

pytestmark = pytest.mark.broker

MODEL = Path(__file__).parents[1] / "data" / "models" / "field-decoders" / "model.yaml"
BAD_SENSOR_FAILURE = 0x808B0000


async def test_field_payloads_are_published_as_governed_values(
    broker,  # type: ignore[no-untyped-def]
    unique_topic: str,
    tmp_path: Path,
) -> None:
    async with running_service(broker.port, unique_topic, tmp_path, model=MODEL) as running:
        databus = {
            "seq": 7,
            "vals": [
                {"id": "101", "qc": 3, "ts": "2026-03-24T09:59:58.000Z", "val": 181.5},
                {"id": "102", "qc": 0, "ts": "2026-03-24T09:59:58.000Z"},  # bad: no value
                {"id": "101", "qc": 1},  # uncertain without a value: unreadable
                "junk",
            ],
        }
        await running.publish(
            "raw/ie/d/j/simatic/v1/s7c1/dp/r/PLC_L1/default", orjson.dumps(databus)
        )
        status = {"Code": BAD_SENSOR_FAILURE, "Symbol": "BadSensorFailure"}
        opcua = {"SourceTimestamp": "2026-03-24T09:59:59.000Z", "StatusCode": status}
        await running.publish("raw/opcua/oven-2/ns=2;s=Oven2.Temperature", orjson.dumps(opcua))
        await running.publish("raw/labview/oven-2/count", b'{"value": 42, "t": 3857191199.5}')
        await running.publish(
            "raw/excel/oven-3/temperature", b'{"value": 180.25, "when": 46105.4375}'
        )
        messages = await running.sink.wait_for(7)

    def governed(path: str) -> dict[str, Any]:
        [body] = [b for t, b in messages if t == f"{running.enterprise}/berlin/baking/{path}"]
        return body

    revision = fingerprint(tmp_path)
    temperature = governed("line-1/oven-1/temperature")
    assert (temperature["value"], temperature["quality"]) == (181.5, "good")
    assert temperature["source"]["quality"] == 3
    assert temperature["source"]["binding"] == "databus"
    assert temperature["source"]["model"] == revision
    count = governed("line-1/oven-1/good_count")
    assert (count["value"], count["quality"], count["source"]["quality"]) == (None, "bad", 0)
    bad_status = governed("line-1/oven-2/temperature")
    assert (bad_status["value"], bad_status["quality"]) == (None, "bad")
    assert bad_status["timestamp"] == "2026-03-24T09:59:59.000Z"
    assert bad_status["source"]["quality"] == status
    labview = governed("line-1/oven-2/good_count")
    assert (labview["value"], labview["timestamp"]) == (42, "2026-03-24T09:59:59.500Z")
    excel = governed("line-1/oven-3/temperature")  # 10:30 in Berlin (CET) is 09:30Z
    assert (excel["value"], excel["timestamp"]) == (180.25, "2026-03-24T09:30:00.000Z")
    dead = {b["reason"]: b for t, b in messages if "/_deadletter/" in t}
    assert sorted(dead) == ["bad_shape", "missing_value"]
    assert dead["missing_value"]["detail"].startswith("temperature: no value")
    assert "record 3" in dead["bad_shape"]["detail"]
    assert {b["model"] for b in dead.values()} == {revision}
