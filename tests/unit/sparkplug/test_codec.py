"""Sparkplug B codec: values of every datatype, malformed payloads, compression, STATE, topics."""

from __future__ import annotations

import gzip
import re
import struct
import zlib
from typing import Any

import pytest
from google.protobuf.internal import api_implementation

from uns.errors import DecodeError, TopicError, UnsError
from uns.sparkplug import (
    COMPRESSED_UUID,
    REBIRTH_METRIC,
    DataType,
    MessageType,
    SparkplugMetaData,
    SparkplugMetric,
    SparkplugParameter,
    SparkplugPayload,
    SparkplugTemplate,
    SparkplugTopic,
    compression,
    decode_payload,
    encode_payload,
    encode_state,
    parse_sparkplug_topic,
    parse_state,
    rebirth_request,
    require_fast_protobuf,
)
from uns.sparkplug.sparkplug_b_pb2 import Payload

D = DataType
U32 = 0xFFFFFFFF
U64 = (1 << 64) - 1


def raw_metric(datatype: int | None = None, **fields: Any) -> bytes:
    """A one-metric payload built field by field with the protobuf classes."""
    pb = Payload(timestamp=1, seq=0)
    m = pb.metrics.add(name="m", alias=1)
    if datatype is not None:
        m.datatype = datatype
    for key, value in fields.items():
        if hasattr(value, "SerializeToString"):
            getattr(m, key).CopyFrom(value)
        else:
            setattr(m, key, value)
    return pb.SerializeToString()


def decoded(data: bytes, resolve: Any = None) -> SparkplugMetric:
    return decode_payload(data, resolve).metrics[0]


def bad(data: bytes, fragment: str, resolve: Any = None) -> None:
    with pytest.raises(DecodeError, match=fragment) as info:
        decode_payload(data, resolve)
    assert info.value.reason == "bad_sparkplug"


# ------------------------------------------------------------------------------- runtime


def test_require_fast_protobuf_accepts_upb() -> None:
    assert api_implementation.Type() == "upb"
    require_fast_protobuf()


def test_require_fast_protobuf_rejects_pure_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_implementation, "Type", lambda: "python")
    with pytest.raises(UnsError, match=r"'python' implementation.*upb.*70x slower"):
        require_fast_protobuf()


# -------------------------------------------------------------------- scalar wire values

SIGNED_WIRE_FORMS = [
    # (datatype, field, wire value, decoded)
    (D.Int8, "int_value", 244, -12),
    (D.Int8, "int_value", 4_294_967_284, -12),
    (D.Int8, "int_value", 12, 12),
    (D.Int8, "int_value", 0x80, -128),
    (D.Int8, "int_value", 0x7F, 127),
    (D.Int8, "long_value", U64 - 11, -12),
    (D.Int16, "int_value", 0xFED4, -300),
    (D.Int16, "int_value", -300 & U32, -300),
    (D.Int16, "int_value", 0x7FFF, 32767),
    (D.Int32, "int_value", 4_294_967_284, -12),
    (D.Int32, "int_value", 0x80000000, -(1 << 31)),
    (D.Int32, "int_value", 0x7FFFFFFF, (1 << 31) - 1),
    (D.Int32, "long_value", U64 - 11, -12),
    (D.Int64, "long_value", U64 - 11, -12),
    (D.Int64, "long_value", 1 << 63, -(1 << 63)),
    (D.Int64, "long_value", (1 << 63) - 1, (1 << 63) - 1),
    (D.Int64, "int_value", 7, 7),
    (D.DateTime, "long_value", 1_486_144_502_122, 1_486_144_502_122),
]


@pytest.mark.parametrize(
    ("datatype", "field", "wire", "expected"),
    SIGNED_WIRE_FORMS,
    ids=[f"{d.name}-{f}-{w}" for d, f, w, _ in SIGNED_WIRE_FORMS],
)
def test_signed_ints_take_the_low_bits_and_sign_extend(
    datatype: DataType, field: str, wire: int, expected: int
) -> None:
    metric = decoded(raw_metric(datatype, **{field: wire}))
    assert metric.datatype is datatype
    assert metric.value == expected


UNSIGNED = [
    (D.UInt8, "int_value", 255),
    (D.UInt16, "int_value", 65535),
    (D.UInt32, "int_value", U32),
    (D.UInt32, "long_value", U32),
    (D.UInt64, "long_value", U64),
    (D.UInt64, "int_value", 5),
]


@pytest.mark.parametrize(
    ("datatype", "field", "wire"), UNSIGNED, ids=[f"{d.name}-{f}" for d, f, _ in UNSIGNED]
)
def test_unsigned_ints_decode_as_is(datatype: DataType, field: str, wire: int) -> None:
    assert decoded(raw_metric(datatype, **{field: wire})).value == wire


@pytest.mark.parametrize(
    ("datatype", "field", "wire"),
    [
        (D.UInt8, "int_value", 256),
        (D.UInt16, "int_value", 65536),
        (D.UInt32, "long_value", 1 << 32),
    ],
)
def test_unsigned_out_of_range_is_rejected(datatype: DataType, field: str, wire: int) -> None:
    bad(raw_metric(datatype, **{field: wire}), f"{datatype.name} value {wire} is out of range")


SCALARS = [
    (D.Float, "float_value", 1.5, 1.5),
    (D.Float, "float_value", 0.1, 0.10000000149011612),  # the float32 value, exactly
    (D.Float, "double_value", 0.1, 0.1),
    (D.Double, "double_value", -2.25, -2.25),
    (D.Double, "float_value", 0.5, 0.5),
    (D.Boolean, "boolean_value", True, True),
    (D.Boolean, "boolean_value", False, False),
    (D.String, "string_value", "h\u00e9llo", "h\u00e9llo"),
    (D.String, "string_value", "", ""),
    (D.Text, "string_value", "a\nb", "a\nb"),
    (
        D.UUID,
        "string_value",
        "123e4567-e89b-12d3-a456-426614174000",
        "123e4567-e89b-12d3-a456-426614174000",
    ),
    (D.Bytes, "bytes_value", b"\x00\xff", b"\x00\xff"),
    (D.File, "bytes_value", b"%PDF", b"%PDF"),
]


@pytest.mark.parametrize(
    ("datatype", "field", "wire", "expected"),
    SCALARS,
    ids=[f"{d.name}-{f}" for d, f, *_ in SCALARS],
)
def test_scalar_values(datatype: DataType, field: str, wire: object, expected: object) -> None:
    metric = decoded(raw_metric(datatype, **{field: wire}))
    assert metric.value == expected
    assert type(metric.value) is type(expected)
    assert not metric.is_null


MISMATCHES = [
    (D.Int32, "string_value", "12"),
    (D.Int8, "float_value", 1.0),
    (D.Float, "int_value", 1),
    (D.Boolean, "int_value", 1),
    (D.String, "bytes_value", b"x"),
    (D.Bytes, "string_value", "x"),
    (D.Int16Array, "string_value", "x"),
    (D.DataSet, "bytes_value", b""),
    (D.Template, "string_value", "x"),
]


@pytest.mark.parametrize(
    ("datatype", "field", "wire"), MISMATCHES, ids=[f"{d.name}-in-{f}" for d, f, _ in MISMATCHES]
)
def test_value_field_not_matching_the_datatype_is_rejected(
    datatype: DataType, field: str, wire: object
) -> None:
    bad(raw_metric(datatype, **{field: wire}), f"a {datatype.name} value cannot arrive in {field}")


def test_unknown_and_property_only_datatypes_are_rejected_for_metrics() -> None:
    bad(raw_metric(99, int_value=1), "datatype 99, not a metric datatype")
    bad(raw_metric(D.PropertySet, int_value=1), "datatype 20, not a metric datatype")


def test_invalid_utf8_in_string_fields_is_rejected() -> None:
    # Field 15 (string_value, tag 0x7a) holding bytes that are not UTF-8, spliced by hand.
    metric_bytes = (
        Payload.Metric(name="m", datatype=D.String).SerializeToString() + b"\x7a\x02\xff\xfe"
    )
    data = b"\x12" + bytes([len(metric_bytes)]) + metric_bytes
    bad(data, "string value is not valid UTF-8")
    name_bytes = b"\x0a\x02\xff\xfe"
    bad(b"\x12" + bytes([len(name_bytes)]) + name_bytes, "metric name is not valid UTF-8")


# ---------------------------------------------------------------------------------- arrays

ARRAYS = [
    (D.Int8Array, struct.pack("<3b", -128, 0, 127), [-128, 0, 127]),
    (D.Int16Array, struct.pack("<2h", -300, 300), [-300, 300]),
    (D.Int32Array, struct.pack("<2i", -(1 << 31), 5), [-(1 << 31), 5]),
    (D.Int64Array, struct.pack("<q", -12), [-12]),
    (D.UInt8Array, bytes([0, 255]), [0, 255]),
    (D.UInt16Array, struct.pack("<H", 65535), [65535]),
    (D.UInt32Array, struct.pack("<I", U32), [U32]),
    (D.UInt64Array, struct.pack("<Q", U64), [U64]),
    (D.FloatArray, struct.pack("<2f", 0.5, -1.0), [0.5, -1.0]),
    (D.DoubleArray, struct.pack("<d", 0.1), [0.1]),
    (D.DateTimeArray, struct.pack("<2q", 1_486_144_502_122, -1), [1_486_144_502_122, -1]),
    (D.BooleanArray, struct.pack("<I", 3) + bytes([0b10100000]), [True, False, True]),
    (D.BooleanArray, struct.pack("<I", 8) + bytes([0b00000001]), [False] * 7 + [True]),
    (D.BooleanArray, struct.pack("<I", 0), []),
    (D.StringArray, b"a\x00\x00b c\x00", ["a", "", "b c"]),
    (D.StringArray, b"", []),
    (D.Int32Array, b"", []),
]


@pytest.mark.parametrize(
    ("datatype", "packed", "expected"), ARRAYS, ids=[f"{d.name}-{len(p)}" for d, p, _ in ARRAYS]
)
def test_arrays_are_little_endian_packed(
    datatype: DataType, packed: bytes, expected: list[object]
) -> None:
    assert decoded(raw_metric(datatype, bytes_value=packed)).value == expected


BAD_ARRAYS = [
    (D.Int16Array, b"\x01\x02\x03", "Int16Array has 3 bytes, not a multiple of 2"),
    (D.Int32Array, b"\x01" * 6, "Int32Array has 6 bytes, not a multiple of 4"),
    (D.Int64Array, b"\x01" * 4, "Int64Array has 4 bytes, not a multiple of 8"),
    (D.FloatArray, b"\x00" * 3, "FloatArray has 3 bytes"),
    (D.DoubleArray, b"\x00" * 9, "DoubleArray has 9 bytes"),
    (D.DateTimeArray, b"\x00" * 7, "DateTimeArray has 7 bytes"),
    (D.BooleanArray, b"\x03\x00", "less than its 4-byte count"),
    (D.BooleanArray, struct.pack("<I", 9) + b"\xff", "BooleanArray of 9 values has 1 bytes"),
    (D.BooleanArray, struct.pack("<I", 1) + b"\xff\xff", "BooleanArray of 1 values has 2 bytes"),
    (D.BooleanArray, struct.pack("<I", U32), "BooleanArray of 4294967295 values has 0 bytes"),
    (D.StringArray, b"abc", "does not end with a NUL byte"),
    (D.StringArray, b"\xff\x00", "invalid UTF-8"),
]


@pytest.mark.parametrize(
    ("datatype", "packed", "fragment"),
    BAD_ARRAYS,
    ids=[f"{d.name}-{len(p)}" for d, p, _ in BAD_ARRAYS],
)
def test_bad_array_lengths_are_rejected(datatype: DataType, packed: bytes, fragment: str) -> None:
    bad(raw_metric(datatype, bytes_value=packed), fragment)


# ------------------------------------------------------------------- null, flags, metadata


def test_null_flag_wins_over_a_present_value() -> None:
    metric = decoded(raw_metric(D.Int32, is_null=True, int_value=5))
    assert (metric.is_null, metric.value) == (True, None)


def test_metric_without_any_value_counts_as_null() -> None:
    metric = decoded(raw_metric(D.Double))
    assert (metric.is_null, metric.value, metric.datatype) == (True, None, D.Double)


def test_flags_and_optional_fields() -> None:
    metric = decoded(raw_metric(D.Double, double_value=1.0, is_historical=True, is_transient=True))
    assert (metric.is_historical, metric.is_transient) == (True, True)
    pb = Payload()
    pb.metrics.add(alias=0, timestamp=0, double_value=2.0)
    pb.metrics.add(double_value=3.0)
    zero, missing = decode_payload(pb.SerializeToString()).metrics
    assert (zero.name, zero.alias, zero.timestamp) == (None, 0, 0)
    assert (missing.name, missing.alias, missing.timestamp) == (None, None, None)
    assert (
        decode_payload(
            Payload(metrics=[Payload.Metric(name="", double_value=1.0)]).SerializeToString()
        )
        .metrics[0]
        .name
        == ""
    )


def test_payload_header_fields() -> None:
    payload = decode_payload(
        Payload(timestamp=5, seq=255, uuid="abc", body=b"\x01").SerializeToString()
    )
    assert (payload.timestamp, payload.seq, payload.uuid, payload.body, payload.metrics) == (
        5,
        255,
        "abc",
        b"\x01",
        [],
    )
    empty = decode_payload(b"")
    assert (empty.timestamp, empty.seq, empty.uuid, empty.body, empty.metrics) == (
        None,
        None,
        None,
        None,
        [],
    )


def test_metadata_fields() -> None:
    md = Payload.MetaData(is_multi_part=True, seq=2, size=10, description="d")
    metric = decoded(raw_metric(D.Bytes, bytes_value=b"x", metadata=md))
    assert metric.metadata == SparkplugMetaData(is_multi_part=True, seq=2, size=10, description="d")


def test_decoded_values_are_frozen() -> None:
    metric = decoded(raw_metric(D.Int32, int_value=1))
    assert type(metric) is SparkplugMetric
    with pytest.raises(AttributeError):
        metric.value = 2  # type: ignore[misc]
    payload = decode_payload(raw_metric(D.Int32, int_value=1))
    assert type(payload) is SparkplugPayload
    with pytest.raises(AttributeError):
        payload.seq = 3  # type: ignore[misc]


# ---------------------------------------------------------------------- resolving datatypes


def test_resolver_is_asked_only_for_metrics_without_a_datatype() -> None:
    calls: list[tuple[str | None, int | None]] = []

    def resolve(name: str | None, alias: int | None) -> int | None:
        calls.append((name, alias))
        return D.Int8

    pb = Payload()
    pb.metrics.add(alias=7, int_value=244)
    pb.metrics.add(name="typed", datatype=D.UInt8, int_value=244)
    first, second = decode_payload(pb.SerializeToString(), resolve).metrics
    assert calls == [(None, 7)]
    assert (first.datatype, first.value) == (D.Int8, -12)
    assert (second.datatype, second.value) == (D.UInt8, 244)


def test_unresolved_metric_keeps_the_raw_value() -> None:
    metric = decoded(raw_metric(None, int_value=4_294_967_284), lambda name, alias: None)
    assert (metric.datatype, metric.value) == (D.Unknown, 4_294_967_284)


def test_resolved_datatype_must_still_match_the_value() -> None:
    bad(
        raw_metric(None, string_value="x"),
        "a Float value cannot arrive in string_value",
        lambda n, a: D.Float,
    )
    bad(raw_metric(None, int_value=1), "datatype 77, not a metric datatype", lambda n, a: 77)


def test_a_resolver_that_raises_is_reported_as_a_decode_error() -> None:
    def broken(name: str | None, alias: int | None) -> int | None:
        raise KeyError(alias)

    bad(raw_metric(None, int_value=1), "KeyError", broken)


# --------------------------------------------------------------------------------- DataSet


def dataset(
    columns: list[str], types: list[int], rows: list[list[dict[str, Any]]], **extra: Any
) -> Payload.DataSet:
    ds = Payload.DataSet(columns=columns, types=types, **extra)
    for row in rows:
        ds.rows.add().elements.extend(Payload.DataSet.DataSetValue(**cell) for cell in row)
    return ds


def test_dataset_becomes_a_plain_table() -> None:
    ds = dataset(
        ["i8", "u32", "f", "b", "s", "t"],
        [D.Int8, D.UInt32, D.Float, D.Boolean, D.String, D.DateTime],
        [
            [
                {"int_value": 244},
                {"int_value": U32},
                {"float_value": 0.5},
                {"boolean_value": True},
                {"string_value": "x"},
                {"long_value": 9},
            ],
            [{}, {}, {}, {}, {}, {"long_value": 1 << 63}],  # empty cells and Tahu's null DateTime
        ],
        num_of_columns=6,
    )
    assert decoded(raw_metric(D.DataSet, dataset_value=ds)).value == {
        "columns": ["i8", "u32", "f", "b", "s", "t"],
        "types": [D.Int8, D.UInt32, D.Float, D.Boolean, D.String, D.DateTime],
        "rows": [[-12, U32, 0.5, True, "x", 9], [None, None, None, None, None, None]],
    }


@pytest.mark.parametrize(
    ("ds", "fragment"),
    [
        (dataset(["a", "b"], [D.Int8], []), "DataSet has 2 columns but 1 types"),
        (dataset(["a"], [D.Int8], [], num_of_columns=3), "DataSet says 3 columns but names 1"),
        (dataset(["a"], [D.Bytes], []), "DataSet column type 17 is not a basic type"),
        (
            dataset(["a"], [D.Int8], [[{"int_value": 1}, {"int_value": 2}]]),
            "DataSet row 0 has 2 values for 1 columns",
        ),
        (
            dataset(["a"], [D.Int8], [[{"string_value": "x"}]]),
            "DataSet Int8 cell: a Int8 value cannot arrive in string_value",
        ),
        (dataset(["a"], [D.UInt8], [[{"int_value": 300}]]), "UInt8 value 300 is out of range"),
    ],
    ids=["types-count", "num-of-columns", "column-type", "row-length", "cell-type", "cell-range"],
)
def test_malformed_datasets_are_rejected(ds: Payload.DataSet, fragment: str) -> None:
    bad(raw_metric(D.DataSet, dataset_value=ds), fragment)


# -------------------------------------------------------------------------------- Template


def test_template_instance_with_nested_template_and_parameters() -> None:
    inner = Payload.Template(is_definition=False, template_ref="Inner")
    inner.metrics.add(name="x", datatype=D.Int16, int_value=0xFFFF)
    outer = Payload.Template(is_definition=False, template_ref="Outer", version="2")
    outer.metrics.add(name="child", datatype=D.Template).template_value.CopyFrom(inner)
    outer.parameters.add(name="p", type=D.Int8, int_value=255)
    outer.parameters.add(name="missing", type=D.String)
    outer.parameters.add(name="untyped", long_value=3)
    value = decoded(raw_metric(D.Template, template_value=outer)).value
    assert value == SparkplugTemplate(
        metrics=[
            SparkplugMetric(
                name="child",
                datatype=D.Template,
                value=SparkplugTemplate(
                    metrics=[SparkplugMetric(name="x", datatype=D.Int16, value=-1)],
                    template_ref="Inner",
                ),
            )
        ],
        parameters=[
            SparkplugParameter("p", D.Int8, -1),
            SparkplugParameter("missing", D.String, None),
            SparkplugParameter("untyped", D.Unknown, 3),
        ],
        template_ref="Outer",
        version="2",
    )


def test_template_parameter_must_have_a_basic_type() -> None:
    template = Payload.Template(is_definition=True)
    template.parameters.add(name="p", type=D.Bytes, string_value="x")
    bad(
        raw_metric(D.Template, template_value=template),
        "template parameter 'p' has type 17, not a basic type",
    )


# ----------------------------------------------------------------------------- PropertySet


def test_property_sets_decode_recursively() -> None:
    ps = Payload.PropertySet(keys=["Quality", "nested", "list", "nothing", "untyped"])
    ps.values.add(type=D.Int32, int_value=500)
    nested = ps.values.add(type=D.PropertySet).propertyset_value
    nested.keys.append("deep")
    nested.values.add(type=D.Int8, int_value=255)
    psl = ps.values.add(type=D.PropertySetList).propertysets_value
    psl.propertyset.add(keys=["a"]).values.add(type=D.String, string_value="x")
    psl.propertyset.add()
    ps.values.add(type=D.Double, is_null=True, double_value=1.0)
    ps.values.add(long_value=7)
    metric = decoded(raw_metric(D.Double, double_value=1.0, properties=ps))
    assert metric.properties == {
        "Quality": 500,
        "nested": {"deep": -1},
        "list": [{"a": "x"}, {}],
        "nothing": None,
        "untyped": 7,
    }


def test_property_set_with_unequal_keys_and_values_is_rejected() -> None:
    ps = Payload.PropertySet(keys=["a", "b"])
    ps.values.add(type=D.Int32, int_value=1)
    bad(
        raw_metric(D.Double, double_value=1.0, properties=ps), "PropertySet has 2 keys but 1 values"
    )


def test_property_with_a_metric_only_type_is_rejected() -> None:
    ps = Payload.PropertySet(keys=["a"])
    ps.values.add(type=D.DataSet, int_value=1)
    bad(
        raw_metric(D.Double, double_value=1.0, properties=ps),
        "property 'a' has type 16, not a property type",
    )


# ------------------------------------------------------------------------------ compression


def metrics_payload() -> SparkplugPayload:
    return SparkplugPayload(
        timestamp=10,
        seq=4,
        metrics=[
            SparkplugMetric(name=f"m{i}", alias=i, timestamp=10, datatype=D.Double, value=i / 4)
            for i in range(30)
        ],
    )


@pytest.mark.parametrize("algorithm", ["DEFLATE", "GZIP"])
def test_compressed_round_trip(algorithm: Any) -> None:
    data = encode_payload(metrics_payload(), compress=algorithm)
    outer = Payload.FromString(data)
    assert outer.uuid == COMPRESSED_UUID
    assert [(m.name, m.string_value) for m in outer.metrics] == [("algorithm", algorithm)]
    assert decode_payload(data) == metrics_payload()


def wrapped(body: bytes, algorithm: str | None = "DEFLATE", **header: Any) -> bytes:
    pb = Payload(uuid=COMPRESSED_UUID, body=body, **header)
    if algorithm is not None:
        pb.metrics.add(name="algorithm", datatype=D.String, string_value=algorithm)
    return pb.SerializeToString()


def test_compressed_detects_the_deflate_flavour_and_lowercase_algorithm() -> None:
    inner = encode_payload(metrics_payload())
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    assert decode_payload(wrapped(raw.compress(inner) + raw.flush(), None)) == metrics_payload()
    assert decode_payload(wrapped(gzip.compress(inner), None)) == metrics_payload()
    assert decode_payload(wrapped(zlib.compress(inner), "deflate")) == metrics_payload()


def test_compressed_wrapper_supplies_missing_timestamp_and_seq() -> None:
    inner = encode_payload(
        SparkplugPayload(metrics=[SparkplugMetric(name="a", datatype=D.Int32, value=1)])
    )
    payload = decode_payload(wrapped(zlib.compress(inner), timestamp=77, seq=3))
    assert (payload.timestamp, payload.seq) == (77, 3)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (wrapped(b"not compressed at all"), "bad DEFLATE body"),
        (wrapped(zlib.compress(b"x" * 100)[:-6]), "DEFLATE body is truncated"),
        (wrapped(zlib.compress(b"") + b"tail"), "bytes after the end of the DEFLATE body"),
        (wrapped(zlib.compress(b"abc"), "GZIP"), "bad GZIP body"),
        (wrapped(b"", "LZ4"), "unknown algorithm 'LZ4'"),
        (wrapped(zlib.compress(b"\xff\xff\xff")), "not a Sparkplug B protobuf payload"),
        (wrapped(zlib.compress(wrapped(zlib.compress(b"")))), "holds another compressed payload"),
    ],
    ids=[
        "garbage",
        "truncated",
        "trailing",
        "bad-gzip",
        "unknown-algorithm",
        "inner-not-protobuf",
        "nested",
    ],
)
def test_bad_compressed_payloads_are_rejected(data: bytes, fragment: str) -> None:
    bad(data, fragment)


def test_algorithm_metric_must_be_a_string() -> None:
    pb = Payload(uuid=COMPRESSED_UUID, body=zlib.compress(b""))
    pb.metrics.add(name="algorithm", int_value=1)
    bad(pb.SerializeToString(), "the algorithm metric is not a string")


def test_decompression_is_capped() -> None:
    bomb = zlib.compress(bytes(compression.MAX_DECOMPRESSED_BYTES + 1), 9)
    assert len(bomb) < 100_000
    bad(wrapped(bomb), "expands past 16777216 bytes")


def test_decompression_cap_allows_a_body_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    inner = encode_payload(metrics_payload())
    monkeypatch.setattr(compression, "MAX_DECOMPRESSED_BYTES", len(inner))
    assert decode_payload(wrapped(zlib.compress(inner))) == metrics_payload()
    monkeypatch.setattr(compression, "MAX_DECOMPRESSED_BYTES", len(inner) - 1)
    bad(wrapped(zlib.compress(inner)), "expands past")


# ------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    "data",
    [b"\xff", b"\x12\x05\x0a", b"\x08", b"\x12\x03\x50\xff\xff", b"\x0f" * 8],
    ids=["bad-tag", "short-submessage", "missing-varint", "truncated-varint", "bad-wire-type"],
)
def test_protobuf_parse_errors_raise_decode_error(data: bytes) -> None:
    bad(data, "not a Sparkplug B protobuf payload")


def test_deep_nesting_is_a_decode_error() -> None:
    ps = Payload.PropertySet()
    current = ps
    for _ in range(150):
        current.keys.append("k")
        current = current.values.add(type=D.PropertySet).propertyset_value
    pb = Payload()
    pb.metrics.add(name="m", datatype=D.Int32, int_value=1).properties.CopyFrom(ps)
    bad(pb.SerializeToString(), "not a Sparkplug B protobuf payload")


# -------------------------------------------------------------------------------- encoding

ENCODE_CASES = [
    (D.Int8, -128),
    (D.Int16, -300),
    (D.Int32, -12),
    (D.Int64, -(1 << 63)),
    (D.UInt8, 255),
    (D.UInt16, 65535),
    (D.UInt32, U32),
    (D.UInt64, U64),
    (D.Float, 0.25),
    (D.Double, 1e-300),
    (D.Boolean, False),
    (D.String, "\u2713"),
    (D.DateTime, 1_486_144_502_122),
    (D.Text, "t"),
    (D.UUID, "u"),
    (D.Bytes, b""),
    (D.File, b"f"),
    (D.Int8Array, [-1]),
    (D.UInt64Array, [U64]),
    (D.FloatArray, [1.5]),
    (D.BooleanArray, [True] * 17),
    (D.StringArray, ["", "x"]),
    (D.DateTimeArray, [0]),
    (D.DataSet, {"columns": ["a"], "types": [D.Int8], "rows": [[-1], [None]]}),
    (
        D.Template,
        SparkplugTemplate(parameters=[SparkplugParameter("p", D.UInt8, 1)], is_definition=True),
    ),
]


@pytest.mark.parametrize(("datatype", "value"), ENCODE_CASES, ids=[d.name for d, _ in ENCODE_CASES])
def test_encode_decode_round_trip(datatype: DataType, value: object) -> None:
    metric = SparkplugMetric(
        name="m", alias=3, timestamp=9, datatype=datatype, value=value, properties={"Quality": 192}
    )
    payload = SparkplugPayload(timestamp=9, seq=1, metrics=[metric])
    assert decode_payload(encode_payload(payload)) == payload


def test_signed_ints_are_written_sign_extended_to_32_bits() -> None:
    data = encode_payload(
        SparkplugPayload(metrics=[SparkplugMetric(name="m", datatype=D.Int8, value=-12)])
    )
    assert Payload.FromString(data).metrics[0].int_value == 4_294_967_284


def test_encode_without_datatypes_and_resolve_back() -> None:
    payload = SparkplugPayload(
        seq=2, metrics=[SparkplugMetric(alias=1, datatype=D.Int16, value=-2)]
    )
    data = encode_payload(payload, with_datatypes=False)
    assert not Payload.FromString(data).metrics[0].HasField("datatype")
    assert decode_payload(data, lambda name, alias: D.Int16) == payload


def test_encode_properties_infers_types() -> None:
    metric = SparkplugMetric(
        name="m",
        datatype=D.Boolean,
        value=True,
        properties={
            "Quality": 192,
            "big": 1 << 40,
            "huge": U64,
            "f": 0.5,
            "s": "x",
            "b": True,
            "n": None,
            "ps": {"a": 1},
            "psl": [{"a": 1}],
        },
    )
    pb = Payload.FromString(encode_payload(SparkplugPayload(metrics=[metric])))
    types = dict(
        zip(
            pb.metrics[0].properties.keys,
            (v.type for v in pb.metrics[0].properties.values),
            strict=True,
        )
    )
    assert types == {
        "Quality": 3,
        "big": 4,
        "huge": 8,
        "f": 10,
        "s": 12,
        "b": 11,
        "n": 12,
        "ps": 20,
        "psl": 21,
    }
    assert decode_payload(pb.SerializeToString()).metrics[0] == metric


@pytest.mark.parametrize(
    ("datatype", "value"),
    [
        (D.Int8, 128),
        (D.Int8, True),
        (D.UInt8, -1),
        (D.UInt64, 1 << 64),
        (D.Int32, 1.0),
        (D.Float, "1"),
        (D.Float, 1e39),
        (D.Boolean, 1),
        (D.String, b"x"),
        (D.Int8Array, [200]),
        (D.Int8Array, "ab"),
        (D.StringArray, ["a\x00b"]),
        (D.BooleanArray, [1]),
        (D.Unknown, object()),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_encode_rejects_values_that_do_not_fit(datatype: DataType, value: object) -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        encode_payload(
            SparkplugPayload(metrics=[SparkplugMetric(name="m", datatype=datatype, value=value)])
        )


def test_rebirth_request() -> None:
    data = rebirth_request(1_700_000_000_123)
    assert not Payload.FromString(data).HasField("seq")
    assert decode_payload(data) == SparkplugPayload(
        timestamp=1_700_000_000_123,
        metrics=[
            SparkplugMetric(
                name=REBIRTH_METRIC, timestamp=1_700_000_000_123, datatype=D.Boolean, value=True
            )
        ],
    )


# ----------------------------------------------------------------------------------- STATE


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"online": true, "timestamp": 1700000000000}', (True, 1_700_000_000_000)),
        (b'{"online": false, "timestamp": 0}', (False, 0)),
        (b'{"online": true}', (True, None)),
        (b'{"timestamp": 5, "online": false, "extra": 1}', (False, 5)),
        (b"ONLINE", (True, None)),
        (b"OFFLINE\n", (False, None)),
        (encode_state(True, 42), (True, 42)),
    ],
)
def test_parse_state(data: bytes, expected: tuple[bool, int | None]) -> None:
    assert parse_state(data) == expected


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "not JSON"),
        (b"online", "not JSON"),
        (b"\xff\xfe\x00", "not JSON"),
        (b"[" * 100_000, "not JSON"),
        (b"[true]", "not a JSON object"),
        (b"{}", "'online' is None"),
        (b'{"online": "true"}', "'online' is 'true'"),
        (b'{"online": 1}', "'online' is 1"),
        (b'{"online": true, "timestamp": "1"}', "'timestamp' is '1'"),
        (b'{"online": true, "timestamp": -1}', "'timestamp' is -1"),
        (b'{"online": true, "timestamp": 1.5}', "'timestamp' is 1.5"),
        (b'{"online": true, "timestamp": true}', "'timestamp' is True"),
    ],
)
def test_parse_state_rejects_bad_payloads(data: bytes, fragment: str) -> None:
    with pytest.raises(DecodeError, match=fragment) as info:
        parse_state(data)
    assert info.value.reason == "bad_sparkplug_state"


# ---------------------------------------------------------------------------------- topics

GOOD_TOPICS = [
    ("spBv1.0/Plant A/NBIRTH/edge-1", SparkplugTopic(MessageType.NBIRTH, "Plant A", "edge-1")),
    ("spBv1.0/g/NDATA/n", SparkplugTopic(MessageType.NDATA, "g", "n")),
    ("spBv1.0/g/NDEATH/n", SparkplugTopic(MessageType.NDEATH, "g", "n")),
    ("spBv1.0/g/NCMD/n", SparkplugTopic(MessageType.NCMD, "g", "n")),
    ("spBv1.0/g/DBIRTH/n/d", SparkplugTopic(MessageType.DBIRTH, "g", "n", "d")),
    ("spBv1.0/g/DDATA/n/Pump 1", SparkplugTopic(MessageType.DDATA, "g", "n", "Pump 1")),
    ("spBv1.0/g/DDEATH/n/d", SparkplugTopic(MessageType.DDEATH, "g", "n", "d")),
    ("spBv1.0/g/DCMD/n/d", SparkplugTopic(MessageType.DCMD, "g", "n", "d")),
    ("spBv1.0/STATE/scada-host", SparkplugTopic(MessageType.STATE, host_id="scada-host")),
]


@pytest.mark.parametrize(("topic", "expected"), GOOD_TOPICS, ids=[t for t, _ in GOOD_TOPICS])
def test_parse_good_topics(topic: str, expected: SparkplugTopic) -> None:
    parsed = parse_sparkplug_topic(topic)
    assert parsed == expected
    assert str(parsed) == topic
    assert parsed is not None
    assert parsed.namespace == "spBv1.0"
    assert parsed.message_type.has_device == (parsed.device is not None)


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "plant/line/temp",
        "spBv1.0x/g/NDATA/n",
        "spbv1.0/g/NDATA/n",
        "STATE/host",
        "spAv1.0/g/NDATA/n",
        "/spBv1.0/g/NDATA/n",
    ],
)
def test_non_sparkplug_topics_are_none(topic: str) -> None:
    assert parse_sparkplug_topic(topic) is None


BAD_TOPICS = [
    ("spBv1.0", "group segment 1 is missing"),
    ("spBv1.0/g", "message type segment 2 is missing"),
    ("spBv1.0/g/NDATA", "edge node segment 3 is missing"),
    ("spBv1.0/g/DDATA/n", "device segment 4 is missing"),
    ("spBv1.0/g/NDATA/n/d", "NDATA topics have no device segment"),
    ("spBv1.0/g/DDATA/n/d/x", "has 6 segments; at most 5"),
    ("spBv1.0/g/ndata/n", "message type segment 2 is 'ndata', not one of NBIRTH"),
    ("spBv1.0/g/XDATA/n", "message type segment 2 is 'XDATA'"),
    ("spBv1.0//NDATA/n", "group segment 1 is empty"),
    ("spBv1.0/g/NDATA/", "edge node segment 3 is empty"),
    ("spBv1.0/g/DDATA/n/", "device segment 4 is empty"),
    ("spBv1.0/+/NDATA/n", "group segment 1 contains the wildcard '+'"),
    ("spBv1.0/g/NDATA/#", "edge node segment 3 contains the wildcard '#'"),
    ("spBv1.0/STATE", "STATE topic is spBv1.0/STATE/{host_id}, this one has 2 segments"),
    ("spBv1.0/STATE/h/x", "this one has 4 segments"),
    ("spBv1.0/STATE/", "host id segment 2 is empty"),
]


@pytest.mark.parametrize(("topic", "fragment"), BAD_TOPICS, ids=[t for t, _ in BAD_TOPICS])
def test_malformed_sparkplug_topics_raise_topic_error(topic: str, fragment: str) -> None:
    with pytest.raises(TopicError, match=re.escape(fragment)):
        parse_sparkplug_topic(topic)
