"""Quality parsing: OPC UA, OPC DA, booleans and names reduced to good / uncertain / bad."""

from __future__ import annotations

import pytest

from uns.errors import DecodeError
from uns.normalize.quality import QualityKind, compile_quality_parser

# OPC UA status codes, from the specification's StatusCode table.
UA_GOOD = 0x0000_0000
UA_GOOD_LOCAL_OVERRIDE = 0x0096_0000
UA_UNCERTAIN = 0x4000_0000
UA_UNCERTAIN_LAST_USABLE = 0x4090_0000
UA_BAD = 0x8000_0000
UA_BAD_NO_COMMUNICATION = 0x8031_0000

CASES = [
    # auto: booleans and names
    pytest.param("auto", None, "good", id="none-default"),
    pytest.param("auto", True, "good", id="true"),
    pytest.param("auto", False, "bad", id="false"),
    pytest.param("auto", "Good", "good", id="Good"),
    pytest.param("auto", "GOOD", "good", id="GOOD"),
    pytest.param("auto", " good ", "good", id="good-padded"),
    pytest.param("auto", "GoodLocalOverride", "good", id="GoodLocalOverride"),
    pytest.param("auto", "Good+Good+NotLimited", "good", id="Good+Good+NotLimited"),
    pytest.param("auto", "BadNoCommunication", "bad", id="BadNoCommunication"),
    pytest.param("auto", "Bad - Comm Failure", "bad", id="da-text-bad"),
    pytest.param("auto", "UncertainLastUsableValue", "uncertain", id="UncertainLastUsable"),
    pytest.param("auto", "uncertain", "uncertain", id="uncertain-word"),
    pytest.param("auto", "true", "good", id="true-str"),
    pytest.param("auto", "FALSE", "bad", id="false-str"),
    # auto: 0..255 is OPC DA
    pytest.param("auto", 192, "good", id="da-192"),
    pytest.param("auto", 216, "good", id="da-local-override-216"),
    pytest.param("auto", 255, "good", id="da-255"),
    pytest.param("auto", 64, "uncertain", id="da-64"),
    pytest.param("auto", 68, "uncertain", id="da-last-usable-68"),
    pytest.param("auto", 0, "bad", id="da-0"),
    pytest.param("auto", 24, "bad", id="da-comm-failure-24"),
    pytest.param("auto", 128, "bad", id="da-undefined-10-bits"),
    pytest.param("auto", 192.0, "good", id="da-float"),
    pytest.param("auto", "192", "good", id="da-str"),
    pytest.param("auto", "0", "bad", id="da-str-0"),
    # auto: larger numbers and hex are OPC UA
    pytest.param("auto", UA_GOOD_LOCAL_OVERRIDE, "good", id="ua-GoodLocalOverride"),
    pytest.param("auto", UA_UNCERTAIN_LAST_USABLE, "uncertain", id="ua-UncertainLastUsable"),
    pytest.param("auto", UA_BAD, "bad", id="ua-Bad"),
    pytest.param("auto", UA_BAD_NO_COMMUNICATION, "bad", id="ua-BadNoCommunication"),
    pytest.param("auto", 0xC000_0000, "bad", id="ua-reserved-11"),
    pytest.param("auto", -(2**31), "bad", id="ua-sign-extended-int32"),
    pytest.param("auto", -1, "bad", id="ua-minus-1-is-0xffffffff"),
    pytest.param("auto", str(UA_BAD), "bad", id="ua-decimal-str"),
    pytest.param("auto", "0x80000000", "bad", id="hex-bad"),
    pytest.param("auto", "0X40000000", "uncertain", id="hex-upper"),
    pytest.param("auto", "0x00000000", "good", id="hex-good"),
    pytest.param("auto", "0x00", "good", id="hex-is-ua-even-when-small"),
    # opcua: every number is a status code, so 0 is Good
    pytest.param("opcua", UA_GOOD, "good", id="opcua-0"),
    pytest.param("opcua", 192, "good", id="opcua-192-severity-00"),
    pytest.param("opcua", UA_UNCERTAIN, "uncertain", id="opcua-uncertain"),
    pytest.param("opcua", UA_BAD_NO_COMMUNICATION, "bad", id="opcua-bad"),
    pytest.param("opcua", "BadNoCommunication", "bad", id="opcua-name"),
    pytest.param("opcua", "0", "good", id="opcua-str-0"),
    # opcda: the low byte of a 16-bit word
    pytest.param("opcda", 0, "bad", id="opcda-0"),
    pytest.param("opcda", 192, "good", id="opcda-192"),
    pytest.param("opcda", 0x01C0, "good", id="opcda-vendor-high-byte"),
    pytest.param("opcda", 0x0044, "uncertain", id="opcda-68"),
    pytest.param("opcda", "0xC0", "good", id="opcda-hex"),
    pytest.param("opcda", "0x00", "bad", id="opcda-hex-0"),
    pytest.param("opcda", "Good", "good", id="opcda-name"),
    # bool
    pytest.param("bool", True, "good", id="bool-true"),
    pytest.param("bool", False, "bad", id="bool-false"),
    pytest.param("bool", 1, "good", id="bool-1"),
    pytest.param("bool", 0, "bad", id="bool-0"),
    pytest.param("bool", "true", "good", id="bool-str"),
    pytest.param("bool", "1", "good", id="bool-str-1"),
    # string
    pytest.param("string", "good", "good", id="string-good"),
    pytest.param("string", "Uncertain (sensor cal)", "uncertain", id="string-uncertain"),
    pytest.param("string", True, "good", id="string-bool"),
]


@pytest.mark.parametrize(("kind", "raw", "expected"), CASES)
def test_quality(kind: QualityKind, raw: object, expected: str) -> None:
    parser = compile_quality_parser(kind)
    assert parser(raw) == expected
    assert parser(raw) == expected  # strings come from the cache the second time


@pytest.mark.parametrize("default", ["good", "uncertain", "bad"])
def test_missing_quality_is_the_default(default: str) -> None:
    assert compile_quality_parser("auto", default)(None) == default


ERRORS = [
    pytest.param("auto", "ok", id="ok-is-not-a-name"),
    pytest.param("auto", "", id="empty"),
    pytest.param("auto", "garbage", id="word"),
    pytest.param("auto", "0xZZ", id="bad-hex"),
    pytest.param("auto", "0x", id="hex-no-digits"),
    pytest.param("auto", 2**32, id="above-32-bit"),
    pytest.param("auto", -(2**31) - 1, id="below-int32"),
    pytest.param("auto", 192.5, id="fraction"),
    pytest.param("auto", float("nan"), id="nan"),
    pytest.param("auto", float("inf"), id="inf"),
    pytest.param("auto", [], id="list"),
    pytest.param("auto", {"q": 192}, id="dict"),
    pytest.param("auto", b"good", id="bytes"),
    pytest.param("opcda", 70_000, id="opcda-above-16-bit"),
    pytest.param("opcda", -1, id="opcda-negative"),
    pytest.param("bool", 2, id="bool-2"),
    pytest.param("bool", 192, id="bool-192"),
    pytest.param("string", 192, id="string-number"),
    pytest.param("string", "192", id="string-digits"),
    pytest.param("string", "true", id="string-true-word"),
    pytest.param("opcua", "true", id="opcua-true-word"),
]


@pytest.mark.parametrize(("kind", "raw"), ERRORS)
def test_unrecognised_raises_bad_quality(kind: QualityKind, raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        compile_quality_parser(kind)(raw)
    assert info.value.reason == "bad_quality"


def test_string_cache_stays_bounded_and_correct() -> None:
    parser = compile_quality_parser()
    for i in range(3000):  # more distinct spellings than the cache holds
        assert parser(f"Good#{i}") == "good"
    assert parser("Bad") == "bad"


@pytest.mark.parametrize(
    ("kind", "default", "fragment"),
    [
        pytest.param("opc", "good", "unknown quality kind", id="kind"),
        pytest.param("auto", "ok", "quality default", id="default"),
    ],
)
def test_bad_setup_raises_value_error(kind: str, default: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        compile_quality_parser(kind, default)  # type: ignore[arg-type]


# Siemens Industrial Edge Common Databus Payload, field `qc`: 0 BAD, 1 UNCERTAIN,
# 2 GOOD (non-cascade), 3 GOOD (cascade).
DATABUS = [
    pytest.param(0, "bad", id="qc-0-bad"),
    pytest.param(1, "uncertain", id="qc-1-uncertain"),
    pytest.param(2, "good", id="qc-2-good-non-cascade"),
    pytest.param(3, "good", id="qc-3-good-cascade"),
    pytest.param("3", "good", id="qc-digit-string"),
    pytest.param(3.0, "good", id="qc-float"),
    pytest.param("GOOD", "good", id="qc-name"),
    pytest.param(None, "good", id="qc-absent"),
]


@pytest.mark.parametrize(("raw", "expected"), DATABUS)
def test_databus_qc_codes(raw: object, expected: str) -> None:
    assert compile_quality_parser("databus")(raw) == expected


@pytest.mark.parametrize("raw", [4, -1, 192, "7"])
def test_databus_qc_outside_0_to_3_is_refused(raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        compile_quality_parser("databus")(raw)
    assert info.value.reason == "bad_quality"


def test_databus_qx_low_byte_reads_as_opc_da() -> None:
    # qx: quality bits 7-6 as in OPC DA, flags in the high byte (ignored).
    parse = compile_quality_parser("opcda")
    assert parse(0x10C0) == "good"
    assert parse(0x0044) == "uncertain"
    assert parse(0x0018) == "bad"


# OPC UA Part 6 JSON encoding: a StatusCode as an object (Code left out when 0).
STATUS_OBJECTS = [
    pytest.param({"Code": UA_BAD_NO_COMMUNICATION, "Symbol": "BadNoCommunication"}, "bad"),
    pytest.param({"Code": UA_UNCERTAIN_LAST_USABLE}, "uncertain"),
    pytest.param({"Code": UA_GOOD_LOCAL_OVERRIDE, "Symbol": "GoodLocalOverride"}, "good"),
    pytest.param({"Symbol": "BadSensorFailure"}, "bad"),
]


@pytest.mark.parametrize("kind", ["auto", "opcua", "opcda"])
@pytest.mark.parametrize(("raw", "expected"), STATUS_OBJECTS)
def test_opcua_status_objects(kind: QualityKind, raw: object, expected: str) -> None:
    assert compile_quality_parser(kind)(raw) == expected


@pytest.mark.parametrize(
    "raw", [{}, {"Code": "bad"}, {"Code": 2**40}, {"Code": 0, "Extra": 1}, {"Symbol": 3}]
)
def test_malformed_status_objects_are_refused(raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        compile_quality_parser("auto")(raw)
    assert info.value.reason == "bad_quality"
