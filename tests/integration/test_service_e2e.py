"""End to end against a real mosquitto: raw publishes in -> governed messages out."""

from __future__ import annotations

import orjson
import pytest

from tests.integration.harness import Running

pytestmark = pytest.mark.broker


async def test_each_format_arrives_enriched_on_its_governed_topic(running: Running) -> None:
    e = running.enterprise
    await running.publish("raw/json/L1/O1", b'{"data": {"v": 212, "ts": 1774346398123}, "q": 192}')
    await running.publish("raw/scalar/O1/PT100", b"14.5038")
    kepware = {"timestamp": 1774346400000, "values": [{"id": "L9.OV9.GoodCnt", "v": 7, "q": True}]}
    await running.publish("raw/kepware/austin", orjson.dumps(kepware))
    messages = dict(await running.sink.wait_for(3))
    temp = messages[f"{e}/berlin/baking/line-1/oven-cell/oven-1/temperature"]
    assert temp["value"] == pytest.approx(100.0)
    assert temp["timestamp"] == "2026-03-24T09:59:58.123Z"
    assert temp["asset"]["cell"] == "oven-cell"
    assert temp["context"]["product"] == "rye-bread"
    assert temp["source"]["topic"] == f"{running.prefix}/raw/json/L1/O1"
    pressure = messages[f"{e}/berlin/baking/line-1/oven-cell/oven-1/pressure"]
    assert pressure["value"] == pytest.approx(1.0, rel=1e-4)
    assert pressure["unit"] == "bar"
    count = messages[f"{e}/austin/baking/line-9/oven-9/good_count"]
    assert count["value"] == 7
    assert count["timestamp"] == "2026-03-24T10:00:00.000Z"


async def test_mes_batch_change_mid_stream(running: Running) -> None:
    e = running.enterprise
    topic = f"{e}/berlin/baking/line-1/oven-2/temperature"
    await running.publish("mes/L1/batch", b'{"batch_id": "B-100", "ts": 1774346400000}')
    await running.publish("raw/json/L1/O2", b'{"data": {"v": 50, "ts": 1774346401000}}')
    await running.sink.wait_for(1)
    await running.publish("mes/L1/batch", b'{"batch_id": "B-101", "ts": 1774346402000}')
    await running.publish("raw/json/L1/O2", b'{"data": {"v": 51, "ts": 1774346403000}}')
    # Late data from before the change keeps the batch it was produced in.
    await running.publish("raw/json/L1/O2", b'{"data": {"v": 52, "ts": 1774346401500}}')
    messages = await running.sink.wait_for(3)
    batches = [(m["value"], m["context"]["batch"]) for t, m in messages if t == topic]
    assert batches == [
        (pytest.approx(10.0), "B-100"),
        (pytest.approx((51 - 32) / 1.8), "B-101"),
        (pytest.approx((52 - 32) / 1.8), "B-100"),
    ]


async def test_dead_letters_are_published_with_reasons(running: Running) -> None:
    e = running.enterprise
    await running.publish("raw/json/L7/O1", b'{"data": {"v": 1}}')
    await running.publish("raw/scalar/O1/NOPE", b"1")
    await running.publish("raw/json/L1/O1", b"\xff\xfe binary")
    messages = await running.sink.wait_for(3)
    got = sorted((t, m["reason"], m["topic"]) for t, m in messages)
    p = running.prefix
    assert got == [
        (f"{e}/_deadletter/not_utf8", "not_utf8", f"{p}/raw/json/L1/O1"),
        (f"{e}/_deadletter/unknown_code", "unknown_code", f"{p}/raw/json/L7/O1"),
        (f"{e}/_deadletter/unknown_raw_tag", "unknown_raw_tag", f"{p}/raw/scalar/O1/NOPE"),
    ]
    assert running.service.stats.outcomes[("deadletter", "unknown_code")] == 1
