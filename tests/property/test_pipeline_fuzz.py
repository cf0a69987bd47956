"""Hypothesis through the whole pipeline (`Enricher.process` on the test model, with the
Sparkplug host the service gives it): hostile topics and payloads never raise, and each output
is either an enriched message on a governed topic the model can produce or a dead letter under
`<enterprise>/_deadletter/<reason>` that carries a reason, a detail and the original message.
Only context announcements (MES) and Sparkplug host traffic (births, deaths, commands, STATE)
may produce nothing: they change state instead of publishing.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.mqtt_filters import filter_matches
from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.errors import DecodeError
from uns.model.namespace import Namespace
from uns.pipeline import Enricher, Outgoing
from uns.sparkplug import (
    DataType,
    MessageType,
    SparkplugHost,
    SparkplugMetric,
    SparkplugPayload,
    decode_payload,
    encode_payload,
)

MODEL = Path(__file__).resolve().parents[1] / "data" / "models" / "plant"
NS: Namespace = load_model(MODEL)
NOW = 1_774_346_400_000  # 2026-03-24T10:00:00Z, a weekday early shift in Berlin
MAX_PAYLOAD = 2048  # small, so that oversized payloads are cheap to generate
GOVERNED = frozenset(
    str(NS.governed_topic(node, tag)) for node in NS.equipment() for tag in node.tags
)
REASON = re.compile(r"[a-z][a-z0-9_]*")
SILENT_SPARKPLUG = {"NBIRTH", "DBIRTH", "NDEATH", "DDEATH", "NCMD", "DCMD", "STATE"}

relaxed = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])


def fresh_enricher() -> Enricher:
    return Enricher(NS, ContextStore(), max_payload=MAX_PAYLOAD, sparkplug=SparkplugHost())


def may_be_silent(enricher: Enricher, topic: str, payload: bytes) -> bool:
    """Context announcements and Sparkplug host traffic update state and publish nothing."""
    if any(filter_matches(f, topic) for f in enricher.context_subscriptions()):
        return True
    parts = topic.split("/")
    if parts[0] != "spBv1.0" or len(parts) < 3:
        return False
    if parts[1] == "STATE" or parts[2] in SILENT_SPARKPLUG:
        return True
    try:  # DATA without metrics says only "still alive" (it advances seq)
        return not decode_payload(payload).metrics
    except DecodeError:
        return False


def check(enricher: Enricher, topic: str, payload: bytes) -> list[Outgoing]:
    outs = enricher.process(topic, payload, NOW)  # must never raise
    for out in outs:
        body: dict[str, Any] = orjson.loads(out.payload)
        if out.kind == "enriched":
            assert out.topic in GOVERNED, out.topic
            assert set(body) >= {"value", "timestamp", "quality", "asset", "source"}
            assert body["quality"] in ("good", "uncertain", "bad", "stale")
        else:
            assert out.kind == "deadletter", out  # a passive host sends no commands
            assert out.reason is not None
            assert REASON.fullmatch(out.reason), out.reason
            assert out.topic == f"{NS.enterprise.name}/_deadletter/{out.reason}"
            assert out.topic == str(NS.deadletter_topic(out.reason))
            assert body["reason"] == out.reason
            assert isinstance(body["detail"], str)
            assert body["detail"].strip()
            if out.reason == "topic_too_long":  # kept short on purpose, recognisably cut
                assert body["topic"] == topic[:256] + "..."
            else:
                assert body["topic"] == topic
            if body["payload_encoding"] == "utf-8":
                assert body["payload"].encode() == payload
            else:
                assert body["payload_encoding"] == "base64"
                assert base64.b64decode(body["payload"]) == payload
    if not outs:
        assert may_be_silent(enricher, topic, payload), (topic, payload)
    return outs


def fuzz(enricher: Enricher, topic: str, payload: bytes) -> None:
    """`check` inside a property test: outcomes are reported as Hypothesis events."""
    outs = check(enricher, topic, payload)
    for out in outs:
        event(out.kind if out.reason is None else f"{out.kind}: {out.reason}")
    if not outs:
        event("nothing published")


# -- topics -------------------------------------------------------------------------------------

KNOWN_LEVELS = (
    "raw", "json", "scalar", "kepware", "records", "austin", "mes", "batch", "order",
    "L1", "L7", "L9", "O1", "O2", "OV9", "PT100", "RUN", "STATE", "SP", "NOPE",
    "spBv1.0", "G1", "Edge", "Oven9", *(t.value for t in MessageType), "$SYS", "", "+", "#",
)  # fmt: skip
hostile_text = st.text(
    st.characters(codec="utf-8") | st.sampled_from("/+#$\x00\u2028\U0001f525é"), max_size=60
)
levels = st.sampled_from(KNOWN_LEVELS) | hostile_text.filter(lambda s: "/" not in s)
topics = (
    hostile_text
    | st.lists(levels, min_size=1, max_size=7).map("/".join)
    | st.integers(1, 4000).map(lambda n: "a/" * n + "b")  # very long and very deep
    | st.sampled_from(
        [
            "raw/json/L1/O1",
            "raw/json/L1/O2",
            "raw/scalar/O1/PT100",
            "raw/scalar/O1/STATE",
            "raw/kepware/austin",
            "raw/records/austin/L9",
            "mes/L1/batch",
            "mes/austin/L9/order",
            "spBv1.0/G1/NBIRTH/Edge",
            "spBv1.0/G1/DBIRTH/Edge/Oven9",
            "spBv1.0/G1/DDATA/Edge/Oven9",
            "spBv1.0/STATE/host",
        ]
    )
)

# -- payloads -----------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
timestamps = (
    st.integers(-(2**63), 2**63)
    | st.integers(946_684_800_000, 4_102_444_800_000)
    | st.sampled_from(["2026-03-24T09:59:58.123Z", "03/24/2026 10:00:00 AM", "", "yesterday"])
    | json_values
)
values = scalars | json_values
qualities = st.sampled_from([192, 0, 64, True, False, "good", "bad", None]) | json_values


def dumps(value: object) -> bytes:
    """The stdlib encoder: unlike orjson it writes integers beyond 64 bits, hostile input too."""
    return json.dumps(value).encode()


# Near-valid payloads: the shapes the test model's bindings expect, with hostile leaves.
json_binding = st.builds(
    lambda v, ts, q: {"data": {"v": v, "ts": ts}, "q": q}, values, timestamps, qualities
)
kepware = st.builds(
    lambda ts, items: {"timestamp": ts, "values": items},
    timestamps,
    st.lists(
        st.builds(
            lambda i, v, q: {"id": i, "v": v, "q": q},
            st.sampled_from(["L9.OV9.GoodCnt", "L9.OV9.TT1", "L9.OV9.X", "L1.OV9.TT1", "a.b"])
            | st.text(max_size=12),
            values,
            qualities,
        ),
        max_size=4,
    ),
)
records = st.builds(
    lambda items: {"items": items},
    st.lists(
        st.builds(
            lambda t, v, ts: {"tag": t, "val": v, "time": ts},
            st.sampled_from(["temperature", "good_count", "state", "nope"]) | st.text(max_size=8),
            values,
            st.sampled_from(["03/24/2026 10:00:00 AM", "13/45/2026 99:00:00 XM"]) | timestamps,
        ),
        max_size=4,
    ),
)
batches = st.builds(
    lambda b, p, ts: {"batch_id": b, "material": p, "ts": ts}, values, values, timestamps
)
orders = st.builds(
    lambda o, e, ts: {"order": o, "event": e, "ts": ts},
    values,
    st.sampled_from(["START", "END", "PAUSE"]) | values,
    timestamps,
)
typed_values = (
    st.tuples(st.just(DataType.Double), st.floats(allow_nan=True, allow_infinity=True))
    | st.tuples(st.just(DataType.Boolean), st.booleans())
    | st.tuples(st.just(DataType.Int64), st.integers(-(2**63), 2**63 - 1))
    | st.tuples(st.just(DataType.String), st.text(max_size=10))
    | st.tuples(st.sampled_from([DataType.Double, DataType.Int64]), st.none())  # null
)
metrics = st.builds(
    lambda name, alias, ts, typed: SparkplugMetric(
        name=name, alias=alias, timestamp=ts, datatype=typed[0], value=typed[1],
        is_null=typed[1] is None,
    ),
    st.none()
    | st.sampled_from(["Process/Temperature", "Process/Running", "Count", "Process/Setpoint"])
    | st.text(max_size=10),
    st.none() | st.integers(0, 5),
    st.none() | st.integers(0, 2**50),
    typed_values,
)  # fmt: skip


def sparkplug_payloads(seq: st.SearchStrategy[int | None]) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda m, n: encode_payload(SparkplugPayload(timestamp=NOW, seq=n, metrics=m)),
        st.lists(metrics, max_size=4),
        seq,
    )


sparkplug = sparkplug_payloads(st.none() | st.integers(0, 255))
payloads = (
    st.binary(max_size=64)
    | st.binary(min_size=MAX_PAYLOAD - 2, max_size=MAX_PAYLOAD + 2)
    | json_values.map(dumps)
    | (json_binding | kepware | records | batches | orders).map(dumps)
    | scalars.map(lambda v: str(v).encode())
    | sparkplug
)


# -- properties -------------------------------------------------------------------------------


@relaxed
@given(topics, payloads)
@example("", b"")
@example("raw/scalar/O1/STATE", b"")
@example("raw/scalar/O1/STATE", b"\x00")
@example("raw/json/L1/O1", b'{"data": {"v": 1e400}}')
@example("mes/L1/batch", b"{}")
@example("spBv1.0/G1/NBIRTH/Edge", b"")
@example("#", b"x")
@example("$SYS/broker/uptime", b"1")
@example("raw/json/L1/O1\x00", b"1")
def test_any_message_is_enriched_or_dead_lettered_with_a_reason(topic: str, payload: bytes) -> None:
    fuzz(fresh_enricher(), topic, payload)


@relaxed
@given(st.lists(st.tuples(topics, payloads), min_size=2, max_size=6))
def test_a_stream_of_messages_never_breaks_the_pipeline(messages: list[tuple[str, bytes]]) -> None:
    # One enricher for the whole stream: context, Sparkplug births and plan caches carry over.
    enricher = fresh_enricher()
    for topic, payload in messages:
        fuzz(enricher, topic, payload)


@relaxed
@given(json_binding.map(dumps), st.sampled_from(["L1", "L7", "O1", "O2", "x"]))
def test_near_valid_json_on_bound_topics(payload: bytes, code: str) -> None:
    fuzz(fresh_enricher(), f"raw/json/L1/{code}", payload)
    fuzz(fresh_enricher(), f"raw/json/{code}/O1", payload)


@relaxed
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "spBv1.0/G1/NBIRTH/Edge",
                    "spBv1.0/G1/DBIRTH/Edge/Oven9",
                    "spBv1.0/G1/DDATA/Edge/Oven9",
                    "spBv1.0/G1/NDATA/Edge",
                    "spBv1.0/G1/DDEATH/Edge/Oven9",
                    "spBv1.0/G1/NDEATH/Edge",
                ]
            ),
            sparkplug_payloads(st.integers(0, 3)),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_a_sparkplug_session_never_breaks_the_pipeline(messages: list[tuple[str, bytes]]) -> None:
    # Births, data by name or alias, deaths and seq numbers in any order on one node.
    enricher = fresh_enricher()
    for topic, payload in messages:
        fuzz(enricher, topic, payload)


def test_a_valid_message_is_enriched() -> None:
    """The checker is not vacuous: a good message passes through it enriched."""
    [out] = check(fresh_enricher(), "raw/scalar/O1/STATE", b"RUN")
    assert out.kind == "enriched"
    assert out.topic == "testco/berlin/baking/line-1/oven-cell/oven-1/state"


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("raw/records/austin/L9", b'{"items": []}'),
        ("raw/kepware/austin", b'{"timestamp": 1774346400000, "values": []}'),
    ],
    ids=["records", "kepware"],
)
def test_an_empty_batch_is_dead_lettered(topic: str, payload: bytes) -> None:
    [out] = fresh_enricher().process(topic, payload, NOW)
    assert out.kind == "deadletter"


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("raw/kepware/austin", b'{"values": [{"id": "L9.OV9.GoodCnt", "v": -1e19}]}'),
        ("raw/kepware/austin", b'{"values": [{"id": "L9.OV9.GoodCnt", "v": 1e300}]}'),
        ("raw/records/austin/L9", b'{"items": [{"tag": "good_count", "val": "1e30"}]}'),
    ],
    ids=["negative", "huge", "text"],
)
def test_an_int_beyond_64_bits_is_dead_lettered(topic: str, payload: bytes) -> None:
    [out] = check(fresh_enricher(), topic, payload)
    assert out.kind == "deadletter"
