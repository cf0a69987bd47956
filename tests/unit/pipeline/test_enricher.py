"""The pipeline on the compact test model: every format, context join, dead letters."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.pipeline import Enricher, Outgoing

MODEL = Path(__file__).parents[2] / "data" / "models" / "plant"


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).astimezone(UTC).timestamp() * 1000)


# Tuesday 2026-03-24 11:00 in Berlin (CET, UTC+1): the early shift.
NOW = ms("2026-03-24T10:00:00+00:00")


@pytest.fixture(scope="module")
def namespace():  # type: ignore[no-untyped-def]
    return load_model(MODEL)


@pytest.fixture
def enricher(namespace) -> Enricher:  # type: ignore[no-untyped-def]
    return Enricher(namespace, ContextStore())


def one(outs: list[Outgoing]) -> tuple[str, dict[str, Any]]:
    assert len(outs) == 1, outs
    return outs[0].topic, orjson.loads(outs[0].payload)


def test_json_object_with_nested_fields_and_unit_conversion(namespace) -> None:  # type: ignore[no-untyped-def]
    enricher = Enricher(namespace, ContextStore(), revision="0123456789ab")
    payload = b'{"data": {"v": 212, "ts": "2026-03-24T09:59:58.123Z"}, "q": 192}'
    topic, body = one(enricher.process("raw/json/L1/O1", payload, NOW))
    assert topic == "testco/berlin/baking/line-1/oven-cell/oven-1/temperature"
    assert body == {
        "value": pytest.approx(100.0),
        "timestamp": "2026-03-24T09:59:58.123Z",
        "timestamp_source": "source",
        "quality": "good",
        "unit": "degC",
        "asset": {
            "enterprise": "testco",
            "site": "berlin",
            "area": "baking",
            "line": "line-1",
            "cell": "oven-cell",
            "equipment": "oven-1",
        },
        "context": {
            "shift": "early",
            "crew": None,
            "batch": None,
            "product": "rye-bread",
            "order": None,
        },
        "source": {
            "topic": "raw/json/L1/O1",
            "binding": "berlin-json",
            "model": "0123456789ab",
            "quality": 192,  # the raw quality, as sent
            "received": "2026-03-24T10:00:00.000Z",
        },
    }
    assert list(body) == [
        "value",
        "timestamp",
        "timestamp_source",
        "quality",
        "unit",
        "asset",
        "context",
        "source",
    ]


def test_branch_without_cell_leaves_the_level_out(enricher: Enricher) -> None:
    topic, body = one(enricher.process("raw/json/L1/O2", b'{"data": {"v": 32}}', NOW))
    assert topic == "testco/berlin/baking/line-1/oven-2/temperature"
    assert "cell" not in body["asset"]
    assert body["value"] == pytest.approx(0.0)
    assert body["timestamp_source"] == "arrival"
    assert body["timestamp"] == "2026-03-24T10:00:00.000Z"


@pytest.mark.parametrize(
    ("raw_tag", "payload", "tag", "value"),
    [
        ("PT100", b"14.5038", "pressure", pytest.approx(1.0, rel=1e-4)),
        ("RUN", b"true", "running", True),
        ("STATE", b'"RUN"', "state", "RUN"),
        ("STATE", b"IDLE", "state", "IDLE"),
    ],
    ids=["psi-to-bar", "bool", "json-string", "plain-text"],
)
def test_bare_scalars(
    enricher: Enricher, raw_tag: str, payload: bytes, tag: str, value: object
) -> None:
    topic, body = one(enricher.process(f"raw/scalar/O1/{raw_tag}", payload, NOW))
    assert topic == f"testco/berlin/baking/line-1/oven-cell/oven-1/{tag}"
    assert body["value"] == value


def test_retain_comes_from_the_class_tag(enricher: Enricher) -> None:
    outs = enricher.process("raw/scalar/O1/SP", b"180", NOW)
    assert [o.retain for o in outs] == [True]
    outs = enricher.process("raw/scalar/O1/RUN", b"1", NOW)
    assert [o.retain for o in outs] == [False]


def test_kepware_batch_gives_one_message_per_value_and_value_time_wins(
    enricher: Enricher,
) -> None:
    envelope = ms("2026-03-24T10:00:00+00:00")
    payload = orjson.dumps(
        {
            "timestamp": envelope,
            "values": [
                {"id": "L9.OV9.TT1", "v": 180.5, "q": True, "t": envelope - 4000},
                {"id": "L9.OV9.GoodCnt", "v": "1234", "q": True},
                {"id": "L9.OV9.TT1", "v": 181.0, "q": False, "t": envelope - 2000},
            ],
        }
    )
    outs = enricher.process("raw/kepware/austin", payload, NOW + 500)
    bodies = [(o.topic, orjson.loads(o.payload)) for o in outs]
    assert [t for t, _ in bodies] == [
        "testco/austin/baking/line-9/oven-9/temperature",
        "testco/austin/baking/line-9/oven-9/good_count",
        "testco/austin/baking/line-9/oven-9/temperature",
    ]
    assert [b["timestamp"] for _, b in bodies] == [
        "2026-03-24T09:59:56.000Z",
        "2026-03-24T10:00:00.000Z",
        "2026-03-24T09:59:58.000Z",
    ]
    assert [b["value"] for _, b in bodies] == [180.5, 1234, 181.0]
    assert [b["quality"] for _, b in bodies] == ["good", "good", "bad"]


def test_kepware_batch_with_unknown_id_publishes_good_values_and_dead_letters_the_rest(
    enricher: Enricher,
) -> None:
    payload = orjson.dumps(
        {
            "timestamp": NOW,
            "values": [
                {"id": "L9.OV9.TT1", "v": 1, "q": True},
                {"id": "L9.OV9.Nope", "v": 2, "q": True},
                {"id": "L8.OV9.TT1", "v": 3, "q": True},
                {"id": "no-dots-at-all", "v": 4, "q": True},
            ],
        }
    )
    outs = enricher.process("raw/kepware/austin", payload, NOW)
    kinds = sorted((o.kind, o.reason) for o in outs)
    assert kinds == [
        ("deadletter", "unknown_code"),
        ("deadletter", "unknown_id"),
        ("deadletter", "unknown_raw_tag"),
        ("enriched", None),
    ]
    [unknown_id] = [orjson.loads(o.payload) for o in outs if o.reason == "unknown_id"]
    assert "'no-dots-at-all'" in unknown_id["detail"]


def test_records_with_explicit_timestamp_format_in_site_time(enricher: Enricher) -> None:
    # 03/24/2026 05:00:00 AM in Chicago (CDT, UTC-5) is 10:00 UTC.
    payload = b'{"items": [{"tag": "temperature", "val": 99.5, "time": "03/24/2026 05:00:00 AM"}]}'
    topic, body = one(enricher.process("raw/records/austin/L9", payload, NOW))
    assert topic == "testco/austin/baking/line-9/oven-9/temperature"
    assert body["timestamp"] == "2026-03-24T10:00:00.000Z"
    assert body["timestamp_source"] == "source"


def test_rotation_calendar_gives_shift_and_crew(enricher: Enricher) -> None:
    # 2026-03-24 05:00 CDT: the night shift that started 2026-03-23 19:00 local.
    payload = b'{"items": [{"tag": "temperature", "val": 1, "time": "03/24/2026 05:00:00 AM"}]}'
    _, body = one(enricher.process("raw/records/austin/L9", payload, NOW))
    assert body["context"]["shift"] == "night"
    assert body["context"]["crew"] in {"A", "B", "C", "D"}


def test_mes_current_value_joins_as_of_the_message_time(enricher: Enricher) -> None:
    enricher.process("mes/L1/batch", b'{"batch_id": "B-1", "ts": "2026-03-24T09:00:00Z"}', NOW)
    enricher.process(
        "mes/L1/batch",
        b'{"batch_id": "B-2", "material": "spelt", "ts": "2026-03-24T09:30:00Z"}',
        NOW,
    )

    def batch_at(ts: str) -> tuple[str | None, str | None]:
        payload = orjson.dumps({"data": {"v": 100, "ts": ts}})
        _, body = one(enricher.process("raw/json/L1/O2", payload, NOW))
        return body["context"]["batch"], body["context"]["product"]

    assert batch_at("2026-03-24T08:59:59.999Z") == (None, "rye-bread")  # before any batch
    assert batch_at("2026-03-24T09:15:00Z") == ("B-1", "rye-bread")  # late data: its own batch
    assert batch_at("2026-03-24T09:45:00Z") == ("B-2", "spelt")


def test_mes_events_mode_start_and_end(enricher: Enricher) -> None:
    start = b'{"event": "START", "order": "O-1", "ts": "2026-03-24T09:00:00Z"}'
    end = b'{"event": "END", "order": "O-1", "ts": "2026-03-24T09:50:00Z"}'
    assert enricher.process("mes/austin/L9/order", start, NOW) == []
    assert enricher.process("mes/austin/L9/order", end, NOW) == []

    def order_at(ts: str) -> str | None:
        payload = orjson.dumps(
            {"timestamp": NOW, "values": [{"id": "L9.OV9.TT1", "v": 1, "t": ms(ts)}]}
        )
        _, body = one(enricher.process("raw/kepware/austin", payload, NOW))
        return body["context"]["order"]

    assert order_at("2026-03-24T09:10:00+00:00") == "O-1"
    assert order_at("2026-03-24T09:55:00+00:00") is None
    assert enricher.counters.context_updates == 2


def test_mes_bad_event_word_is_dead_lettered(enricher: Enricher) -> None:
    outs = enricher.process("mes/austin/L9/order", b'{"event": "PAUSE", "order": "O"}', NOW)
    assert [(o.kind, o.reason) for o in outs] == [("deadletter", "bad_event")]


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("nobody/listens/here", b"1", "no_binding"),
        ("raw/json/L7/O1", b'{"data": {"v": 1}}', "unknown_code"),
        ("raw/scalar/O1/XX99", b"1", "unknown_raw_tag"),
        ("raw/json/L1/O1", b"{not json", "bad_json"),
        ("raw/json/L1/O1", b'{"data": {}}', "missing_value"),
        ("raw/json/L1/O1", b'{"data": {"v": "hot"}}', "bad_value"),
        ("raw/json/L1/O1", b'{"data": {"v": 1, "ts": "yesterday-ish"}}', "bad_timestamp"),
        ("raw/json/L1/O1", b'{"data": {"v": 1}, "q": "so-so"}', "bad_quality"),
        ("raw/scalar/O1/RUN", b"", "empty_payload"),
        ("raw/json/L1/O1", b"\xff\xfe\x00binary", "not_utf8"),
        ("mes/L1/batch", b"[1, 2]", "bad_shape"),
        ("mes/L1/batch", b'{"unrelated": 1}', "missing_value"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_dead_letters_carry_reason_original_topic_and_payload(
    enricher: Enricher, topic: str, payload: bytes, reason: str
) -> None:
    outs = enricher.process(topic, payload, NOW)
    assert len(outs) == 1
    out = outs[0]
    assert (out.kind, out.reason) == ("deadletter", reason)
    assert out.topic == f"testco/_deadletter/{reason}"
    body = orjson.loads(out.payload)
    assert body["reason"] == reason
    assert body["topic"] == topic
    assert body["detail"]
    if body["payload_encoding"] == "base64":
        assert base64.b64decode(body["payload"]) == payload
    else:
        assert body["payload"].encode() == payload


def test_oversized_payload_is_dead_lettered_without_decoding(namespace) -> None:  # type: ignore[no-untyped-def]
    enricher = Enricher(namespace, ContextStore(), max_payload=100)
    outs = enricher.process("raw/scalar/O1/RUN", b"1" * 101, NOW)
    assert [(o.kind, o.reason) for o in outs] == [("deadletter", "payload_too_large")]


@pytest.mark.parametrize("evil", ["+", "#", "a/b", "$SYS", "x\x00y", "..", ""])
def test_raw_strings_never_reach_the_governed_tree(enricher: Enricher, evil: str) -> None:
    for out in enricher.process(f"raw/scalar/O1/{evil}", b"1", NOW):
        assert out.kind == "deadletter"
        assert out.topic.startswith("testco/_deadletter/")
        assert evil not in out.topic.removeprefix("testco/_deadletter/") or evil == ""


def test_subscriptions_cover_every_binding_and_context_source(enricher: Enricher) -> None:
    assert enricher.subscriptions() == [
        "mes/+/batch",
        "mes/austin/+/order",
        "raw/json/+/+",
        "raw/kepware/austin",
        "raw/records/austin/+",
        "raw/scalar/+/+",
    ]
    assert enricher.context_subscriptions() == ["mes/+/batch", "mes/austin/+/order"]


def test_explain_names_the_binding_and_captures(enricher: Enricher) -> None:
    trace, outs = enricher.explain("raw/scalar/O1/PT100", b"10", NOW)
    assert trace.kind == "binding"
    assert trace.name == "berlin-scalar"
    assert trace.captures == {"asset": "O1", "raw_tag": "PT100"}
    assert [o.kind for o in outs] == ["enriched"]
