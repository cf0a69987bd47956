"""Governed output of the running service on mosquitto validates against `uns schema`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from tests.integration.harness import ROOT, Running
from uns.config.loader import load_model
from uns.reload import fingerprint

pytestmark = pytest.mark.broker


async def test_real_output_validates_against_the_exported_schema(
    running: Running, tmp_path: Path
) -> None:
    exported = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "uns", "schema", str(tmp_path), "--format", "jsonschema"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    bundle = json.loads(exported.stdout)
    ns = load_model(tmp_path)
    await running.publish("raw/json/L1/O1", b'{"data": {"v": 212, "ts": 1774346398123}, "q": 192}')
    await running.publish("raw/scalar/O1/PT100", b"14.5038")
    await running.publish("raw/scalar/O1/RUN", b"1")
    await running.publish("raw/scalar/O1/STATE", b"baking")
    kepware = {"timestamp": 1774346400000, "values": [{"id": "L9.OV9.GoodCnt", "v": 7, "q": True}]}
    await running.publish("raw/kepware/austin", orjson.dumps(kepware))
    await running.publish("raw/scalar/O1/NOPE", b"1")
    # OPC UA JSON leaves the value out of a bad-status DataValue: a bad null, status kept.
    await running.publish("raw/json/L1/O1", b'{"data": {}, "q": {"Code": 2156593152}}')
    messages = await running.sink.wait_for(7)
    revision = fingerprint(tmp_path)
    assert bundle["$id"].endswith(f":{revision}")
    kinds = set()
    for topic, body in messages:
        levels = topic.split("/")
        if levels[1] == "_deadletter":
            name = "deadletter"
        else:
            node = ns.nodes[tuple(levels[1:-1])]
            assert node.asset_class is not None
            name = f"{node.asset_class.name}.{levels[-1]}"
        kinds.add(name.split(".")[0])
        source = body if name == "deadletter" else body["source"]
        assert source["model"] == revision, topic  # lineage: the revision that made it
        assert source["binding"] in {b.name for b in ns.bindings} | {None}, topic
        check = Draft202012Validator({**bundle, "anyOf": [{"$ref": f"#/$defs/{name}"}]})
        assert [e.message for e in check.iter_errors(body)] == [], topic
    assert {"deadletter", "oven"} <= kinds
    bad_nulls = [b for _, b in messages if "value" in b and b["value"] is None]
    assert [(b["quality"], b["source"]["quality"]) for b in bad_nulls] == [
        ("bad", {"Code": 2156593152})
    ]
