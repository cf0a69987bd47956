"""Source quality: reduce every vendor's quality flag to `good`, `uncertain` or `bad`.

`compile_quality_parser(kind, default)` is called once per binding and returns
`(raw) -> "good" | "uncertain" | "bad"`. `None` (no quality field) gives `default`;
anything unrecognised raises `DecodeError("bad_quality", ...)`.

What each form means:

- OPC UA StatusCode (32 bit): the severity is the top two bits, `00` good, `01` uncertain,
  `10` bad (`11` is reserved and read as bad). Negative numbers down to -2**31 are taken as
  a sign-extended Int32 (some clients publish `0x80000000` as -2147483648).
  Hex strings such as `"0x80310000"` are always OPC UA codes.
- OPC DA quality (16 bit, the low byte is `QQSSSSLL`): bits 7-6 `11` good (192..255),
  `01` uncertain (64..127), `00` bad (0..63, e.g. 0, 8, 24); `10` is not defined by DA and is
  read as bad. The high byte is vendor specific and ignored.
- Booleans: true good, false bad. The strings `"true"` / `"false"` too (kinds auto, bool).
- OPC UA JSON StatusCode objects (Part 6, JSON encoding): `{"Code": 2156527616, "Symbol":
  "BadSensorFailure"}`; an absent `Code` is 0 (Good), a `Symbol` alone is read as a name.
- Names, case-insensitive: anything starting with `good`, `uncertain` or `bad`, which
  covers OPC UA symbolic names (`GoodLocalOverride`, `BadNoCommunication`,
  `UncertainLastUsableValue`), OPC UA / DA text (`Good+Good+NotLimited`, `Bad - Comm
  Failure`) and plain words.

`kind` only changes how *numbers* (and decimal digit strings) are read; booleans and names
mean the same in every kind:

- `auto`: 0..255 is OPC DA, larger (or negative) is OPC UA. This is a guess with one known
  conflict: OPC UA Good is 0 while OPC DA 0 is Bad. Small values are read as DA because
  every named OPC UA code other than Good has its sub-code in the upper 16 bits (the
  smallest, GoodSubscriptionTransferred, is 0x002D0000), so in 0..255 OPC UA has only Good
  (plus rare historian info bits) while every DA quality lives there. A source that sends
  numeric OPC UA codes should set `kind: opcua` in its binding, which also makes 0 good.
- `opcua`: every number is a StatusCode.
- `opcda`: every number is a DA quality word (0..65535).
- `bool`: 1 good, 0 bad, other numbers are errors.
- `string`: names only; numbers are errors.
- `databus`: Siemens Industrial Edge Common Databus Payload `qc` codes: 0 bad, 1 uncertain,
  2 good (non-cascade), 3 good (cascade); other numbers are errors. (Its 16-bit `qx` field
  carries an OPC DA quality byte in the low byte: read `qx` with `opcda`.)

Whatever the form, the pipeline also keeps the raw quality in the payload's `source.quality`,
so nothing is lost in the reduction to three words.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, Literal, get_args

from uns.errors import DecodeError, excerpt

__all__ = ["Quality", "QualityKind", "QualityParser", "compile_quality_parser"]

Quality = Literal["good", "uncertain", "bad"]
QualityKind = Literal["auto", "opcua", "opcda", "bool", "string", "databus"]
QualityParser = Callable[[object], Quality]

_GOOD: Final = "good"
_UNCERTAIN: Final = "uncertain"
_BAD: Final = "bad"
_UA_SEVERITY: Final[tuple[Quality, Quality, Quality, Quality]] = (_GOOD, _UNCERTAIN, _BAD, _BAD)
_INT32_MIN: Final = -(2**31)
_UINT32_END: Final = 2**32
_STATUS_KEYS: Final = frozenset({"Code", "Symbol"})  # OPC UA JSON StatusCode object
_STRING_CACHE_MAX: Final = 1024  # distinct spellings per binding are few; bound it anyway


def _bad(raw: object, why: str) -> DecodeError:
    return DecodeError("bad_quality", f"{why}: {excerpt(raw)}")


def _opcua(code: int, raw: object) -> Quality:
    if not _INT32_MIN <= code < _UINT32_END:
        raise _bad(raw, "OPC UA status code out of 32-bit range")
    return _UA_SEVERITY[(code & 0xFFFFFFFF) >> 30]


def _opcda(word: int, raw: object) -> Quality:
    if not 0 <= word <= 0xFFFF:
        raise _bad(raw, "OPC DA quality out of 0..65535")
    bits = word & 0xC0
    if bits == 0xC0:
        return _GOOD
    if bits == 0x40:
        return _UNCERTAIN
    return _BAD


def _auto(number: int, raw: object) -> Quality:
    if 0 <= number <= 0xFF:
        return _opcda(number, raw)
    return _opcua(number, raw)


def _boolean(number: int, raw: object) -> Quality:
    if number == 1:
        return _GOOD
    if number == 0:
        return _BAD
    raise _bad(raw, "a boolean quality must be 0 or 1")


_DATABUS_QC: Final[tuple[Quality, Quality, Quality, Quality]] = (_BAD, _UNCERTAIN, _GOOD, _GOOD)


def _databus(code: int, raw: object) -> Quality:
    if not 0 <= code <= 3:
        raise _bad(raw, "a Databus qc code must be 0, 1, 2 or 3")
    return _DATABUS_QC[code]


def _names_only(number: int, raw: object) -> Quality:
    raise _bad(raw, "expected a quality name, got a number")


def _status_object(raw: dict[object, object], parse_text: Callable[[str], Quality]) -> Quality:
    """OPC UA JSON `{"Code": 2150694912, "Symbol": "BadNoCommunication"}`; Code 0 is left out."""
    if not raw or not raw.keys() <= _STATUS_KEYS:
        raise _bad(raw, "an OPC UA StatusCode object has only 'Code' and 'Symbol'")
    symbol = raw.get("Symbol", "")
    if type(symbol) is not str:
        raise _bad(raw, "an OPC UA StatusCode 'Symbol' is a string")
    if "Code" not in raw:
        return parse_text(symbol)
    code = raw["Code"]
    if type(code) is int:
        return _opcua(code, raw)
    raise _bad(raw, "an OPC UA StatusCode object needs an integer 'Code'")


_NUMBER_READERS: Final[dict[str, Callable[[int, object], Quality]]] = {
    "auto": _auto,
    "opcua": _opcua,
    "opcda": _opcda,
    "bool": _boolean,
    "string": _names_only,
    "databus": _databus,
}


def compile_quality_parser(kind: QualityKind = "auto", default: str = "good") -> QualityParser:
    """Build a quality parser for one binding; bad `kind` or `default` raise ValueError."""
    if kind not in _NUMBER_READERS:
        raise ValueError(f"unknown quality kind {kind!r}: use one of {get_args(QualityKind)}")
    if default not in get_args(Quality):
        raise ValueError(f"quality default {default!r} must be good, uncertain or bad")
    fallback: Quality = default  # type: ignore[assignment]  # checked just above
    read_number = _NUMBER_READERS[kind]
    # Precomputed answers for 0..255, the range most numeric qualities come in.
    small: tuple[Quality, ...] = ()
    if kind in ("auto", "opcda", "opcua"):
        small = tuple(read_number(number, number) for number in range(256))
    read_hex = _opcda if kind == "opcda" else _opcua  # hex is the OPC UA convention
    words_are_bools = kind in ("auto", "bool")
    cache: dict[str, Quality] = {}

    def parse_text(raw: str) -> Quality:
        low = raw.strip().lower()
        if low.startswith("good"):
            return _GOOD
        if low.startswith("uncertain"):
            return _UNCERTAIN
        if low.startswith("bad"):
            return _BAD
        if words_are_bools and low in ("true", "false"):
            return _GOOD if low == "true" else _BAD
        if low.startswith("0x"):
            try:
                return read_hex(int(low[2:], 16), raw)
            except ValueError:
                raise _bad(raw, "not a hex status code") from None
        digits = low.removeprefix("-")
        if digits.isascii() and digits.isdigit():
            return read_number(int(low), raw)
        raise _bad(raw, "unrecognised quality")

    def parse(raw: object) -> Quality:
        if raw is None:
            return fallback
        if type(raw) is str:
            found = cache.get(raw)
            if found is None:
                found = parse_text(raw)
                if len(cache) >= _STRING_CACHE_MAX:
                    cache.clear()
                cache[raw] = found
            return found
        if type(raw) is bool:
            return _GOOD if raw else _BAD
        if type(raw) is int:
            if small and 0 <= raw <= 255:
                return small[raw]
            return read_number(raw, raw)
        if type(raw) is float:
            if not (math.isfinite(raw) and raw.is_integer()):
                raise _bad(raw, "not an integral number")
            return read_number(int(raw), raw)
        if type(raw) is dict:
            return _status_object(raw, parse_text)
        raise _bad(raw, f"unsupported type {type(raw).__name__}")

    return parse
