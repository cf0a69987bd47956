"""Payload decoders: JSON objects, bare values, Kepware batches, generic record arrays."""

from __future__ import annotations

import dataclasses

import pytest

from uns.errors import DecodeError
from uns.formats import MISSING, Decoder, RawSample, compile_field_path
from uns.formats.json_object import json_object_decoder
from uns.formats.kepware import kepware_decoder
from uns.formats.records import records_decoder
from uns.formats.scalar import scalar_decoder

DOC = {
    "value": 72.4,
    "nothing": None,
    "data": {"value": 1, "list": [10, 20, {"v": 30}], "0": "zero-key"},
    "values": [{"v": "a"}, {"v": "b"}],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("value", 72.4, id="key"),
        pytest.param("$.value", 72.4, id="dollar-prefix"),
        pytest.param("data.value", 1, id="nested"),
        pytest.param("values.0.v", "a", id="index"),
        pytest.param("values[1].v", "b", id="brackets"),
        pytest.param("data.list.-1.v", 30, id="negative-index"),
        pytest.param("data.0", "zero-key", id="digit-key-on-dict"),
        pytest.param("nothing", None, id="null-is-not-missing"),
        pytest.param("$", DOC, id="root"),
        pytest.param("absent", MISSING, id="absent"),
        pytest.param("data.absent", MISSING, id="absent-nested"),
        pytest.param("nothing.deeper", MISSING, id="through-null"),
        pytest.param("value.deeper", MISSING, id="through-scalar"),
        pytest.param("values.2.v", MISSING, id="index-out-of-range"),
        pytest.param("values.-3", MISSING, id="negative-out-of-range"),
        pytest.param("values.v", MISSING, id="key-on-list"),
    ],
)
def test_field_path(path: str, expected: object) -> None:
    assert compile_field_path(path)(DOC) == expected


def test_single_key_path_on_a_non_object_is_missing() -> None:
    assert compile_field_path("value")([1, 2]) is MISSING


@pytest.mark.parametrize("path", ["", "  ", "a..b", "a.", ".a"])
def test_bad_field_path_fails_at_setup(path: str) -> None:
    with pytest.raises(ValueError, match="field path"):
        compile_field_path(path)


# 118 bytes: the size the micro-benchmark uses
TYPICAL = (
    b'{"value": 72.4, "timestamp": "2026-03-29T01:59:59.999Z", "quality": 192, '
    b'"unit": "degC", "tag": "TT101.PV", "seq": 12}'
)


def test_typical_payload_is_118_bytes() -> None:
    assert len(TYPICAL) == 118


JSON_OBJECTS = [
    pytest.param({}, TYPICAL, RawSample(None, 72.4, "2026-03-29T01:59:59.999Z", 192), id="typical"),
    pytest.param({}, b'{"value": 1}', RawSample(None, 1, None, None), id="only-value"),
    pytest.param(
        {}, b'{"value": null, "timestamp": null}', RawSample(None, None, None, None), id="nulls"
    ),
    pytest.param(
        {"value": "data.v", "timestamp": "data.ts", "quality": "data.q"},
        b'{"data": {"v": "RUN", "ts": 1774749599999, "q": "Good"}}',
        RawSample(None, "RUN", 1774749599999, "Good"),
        id="nested-paths",
    ),
    pytest.param(
        {"value": "$.v", "timestamp": None, "quality": None, "name": "tag"},
        b'{"v": 1, "tag": "TT101.PV", "timestamp": 5, "quality": 0}',
        RawSample("TT101.PV", 1, None, None),
        id="name-and-ignored-fields",
    ),
    pytest.param(
        {"name": "id"}, b'{"value": 1, "id": 101}', RawSample("101", 1, None, None), id="int-name"
    ),
    pytest.param(
        {},
        b'{"value": 12345678901234567890}',
        RawSample(None, 12345678901234567890, None, None),
        id="u64-exact",
    ),
    pytest.param({}, b'{"value": {"x": 1}}', RawSample(None, {"x": 1}, None, None), id="struct"),
]


@pytest.mark.parametrize(("options", "payload", "expected"), JSON_OBJECTS)
def test_json_object_decoder(
    options: dict[str, str | None], payload: bytes, expected: RawSample
) -> None:
    assert json_object_decoder(**options)(payload) == [expected]  # type: ignore[arg-type]


SCALARS = [
    pytest.param(b"72.4", 72.4, id="number"),
    pytest.param(b" 72.4\n", 72.4, id="number-padded"),
    pytest.param(b"-3", -3, id="int"),
    pytest.param(b"true", True, id="true"),
    pytest.param(b'"RUN"', "RUN", id="json-string"),
    pytest.param(b"RUN", "RUN", id="text"),
    pytest.param(b"  RUN \r\n", "RUN", id="text-padded"),
    pytest.param(b"72,4", "72,4", id="text-decimal-comma-left-to-coercer"),
    pytest.param("Kühlung".encode(), "Kühlung", id="text-utf8"),
    pytest.param(b"null", None, id="null"),
]


@pytest.mark.parametrize(("payload", "value"), SCALARS)
def test_scalar_decoder(payload: bytes, value: object) -> None:
    assert scalar_decoder()(payload) == [RawSample(None, value, None, None)]


KEPWARE_ENVELOPE = b"""{"timestamp": 1774749600000, "values": [
  {"id": "Channel1.Device1.Tag1", "v": 72.4, "q": true, "t": 1774749599999},
  {"id": "Channel1.Device1.Tag2", "v": "RUN", "q": false},
  {"id": "Channel1.Device1.Tag3", "v": 3, "q": true, "t": null}
]}"""


def test_kepware_per_value_time_wins_over_envelope() -> None:
    assert kepware_decoder()(KEPWARE_ENVELOPE) == [
        RawSample("Channel1.Device1.Tag1", 72.4, 1774749599999, True),
        RawSample("Channel1.Device1.Tag2", "RUN", 1774749600000, False),
        RawSample("Channel1.Device1.Tag3", 3, 1774749600000, True),
    ]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(b'{"values": []}', [], id="empty-batch"),
        pytest.param(
            b'{"values": [{"id": "a", "v": 1}]}', [RawSample("a", 1, None, None)], id="no-times"
        ),
        pytest.param(
            b'{"values": [{"id": 7, "v": 1, "q": 192}]}',
            [RawSample("7", 1, None, 192)],
            id="int-id",
        ),
    ],
)
def test_kepware_edge_cases(payload: bytes, expected: list[RawSample]) -> None:
    assert kepware_decoder()(payload) == expected


def test_records_decoder_nested_array_with_envelope_time() -> None:
    decode = records_decoder(
        "body.rows",
        name="tag",
        value="reading.v",
        timestamp="ts",
        quality="status",
        envelope_timestamp="header.sent",
    )
    payload = b"""{"header": {"sent": "2026-03-29T02:00:00Z"}, "body": {"rows": [
        {"tag": "FT1", "reading": {"v": 1.5}, "ts": "2026-03-29T01:59:59.999Z", "status": "Good"},
        {"tag": "FT2", "reading": {"v": 2.5}}
    ]}}"""
    assert decode(payload) == [
        RawSample("FT1", 1.5, "2026-03-29T01:59:59.999Z", "Good"),
        RawSample("FT2", 2.5, "2026-03-29T02:00:00Z", None),
    ]


def test_records_decoder_top_level_array_of_bare_values() -> None:
    assert records_decoder("$", value="$")(b"[1, 2.5, null]") == [
        RawSample(None, 1, None, None),
        RawSample(None, 2.5, None, None),
        RawSample(None, None, None, None),
    ]


ERRORS = [
    # (decoder name, payload, reason)
    pytest.param("object", b"", "empty_payload", id="object-empty"),
    pytest.param("object", b" \n\t", "empty_payload", id="object-whitespace"),
    pytest.param("object", b"\xff\xfe{}", "not_utf8", id="object-binary"),
    pytest.param("object", b'{"value": "\xe9"}', "not_utf8", id="object-latin1"),
    pytest.param("object", b"{", "bad_json", id="object-truncated"),
    pytest.param("object", b'{"value": NaN}', "bad_json", id="object-nan-literal"),
    pytest.param("object", b'{"value": 1e999}', "bad_json", id="object-inf-number"),
    pytest.param("object", b"[1]", "bad_shape", id="object-array"),
    pytest.param("object", b"72.4", "bad_shape", id="object-scalar"),
    pytest.param("object", b'{"v": 1}', "missing_value", id="object-missing-value"),
    pytest.param("object-named", b'{"value": 1}', "missing_name", id="object-missing-name"),
    pytest.param("object-named", b'{"value": 1, "id": ""}', "missing_name", id="object-empty-name"),
    pytest.param("object-named", b'{"value": 1, "id": [1]}', "bad_shape", id="object-list-name"),
    pytest.param("object-named", b'{"value": 1, "id": true}', "bad_shape", id="object-bool-name"),
    pytest.param("scalar", b"", "empty_payload", id="scalar-empty"),
    pytest.param("scalar", b"  \r\n", "empty_payload", id="scalar-whitespace"),
    pytest.param("scalar", b"\x00\xff", "not_utf8", id="scalar-binary"),
    pytest.param("scalar", b'{"value": 1}', "bad_shape", id="scalar-object"),
    pytest.param("scalar", b"[1, 2]", "bad_shape", id="scalar-array"),
    pytest.param("scalar", b"{broken", "bad_json", id="scalar-broken-object"),
    pytest.param("scalar", b'"unterminated', "bad_json", id="scalar-broken-string"),
    pytest.param("kepware", b'{"timestamp": 1}', "bad_shape", id="kepware-no-values"),
    pytest.param("kepware", b'{"values": {"id": "a"}}', "bad_shape", id="kepware-values-object"),
    pytest.param("kepware", b"[]", "bad_shape", id="kepware-array"),
    pytest.param("small", b'{"value": 1234567890}', "payload_too_large", id="too-large"),
    # records with nested paths take the generic (getter) path
    pytest.param("nested", b'{"body": {"rows": {}}}', "bad_shape", id="nested-rows-object"),
]

# A bad record is no longer an error of the whole batch (issue 12): it becomes a sample whose
# value is the DecodeError, with the same reason, and the other records are decoded.
RECORD_ERRORS = [
    pytest.param("kepware", b'{"values": [1]}', "bad_shape", id="kepware-value-not-object"),
    pytest.param("kepware", b'{"values": [{"id": "a"}]}', "missing_value", id="kepware-no-v"),
    pytest.param("kepware", b'{"values": [{"v": 1}]}', "missing_name", id="kepware-no-id"),
    pytest.param("nested", b'{"body": {"rows": [7]}}', "bad_shape", id="nested-record-not-object"),
    pytest.param(
        "nested", b'{"body": {"rows": [{"tag": "a"}]}}', "missing_value", id="nested-no-v"
    ),
    pytest.param(
        "nested", b'{"body": {"rows": [{"reading": {"v": 1}}]}}', "missing_name", id="nested-no-tag"
    ),
    pytest.param(
        "nested",
        b'{"body": {"rows": [{"tag": 1.5, "reading": {"v": 1}}]}}',
        "bad_shape",
        id="nested-float-tag",
    ),
]


def _decoder(name: str) -> Decoder:
    return {
        "object": json_object_decoder(),
        "object-named": json_object_decoder(name="id"),
        "scalar": scalar_decoder(),
        "kepware": kepware_decoder(),
        "small": json_object_decoder(max_size=16),
        "nested": records_decoder("body.rows", name="tag", value="reading.v"),
    }[name]


@pytest.mark.parametrize(("decoder", "payload", "reason"), ERRORS)
def test_decode_errors(decoder: str, payload: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        _decoder(decoder)(payload)
    assert info.value.reason == reason


def test_too_large_is_checked_before_parsing() -> None:
    decode = scalar_decoder(max_size=4)
    assert decode(b"1234") == [RawSample(None, 1234, None, None)]
    with pytest.raises(DecodeError) as info:
        decode(b"12345")
    assert info.value.reason == "payload_too_large"


@pytest.mark.parametrize(("decoder", "payload", "reason"), RECORD_ERRORS)
def test_bad_record_is_a_failed_sample(decoder: str, payload: bytes, reason: str) -> None:
    [sample] = _decoder(decoder)(payload)
    assert isinstance(sample.value, DecodeError)
    assert sample.value.reason == reason
    assert sample.value.detail.startswith("record 0: ")
    assert sample.name is None


def test_one_bad_record_does_not_fail_the_batch() -> None:
    payload = b'{"values": [{"id": "a", "v": 1}, {"id": "b"}, {"id": "c", "v": 3}]}'
    first, failed, last = kepware_decoder()(payload)
    assert (first.name, first.value) == ("a", 1)
    assert (last.name, last.value) == ("c", 3)
    assert isinstance(failed.value, DecodeError)
    assert failed.value.reason == "missing_value"
    assert "record 1" in failed.value.detail


@pytest.mark.parametrize(
    "payload",
    [
        # OPC UA Part 6 JSON: a bad-status DataValue leaves Value out, StatusCode as a number
        b'{"values": [{"id": "a", "q": 2156527616}]}',
        # ... or, in the 1.05 encoding, as an object with its symbol
        b'{"values": [{"id": "a", "q": {"Code": 2156527616, "Symbol": "BadSensorFailure"}}]}',
    ],
)
def test_record_without_value_but_with_quality_is_kept_for_the_pipeline(payload: bytes) -> None:
    [sample] = kepware_decoder()(payload)
    assert sample.name == "a"
    assert sample.value is MISSING
    assert sample.quality is not None


def test_object_without_value_but_with_quality_is_kept_for_the_pipeline() -> None:
    doc = b'{"SourceTimestamp": "2026-03-24T10:00:00Z", "StatusCode": 2156527616}'
    decode = json_object_decoder(value="Value", timestamp="SourceTimestamp", quality="StatusCode")
    [sample] = decode(doc)
    assert sample.value is MISSING
    assert sample.quality == 2156527616
    with pytest.raises(DecodeError) as info:  # no value and no quality: nothing to publish
        decode(b'{"SourceTimestamp": "2026-03-24T10:00:00Z"}')
    assert info.value.reason == "missing_value"


def test_raw_sample_is_frozen_and_slotted() -> None:
    sample = RawSample("a", 1, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.value = 2  # type: ignore[misc]
    assert not hasattr(sample, "__dict__")


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=lambda w: w.__name__)
def test_decoders_take_any_bytes_like(wrap: type) -> None:
    assert scalar_decoder()(wrap(b"RUN")) == [RawSample(None, "RUN", None, None)]
    assert scalar_decoder()(wrap(b"72.4")) == [RawSample(None, 72.4, None, None)]
    assert json_object_decoder()(wrap(b'{"value": 1}')) == [RawSample(None, 1, None, None)]
    with pytest.raises(DecodeError) as info:
        scalar_decoder()(wrap(b"\xff"))
    assert info.value.reason == "not_utf8"
