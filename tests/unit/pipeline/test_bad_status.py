"""Values a source marks bad without sending them, bad records in batches, lineage (issues 12, 14).

Payloads follow the OPC UA Part 6 JSON encoding of a DataValue: a bad StatusCode and no
`Value` (the encoding leaves default and absent fields out), the StatusCode as a number or,
in the 1.05 encoding, as `{"Code": ..., "Symbol": ...}`. Only a code's top two bits matter
for the quality word (0b10 is bad); the code itself is kept in `source.quality`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.model.namespace import Namespace
from uns.pipeline import Enricher, Outgoing

MODEL = Path(__file__).parents[2] / "data" / "models" / "plant"
NOW = 1_774_346_400_000  # 2026-03-24T10:00:00Z
REVISION = "feedc0ffee12"
BAD_SENSOR = 0x808B0000  # top bits 10: a bad status
UNCERTAIN = 0x40000000


@pytest.fixture(scope="module")
def namespace() -> Namespace:
    return load_model(MODEL)


@pytest.fixture
def enricher(namespace: Namespace) -> Enricher:
    return Enricher(namespace, ContextStore(), revision=REVISION)


def bodies(outs: list[Outgoing], kind: str) -> list[dict[str, Any]]:
    return [orjson.loads(o.payload) for o in outs if o.kind == kind]


@pytest.mark.parametrize(
    "status",
    [BAD_SENSOR, {"Code": BAD_SENSOR, "Symbol": "BadNoCommunication"}, "BadNoCommunication"],
    ids=["number", "object", "symbol"],
)
def test_bad_status_without_value_is_published_as_a_bad_null(
    enricher: Enricher, status: object
) -> None:
    payload = orjson.dumps({"data": {"ts": "2026-03-24T09:59:58.000Z"}, "q": status})
    [out] = enricher.process("raw/json/L1/O1", payload, NOW)
    assert out.kind == "enriched"
    body = orjson.loads(out.payload)
    assert body["value"] is None
    assert body["quality"] == "bad"
    assert body["timestamp"] == "2026-03-24T09:59:58.000Z"
    assert body["source"]["quality"] == status  # the code or symbol, as sent


@pytest.mark.parametrize(
    "status", [192, UNCERTAIN, "Good"], ids=["da-good", "ua-uncertain", "name"]
)
def test_a_missing_value_with_a_status_that_is_not_bad_is_still_missing(
    enricher: Enricher, status: object
) -> None:
    payload = orjson.dumps({"data": {}, "q": status})
    [out] = enricher.process("raw/json/L1/O1", payload, NOW)
    assert (out.kind, out.reason) == ("deadletter", "missing_value")
    body = orjson.loads(out.payload)
    assert "temperature" in body["detail"]
    assert body["model"] == REVISION


def test_a_batch_mixing_good_and_bad_items_publishes_every_item_it_can(
    enricher: Enricher,
) -> None:
    payload = orjson.dumps(
        {
            "timestamp": NOW - 1000,
            "values": [
                {"id": "L9.OV9.TT1", "v": 181.5, "q": 192},
                {"id": "L9.OV9.GoodCnt", "q": {"Code": BAD_SENSOR, "Symbol": "BadSensorFailure"}},
                {"id": "L9.OV9.GoodCnt"},  # no value and no status: unreadable
                "not a record",
                {"v": 7},  # no id
            ],
        }
    )
    outs = enricher.process("raw/kepware/austin", payload, NOW)
    published = bodies(outs, "enriched")
    assert [(b["asset"]["equipment"], b["value"], b["quality"]) for b in published] == [
        ("oven-9", 181.5, "good"),
        ("oven-9", None, "bad"),
    ]
    assert published[1]["source"]["quality"]["Symbol"] == "BadSensorFailure"
    dead = {b["reason"]: b for b in bodies(outs, "deadletter")}
    assert sorted(dead) == ["bad_shape", "missing_name", "missing_value"]
    assert "record 2" in dead["missing_value"]["detail"]
    assert "record 3" in dead["bad_shape"]["detail"]
    assert "record 4" in dead["missing_name"]["detail"]
    assert all(b["binding"] == "austin-kepware" for b in dead.values())


def test_a_records_batch_with_one_item_missing_its_value_keeps_the_others(
    enricher: Enricher,
) -> None:
    payload = b'{"items": [{"tag": "temperature", "time": "03/24/2026 05:00:00 AM"},'
    payload += b' {"tag": "temperature", "val": 99.5, "time": "03/24/2026 05:00:00 AM"}]}'
    outs = enricher.process("raw/records/austin/L9", payload, NOW)
    assert [(o.kind, o.reason) for o in outs] == [
        ("enriched", None),
        ("deadletter", "missing_value"),
    ]
    assert bodies(outs, "enriched")[0]["value"] == 99.5


def test_every_governed_payload_names_its_binding_and_model_revision(
    enricher: Enricher,
) -> None:
    [out] = enricher.process("raw/scalar/O1/PT100", b"14.5", NOW)
    source = orjson.loads(out.payload)["source"]
    assert source == {
        "topic": "raw/scalar/O1/PT100",
        "binding": "berlin-scalar",
        "model": REVISION,
        "received": "2026-03-24T10:00:00.000Z",
    }  # a scalar carries no quality: none is kept


def test_dead_letters_name_the_model_revision(enricher: Enricher) -> None:
    [out] = enricher.process("nowhere/at/all", b"1", NOW)
    body = orjson.loads(out.payload)
    assert (body["reason"], body["binding"], body["model"]) == ("no_binding", None, REVISION)
