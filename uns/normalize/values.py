"""Values: coerce a decoded payload value to a tag's declared datatype, losing nothing.

`compile_coercer(datatype)` is called once per binding and returns `(raw) -> value`.
Anything that cannot be represented without guessing raises `DecodeError("bad_value", ...)`.

- float: int, float, bool (1.0 / 0.0), numeric strings (`"72.40"` -> 72.4, `"1e3"`).
  Rejects NaN, inf, `"1,5"`, `"1_0"`, and an integer whose float is not exactly it (every
  integer up to 2**53 in magnitude is exact; 2**53 + 1 is not, 2**60 is).
- int: int, bool, integral floats (`12.0`) and integral strings (`"12"`, `"12.0"`, `"1e3"`),
  exact, within -2**63 .. 2**64 - 1 (int64 and uint64). Rejects `12.5`, `"12.5"` and
  integers outside that range (never clamped).
- bool: bool, 0 / 1, 0.0 / 1.0, `"true"` / `"false"` / `"1"` / `"0"` in any case. Rejects
  everything else (`"on"`, `"RUN"`, 2): those need a mapping in the binding, not a guess.
- string: str, bool (`"true"` / `"false"`), int, finite float (shortest repr, `"72.4"`).
  Rejects NaN and inf.

Every datatype rejects None, containers (dict, list) and bytes. Decimal commas are
rejected rather than guessed: `"1,500"` is 1.5 in Germany and 1500 in the US.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Final, Literal, overload

from uns.errors import DecodeError, excerpt
from uns.normalize.structured import compile_dataset_coercer, to_object

__all__ = ["Coercer", "Datatype", "compile_coercer"]

Datatype = Literal["float", "int", "bool", "string"]
Coercer = Callable[[object], object]  # scalars for float/int/bool/string, JSON for the rest

# int(str) refuses more than 4300 digits (CPython's DoS guard); so do we, for Decimal too.
_MAX_DIGITS: Final = 4300
_TRUE_WORDS: Final = frozenset({"true", "1"})
_FALSE_WORDS: Final = frozenset({"false", "0"})


def _bad(raw: object, why: str) -> DecodeError:
    return DecodeError("bad_value", f"{why}: {excerpt(raw)}")


def _unsupported(raw: object, datatype: str) -> DecodeError:
    return _bad(raw, f"cannot make a {datatype} from {type(raw).__name__}")


def _clean_number_text(raw: str) -> str:
    text = raw.strip()
    if "_" in text:  # Python's int()/float() accept "1_000"; payloads should not
        raise _bad(raw, "not a number")
    return text


def to_float(raw: object) -> float:
    if type(raw) is float:
        if math.isfinite(raw):
            return raw
        raise _bad(raw, "not a finite number")
    if type(raw) is int:
        try:
            value = float(raw)
        except OverflowError:
            raise _bad(raw, "too large for a float") from None
        if value != raw:  # only possible beyond 2**53: the float would be a different number
            raise _bad(raw, "not exact as a float")
        return value
    if type(raw) is str:
        try:
            value = float(_clean_number_text(raw))
        except ValueError:
            raise _bad(raw, "not a number") from None
        if math.isfinite(value):  # also rejects "nan", "inf" and "1e999"
            return value
        raise _bad(raw, "not a finite number")
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if isinstance(raw, int | float):  # subclasses (IntEnum, numpy scalars cast to float)
        return to_float(float(raw) if isinstance(raw, float) else int(raw))
    raise _unsupported(raw, "float")


def _int_from_text(raw: str) -> int:
    text = _clean_number_text(raw)
    digits = text.removeprefix("-").removeprefix("+")
    if digits.isascii() and digits.isdigit():
        if len(digits) > _MAX_DIGITS:
            raise _bad(raw, "too many digits")
        return int(text)  # exact at any size
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _bad(raw, "not a number") from None
    if not value.is_finite():
        raise _bad(raw, "not a finite number")
    if value.adjusted() > _MAX_DIGITS:
        raise _bad(raw, "too many digits")
    if value != value.to_integral_value():
        raise _bad(raw, "not an integer")
    return int(value)


_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # what JSON consumers (and orjson) can carry


def to_int(raw: object) -> int:
    value = _to_int(raw)
    if _INT_MIN <= value <= _INT_MAX:
        return value
    raise _bad(raw, "outside the 64-bit integer range")


def _to_int(raw: object) -> int:
    if type(raw) is int:
        return raw
    if type(raw) is str:
        return _int_from_text(raw)
    if type(raw) is float:
        if not math.isfinite(raw):
            raise _bad(raw, "not a finite number")
        if not raw.is_integer():
            raise _bad(raw, "not an integer")
        return int(raw)
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        return int(raw)
    if isinstance(raw, float):
        return _to_int(float(raw))
    raise _unsupported(raw, "int")


def to_bool(raw: object) -> bool:
    if type(raw) is bool:
        return raw
    if type(raw) is str:
        word = raw.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise _bad(raw, "not true/false/1/0")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if raw == 1:
            return True
        if raw == 0:
            return False
        raise _bad(raw, "a boolean number must be 0 or 1")
    raise _unsupported(raw, "bool")


def to_string(raw: object) -> str:
    if type(raw) is str:
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"  # JSON spelling, not Python's "True"
    if isinstance(raw, int):
        try:
            return str(int(raw))
        except ValueError:  # more digits than CPython will print
            raise _bad(raw, "too many digits") from None
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _bad(raw, "not a finite number")
        return repr(float(raw))  # shortest text that reads back as the same float
    if isinstance(raw, str):
        return str(raw)
    raise _unsupported(raw, "string")


_COERCERS: Final[dict[str, Coercer]] = {
    "float": to_float,
    "int": to_int,
    "bool": to_bool,
    "string": to_string,
    "object": to_object,
}


def compile_table_coercer(columns: tuple[tuple[str, str], ...]) -> Coercer:
    """The coercer of a `dataset` tag: each column's cells coerced to its datatype."""
    return compile_dataset_coercer([(name, compile_coercer(dt)) for name, dt in columns])


@overload
def compile_coercer(datatype: Literal["float"]) -> Callable[[object], float]: ...
@overload
def compile_coercer(datatype: Literal["int"]) -> Callable[[object], int]: ...
@overload
def compile_coercer(datatype: Literal["bool"]) -> Callable[[object], bool]: ...
@overload
def compile_coercer(datatype: Literal["string"]) -> Callable[[object], str]: ...
@overload
def compile_coercer(datatype: str) -> Coercer: ...
def compile_coercer(datatype: str) -> Coercer:
    """The coercer for `datatype`; an unknown datatype raises ValueError (at setup)."""
    try:
        return _COERCERS[datatype]
    except KeyError:
        raise ValueError(
            f"unknown datatype {datatype!r}: use one of {', '.join(_COERCERS)}"
        ) from None
