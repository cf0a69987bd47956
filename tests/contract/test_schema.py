"""`uns schema`: the exported contracts describe what the pipeline really publishes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from uns.cli import main
from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.contract.asyncapi import asyncapi_document
from uns.contract.payloads import json_schema_bundle
from uns.model.namespace import Namespace
from uns.pipeline import Enricher

MODEL = Path(__file__).parent.parent / "data" / "models" / "plant" / "model.yaml"
T0 = 1_774_346_400_000
MESSAGES = [
    ("raw/json/L1/O1", b'{"data": {"v": 212, "ts": 1774346398123}, "q": 192}'),
    ("raw/scalar/O1/PT100", b"14.5038"),
    ("raw/scalar/O1/RUN", b"true"),
    ("raw/scalar/O1/STATE", b"baking"),
    (
        "raw/kepware/austin",
        b'{"timestamp": 1774346400000, "values": [{"id": "L9.OV9.GoodCnt", "v": 7, "q": true}]}',
    ),
    ("raw/scalar/O1/NOPE", b"1"),
    ("raw/json/L1/O1", b"\xff\xfe"),
    # a bad status without a value (OPC UA JSON): a bad null, the status kept in source
    ("raw/json/L1/O1", b'{"data": {}, "q": {"Code": 2156593152, "Symbol": "BadSensorFailure"}}'),
]


@pytest.fixture(scope="module")
def ns() -> Namespace:
    return load_model(MODEL)


def published(ns: Namespace) -> list[tuple[str, str, dict[str, Any]]]:
    enricher = Enricher(ns, ContextStore(), revision="rev1")
    out = []
    for topic, payload in MESSAGES:
        for o in enricher.process(topic, payload, T0):
            out.append((o.kind, o.topic, orjson.loads(o.payload)))
    return out


def schema_for(ns: Namespace, topic: str) -> str:
    """`<class>.<tag>` of a governed topic of the test model (layout: .../equipment/tag)."""
    *levels, tag = topic.split("/")
    node = ns.nodes[tuple(levels[1:])]
    assert node.asset_class is not None
    return f"{node.asset_class.name}.{tag}"


def validator(bundle: dict[str, Any], name: str) -> Draft202012Validator:
    return Draft202012Validator({**bundle, "anyOf": [{"$ref": f"#/$defs/{name}"}]})


def test_the_bundle_is_a_json_schema_2020_12_with_a_schema_per_class_tag(ns: Namespace) -> None:
    bundle = json_schema_bundle(ns, "rev1")
    Draft202012Validator.check_schema(bundle)
    assert bundle["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    defs = bundle["$defs"]
    assert defs["oven.temperature"]["properties"]["unit"] == {"const": "degC"}
    assert defs["oven.temperature"]["properties"]["value"]["type"] == ["number", "null"]
    assert defs["oven.running"]["properties"]["value"]["type"] == ["boolean", "null"]
    assert defs["machine.state"]["properties"]["value"]["type"] == ["string", "null"]
    assert set(defs["context"]["required"]) == {"shift", "crew", "batch", "product", "order"}
    assert "deadletter" in defs


def test_everything_the_pipeline_publishes_validates(ns: Namespace) -> None:
    bundle = json_schema_bundle(ns, "rev1")
    out = published(ns)
    assert {kind for kind, _, _ in out} == {"enriched", "deadletter"}
    for kind, topic, body in out:
        name = "deadletter" if kind == "deadletter" else schema_for(ns, topic)
        errors = list(validator(bundle, name).iter_errors(body))
        assert errors == [], (topic, [e.message for e in errors])
        assert Draft202012Validator(bundle).is_valid(body)


def test_a_payload_of_the_wrong_shape_is_rejected(ns: Namespace) -> None:
    bundle = json_schema_bundle(ns, "rev1")
    _, topic, body = next(o for o in published(ns) if o[1].endswith("/temperature"))
    temperature = validator(bundle, schema_for(ns, topic))
    assert temperature.is_valid(body)
    assert not temperature.is_valid({**body, "value": "hot"})
    assert not temperature.is_valid({**body, "unit": "degF"})
    assert not temperature.is_valid({**body, "timestamp": "2026-03-24 10:00"})
    assert not temperature.is_valid({**body, "extra": 1})
    assert not temperature.is_valid({**body, "context": {"shift": "early"}})
    source = body["source"]
    for lineage in ("binding", "model"):  # always present: required
        cut = {k: v for k, v in source.items() if k != lineage}
        assert not temperature.is_valid({**body, "source": cut}), lineage


def test_every_output_names_the_model_revision_of_the_bundle(ns: Namespace) -> None:
    bundle = json_schema_bundle(ns, "rev1")
    assert bundle["$id"].endswith(":rev1")
    for kind, topic, body in published(ns):
        lineage = body if kind == "deadletter" else body["source"]
        assert lineage["model"] == "rev1", topic
    bad = [b for k, _, b in published(ns) if k == "enriched" and b["value"] is None]
    assert [(b["quality"], b["source"]["quality"]["Symbol"]) for b in bad] == [
        ("bad", "BadSensorFailure")
    ]


def test_asyncapi_channels_cover_every_governed_topic(ns: Namespace) -> None:
    doc = asyncapi_document(ns, "rev1")
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["version"] == "rev1"
    schemas = doc["components"]["schemas"]
    for schema in schemas.values():
        Draft7Validator.check_schema(schema)
    channels = doc["channels"]

    def matching(topic: str) -> list[str]:
        found = []
        for cid, channel in channels.items():
            params = channel["parameters"]
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(channel["address"]))
            m = re.fullmatch(pattern, topic)
            if m and all(v in params[k].get("enum", [v]) for k, v in m.groupdict().items()):
                found.append(cid)
        return found

    for node in ns.equipment():
        for tag in node.tags:
            topic = str(ns.governed_topic(node, tag))
            hits = matching(topic)
            assert len(hits) == 1, (topic, hits)
            message = channels[hits[0]]["messages"][tag]["$ref"].rsplit("/", 1)[-1]
            payload = doc["components"]["messages"][message]["payload"]["$ref"]
            assert payload == f"#/components/schemas/{node.asset_class.name}.{tag}"
    assert matching("testco/_deadletter/bad_json") == ["deadletter"]
    for op in doc["operations"].values():
        assert op["action"] == "send"
        channel = op["channel"]["$ref"].removeprefix("#/channels/")
        for ref in op["messages"]:
            assert ref["$ref"].split("/")[-1] in channels[channel]["messages"]


def test_the_command_writes_both_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", str(MODEL)]) == 0
    bundle = json.loads(capsys.readouterr().out)
    assert "oven.temperature" in bundle["$defs"]
    target = tmp_path / "asyncapi.json"
    assert main(["schema", str(MODEL), "--format", "asyncapi", "-o", str(target)]) == 0
    assert json.loads(target.read_text())["asyncapi"] == "3.0.0"
    assert "wrote asyncapi" in capsys.readouterr().err
    assert main(["schema", str(tmp_path / "nope")]) == 2
    assert "nope: no such file or directory" in capsys.readouterr().err
