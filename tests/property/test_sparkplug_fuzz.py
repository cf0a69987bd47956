"""Property tests for the Sparkplug codec: hostile input raises only our error types, and
every scalar and array type survives an encode/decode round trip."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from uns.errors import DecodeError, TopicError
from uns.sparkplug import (
    DataType,
    MessageType,
    SparkplugMetric,
    SparkplugPayload,
    decode_payload,
    encode_payload,
    parse_sparkplug_topic,
    parse_state,
)
from uns.sparkplug.sparkplug_b_pb2 import Payload

D = DataType
GOLDEN = sorted((Path(__file__).resolve().parents[1] / "data" / "sparkplug").glob("*.bin"))


# The first text() draw on a fresh machine builds Hypothesis's Unicode tables (seconds on a
# loaded 2-core box); that is set-up, not slow input generation, so it must not fail a test.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decode_or_decode_error(data: bytes, resolve: object = None) -> None:
    with contextlib.suppress(DecodeError):
        decode_payload(data, resolve)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- hostile payloads


@relaxed
@given(st.binary(max_size=512))
@example(b"")
@example(b"\x12\x00")
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    decode_or_decode_error(data)


@st.composite
def mutated_golden(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(GOLDEN)).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut":
            del data[position:]
            if not data:
                break
        else:
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@relaxed
@given(mutated_golden())
def test_mutated_golden_payloads_raise_only_decode_error(data: bytes) -> None:
    decode_or_decode_error(data, lambda name, alias: None)


VALUE_FIELDS = {
    "int_value": st.integers(0, 0xFFFFFFFF),
    "long_value": st.integers(0, (1 << 64) - 1),
    "float_value": st.floats(width=32),
    "double_value": st.floats(),
    "boolean_value": st.booleans(),
    "string_value": st.text(max_size=20),
    "bytes_value": st.binary(max_size=40),
}


@st.composite
def random_metric_payload(draw: st.DrawFn) -> bytes:
    pb = Payload()
    for _ in range(draw(st.integers(1, 4))):
        m = pb.metrics.add()
        if draw(st.booleans()):
            m.datatype = draw(st.integers(0, 40))
        if draw(st.booleans()):
            m.alias = draw(st.integers(0, 1 << 20))
        m.is_null = draw(st.booleans())
        field = draw(st.sampled_from([None, *VALUE_FIELDS]))
        if field is not None:
            setattr(m, field, draw(VALUE_FIELDS[field]))
        if draw(st.booleans()):
            ps = m.properties
            for key in draw(st.lists(st.text(max_size=5), max_size=3)):
                ps.keys.append(key)
                pv = ps.values.add(type=draw(st.integers(0, 25)))
                prop_field = draw(st.sampled_from([None, *list(VALUE_FIELDS)[:6]]))
                if prop_field is not None:
                    setattr(pv, prop_field, draw(VALUE_FIELDS[prop_field]))
            if draw(st.booleans()):
                ps.values.add()  # keys and values of unequal length
    return pb.SerializeToString()


@relaxed
@given(random_metric_payload(), st.integers(0, 40) | st.none())
def test_random_well_formed_protobuf_raises_only_decode_error(
    data: bytes, birth_type: int | None
) -> None:
    decode_or_decode_error(data, lambda name, alias: birth_type)


@relaxed
@given(st.binary(max_size=200))
@example(b'{"online": true, "timestamp": 1}')
def test_random_state_payloads_raise_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        online, timestamp = parse_state(data)
        assert isinstance(online, bool)
        assert timestamp is None or timestamp >= 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=9), inner, max_size=3)
    ),
    max_leaves=8,
)


@relaxed
@given(st.dictionaries(st.sampled_from(["online", "timestamp", "x"]), json_values, max_size=3))
def test_random_state_json_raises_only_decode_error(doc: dict[str, object]) -> None:
    import json

    with contextlib.suppress(DecodeError):
        online, timestamp = parse_state(json.dumps(doc).encode())
        assert online is doc["online"]
        assert timestamp == doc.get("timestamp")


# ----------------------------------------------------------------------------------- topics

segment = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/"), max_size=8)
type_segment = st.sampled_from([t.value for t in MessageType]) | segment


@relaxed
@given(st.text(max_size=60))
def test_random_topics_raise_only_topic_error(topic: str) -> None:
    with contextlib.suppress(TopicError):
        parse_sparkplug_topic(topic)


@relaxed
@given(st.lists(segment, min_size=0, max_size=3), type_segment, st.lists(segment, max_size=3))
def test_sparkplug_shaped_topics_parse_or_raise_topic_error(
    head: list[str], message_type: str, tail: list[str]
) -> None:
    topic = "/".join(["spBv1.0", *head[:1], message_type, *tail])
    try:
        parsed = parse_sparkplug_topic(topic)
    except TopicError:
        return
    assert parsed is not None
    assert str(parsed) == topic


name_segment = st.from_regex(r"[A-Za-z0-9 ._-]{1,12}", fullmatch=True)


@relaxed
@given(name_segment, st.sampled_from(list(MessageType)), name_segment, name_segment)
def test_valid_topics_round_trip(
    group: str, message_type: MessageType, node: str, device: str
) -> None:
    if message_type is MessageType.STATE:
        topic = f"spBv1.0/STATE/{node}"
    elif message_type.has_device:
        topic = f"spBv1.0/{group}/{message_type}/{node}/{device}"
    else:
        topic = f"spBv1.0/{group}/{message_type}/{node}"
    parsed = parse_sparkplug_topic(topic)
    assert parsed is not None
    assert parsed.message_type is message_type
    assert str(parsed) == topic


# --------------------------------------------------------------------------- round trips

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=20)


def ints(bits: int, signed: bool) -> st.SearchStrategy[int]:
    return (
        st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        if signed
        else st.integers(0, (1 << bits) - 1)
    )


float32 = st.floats(width=32, allow_nan=False)
float64 = st.floats(allow_nan=False)

SCALAR_VALUES: dict[DataType, st.SearchStrategy[object]] = {
    D.Int8: ints(8, True),
    D.Int16: ints(16, True),
    D.Int32: ints(32, True),
    D.Int64: ints(64, True),
    D.UInt8: ints(8, False),
    D.UInt16: ints(16, False),
    D.UInt32: ints(32, False),
    D.UInt64: ints(64, False),
    D.Float: float32,
    D.Double: float64,
    D.Boolean: st.booleans(),
    D.String: text,
    D.DateTime: ints(64, True),
    D.Text: text,
    D.UUID: st.uuids().map(str),
    D.Bytes: st.binary(max_size=40),
    D.File: st.binary(max_size=40),
    D.Int8Array: st.lists(ints(8, True), max_size=8),
    D.Int16Array: st.lists(ints(16, True), max_size=8),
    D.Int32Array: st.lists(ints(32, True), max_size=8),
    D.Int64Array: st.lists(ints(64, True), max_size=8),
    D.UInt8Array: st.lists(ints(8, False), max_size=8),
    D.UInt16Array: st.lists(ints(16, False), max_size=8),
    D.UInt32Array: st.lists(ints(32, False), max_size=8),
    D.UInt64Array: st.lists(ints(64, False), max_size=8),
    D.FloatArray: st.lists(float32, max_size=8),
    D.DoubleArray: st.lists(float64, max_size=8),
    D.BooleanArray: st.lists(st.booleans(), max_size=20),
    D.StringArray: st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\0"), max_size=6),
        max_size=6,
    ),
    D.DateTimeArray: st.lists(ints(64, True), max_size=8),
}


@st.composite
def typed_value(draw: st.DrawFn) -> tuple[DataType, object]:
    datatype = draw(st.sampled_from(list(SCALAR_VALUES)))
    return datatype, draw(SCALAR_VALUES[datatype])


@relaxed
@given(typed_value(), st.integers(0, 1 << 40), st.integers(0, 255), st.booleans())
def test_scalar_and_array_round_trip(
    typed: tuple[DataType, object], timestamp: int, seq: int, historical: bool
) -> None:
    datatype, value = typed
    metric = SparkplugMetric(
        name="m",
        alias=1,
        timestamp=timestamp,
        datatype=datatype,
        value=value,
        is_historical=historical,
    )
    payload = SparkplugPayload(timestamp=timestamp, seq=seq, metrics=[metric])
    assert decode_payload(encode_payload(payload)) == payload


@relaxed
@given(typed_value())
def test_alias_only_round_trip_through_the_birth_datatype(typed: tuple[DataType, object]) -> None:
    datatype, value = typed
    payload = SparkplugPayload(
        seq=0, metrics=[SparkplugMetric(alias=7, datatype=datatype, value=value)]
    )
    data = encode_payload(payload, with_datatypes=False)
    assert decode_payload(data, lambda name, alias: datatype if alias == 7 else None) == payload


@relaxed
@given(st.lists(typed_value(), min_size=1, max_size=5), st.sampled_from(["DEFLATE", "GZIP"]))
def test_compressed_round_trip(values: list[tuple[DataType, object]], algorithm: str) -> None:
    metrics = [
        SparkplugMetric(name=f"m{i}", datatype=d, value=v) for i, (d, v) in enumerate(values)
    ]
    payload = SparkplugPayload(timestamp=1, seq=2, metrics=metrics)
    assert decode_payload(encode_payload(payload, compress=algorithm)) == payload  # type: ignore[arg-type]
