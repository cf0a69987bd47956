"""Value coercion to the declared datatype, without losing precision or guessing."""

from __future__ import annotations

import pytest

from uns.errors import DecodeError
from uns.normalize.values import Datatype, compile_coercer

BIG = 12345678901234567890  # above 2**63, below 2**64; a float would round it

CASES = [
    # float
    pytest.param("float", 72.4, 72.4, id="float-float"),
    pytest.param("float", 72, 72.0, id="float-int"),
    pytest.param("float", "72.40", 72.4, id="float-str"),
    pytest.param("float", " -1e3 ", -1000.0, id="float-str-exponent"),
    pytest.param("float", "12", 12.0, id="float-str-int"),
    pytest.param("float", True, 1.0, id="float-true"),
    pytest.param("float", False, 0.0, id="float-false"),
    # int
    pytest.param("int", 12, 12, id="int-int"),
    pytest.param("int", 12.0, 12, id="int-integral-float"),
    pytest.param("int", "12", 12, id="int-str"),
    pytest.param("int", "-12", -12, id="int-negative-str"),
    pytest.param("int", "+7", 7, id="int-plus-str"),
    pytest.param("int", "12.0", 12, id="int-str-integral-decimal"),
    pytest.param("int", "1e3", 1000, id="int-str-exponent"),
    pytest.param("int", str(BIG), BIG, id="int-big-str-exact"),
    pytest.param("int", BIG, BIG, id="int-big-int"),
    pytest.param("int", -(2**63), -(2**63), id="int-min-int64"),
    pytest.param("int", True, 1, id="int-true"),
    # bool
    pytest.param("bool", True, True, id="bool-true"),
    pytest.param("bool", False, False, id="bool-false"),
    pytest.param("bool", 1, True, id="bool-1"),
    pytest.param("bool", 0, False, id="bool-0"),
    pytest.param("bool", 1.0, True, id="bool-1.0"),
    pytest.param("bool", "true", True, id="bool-true-str"),
    pytest.param("bool", "FALSE", False, id="bool-FALSE-str"),
    pytest.param("bool", " True ", True, id="bool-padded"),
    pytest.param("bool", "1", True, id="bool-1-str"),
    pytest.param("bool", "0", False, id="bool-0-str"),
    # string
    pytest.param("string", "RUN", "RUN", id="string-str"),
    pytest.param("string", " RUN ", " RUN ", id="string-keeps-spaces"),
    pytest.param("string", 72.4, "72.4", id="string-float-shortest"),
    pytest.param("string", 42, "42", id="string-int"),
    pytest.param("string", BIG, str(BIG), id="string-big-int"),
    pytest.param("string", True, "true", id="string-true-json-style"),
    pytest.param("string", False, "false", id="string-false"),
]


@pytest.mark.parametrize(("datatype", "raw", "expected"), CASES)
def test_coerces(datatype: Datatype, raw: object, expected: object) -> None:
    result = compile_coercer(datatype)(raw)
    assert result == expected
    assert type(result) is type(expected)


ERRORS = [
    pytest.param("float", float("nan"), id="float-nan"),
    pytest.param("float", float("inf"), id="float-inf"),
    pytest.param("float", "nan", id="float-nan-str"),
    pytest.param("float", "-Infinity", id="float-inf-str"),
    pytest.param("float", "1e999", id="float-overflow-str"),
    pytest.param("float", 10**400, id="float-overflow-int"),
    pytest.param("float", "1,5", id="float-decimal-comma"),
    pytest.param("float", "1_000", id="float-underscore"),
    pytest.param("float", "", id="float-empty"),
    pytest.param("float", "RUN", id="float-word"),
    pytest.param("int", 12.5, id="int-fraction"),
    pytest.param("int", "12.5", id="int-fraction-str"),
    pytest.param("int", float("nan"), id="int-nan"),
    pytest.param("int", "NaN", id="int-nan-str"),
    pytest.param("int", "inf", id="int-inf-str"),
    pytest.param("int", "1_000", id="int-underscore"),
    pytest.param("int", "1e99999", id="int-exponent-too-big"),
    pytest.param("int", "9" * 5000, id="int-too-many-digits"),
    pytest.param("int", "0x10", id="int-hex"),
    # Beyond 64 bits no JSON consumer (nor orjson) carries it exactly: refused, not rounded.
    pytest.param("int", "123456789012345678901234567890", id="int-huge"),
    pytest.param("int", "1234567890123456789012.0", id="int-huge-decimal"),
    pytest.param("int", -(2**63) - 1, id="int-below-int64"),
    pytest.param("int", 2**64, id="int-above-uint64"),
    pytest.param("int", 1e300, id="int-huge-float"),
    pytest.param("bool", 2, id="bool-2"),
    pytest.param("bool", 0.5, id="bool-0.5"),
    pytest.param("bool", "on", id="bool-on"),
    pytest.param("bool", "RUN", id="bool-RUN"),
    pytest.param("bool", "yes", id="bool-yes"),
    pytest.param("string", float("nan"), id="string-nan"),
    pytest.param("string", float("-inf"), id="string-inf"),
]
for _datatype in ("float", "int", "bool", "string"):
    ERRORS += [
        pytest.param(_datatype, None, id=f"{_datatype}-none"),
        pytest.param(_datatype, {"v": 1}, id=f"{_datatype}-dict"),
        pytest.param(_datatype, [1], id=f"{_datatype}-list"),
        pytest.param(_datatype, b"1", id=f"{_datatype}-bytes"),
    ]


@pytest.mark.parametrize(("datatype", "raw"), ERRORS)
def test_rejects_with_bad_value(datatype: Datatype, raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        compile_coercer(datatype)(raw)
    assert info.value.reason == "bad_value"


def test_unknown_datatype_fails_at_setup() -> None:
    with pytest.raises(ValueError, match="unknown datatype 'double'"):
        compile_coercer("double")
