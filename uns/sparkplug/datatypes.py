"""Sparkplug B datatypes and how each scalar and array datatype travels on the wire.

One table per direction, side by side: `SCALAR_READERS` says, for each datatype, which
protobuf oneof fields it may arrive in and how to read each; `write_scalar` writes a Python
value into the field its datatype uses. Structured values (DataSet, Template, PropertySet)
are messages of their own: `uns.sparkplug.decode` and `uns.sparkplug.encode` extend both.

Value mapping (Sparkplug 3.0, chapter 6): Int8/16/32 keep the low N bits of the wire value
and sign-extend them, because clients disagree on whether -12 travels as 244 or as a
sign-extended 32- or 64-bit number; Int64 is two's complement in `long_value`; DateTime is
epoch milliseconds; arrays are little-endian packed bytes (BooleanArray: a uint32 count,
then bits most significant first; StringArray: NUL-terminated UTF-8). Float values are the
exact float32 value as a Python float.
"""

from __future__ import annotations

import array
import math
import sys
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any, Final

from uns.errors import DecodeError

__all__ = [
    "ARRAYS",
    "BASIC",
    "BY_CODE",
    "METRIC_TYPES",
    "PROPERTY_TYPES",
    "SCALAR_READERS",
    "DataType",
    "Reader",
    "bad",
    "need",
    "text",
    "write_scalar",
]

REASON: Final = "bad_sparkplug"


class DataType(IntEnum):
    """Sparkplug datatype codes, named as in the specification."""

    Unknown = 0
    Int8 = 1
    Int16 = 2
    Int32 = 3
    Int64 = 4
    UInt8 = 5
    UInt16 = 6
    UInt32 = 7
    UInt64 = 8
    Float = 9
    Double = 10
    Boolean = 11
    String = 12
    DateTime = 13
    Text = 14
    UUID = 15
    DataSet = 16
    Bytes = 17
    File = 18
    Template = 19
    PropertySet = 20
    PropertySetList = 21
    Int8Array = 22
    Int16Array = 23
    Int32Array = 24
    Int64Array = 25
    UInt8Array = 26
    UInt16Array = 27
    UInt32Array = 28
    UInt64Array = 29
    FloatArray = 30
    DoubleArray = 31
    BooleanArray = 32
    StringArray = 33
    DateTimeArray = 34


BY_CODE: Final[dict[int, DataType]] = {int(t): t for t in DataType}
BASIC: Final = frozenset(range(DataType.Int8, DataType.Text + 1))
ARRAYS: Final = frozenset(range(DataType.Int8Array, DataType.DateTimeArray + 1))
METRIC_TYPES: Final = frozenset(range(DataType.Int8, DataType.Template + 1)) | ARRAYS
PROPERTY_TYPES: Final = BASIC | {DataType.PropertySet, DataType.PropertySetList}


# --------------------------------------------------------------------------------------
# Wire value -> Python value


def bad(detail: str) -> DecodeError:
    return DecodeError(REASON, detail)


def text(value: object, what: str) -> str:
    # upb hands back bytes for a proto2 string field that is not valid UTF-8.
    if type(value) is str:
        return value
    raise bad(f"{what} is not valid UTF-8")


def _signed(bits: int) -> Callable[[int], int]:
    mask = (1 << bits) - 1
    sign = 1 << (bits - 1)

    def convert(raw: int) -> int:
        return ((raw & mask) ^ sign) - sign

    return convert


def _unsigned(bits: int, name: str) -> Callable[[int], int]:
    top = (1 << bits) - 1

    def convert(raw: int) -> int:
        if raw > top:
            raise bad(f"{name} value {raw} is out of range")
        return raw

    return convert


def _string(raw: object) -> str:
    return text(raw, "string value")


def _array_codes() -> dict[DataType, tuple[str, int]]:
    # array.array typecodes of the exact widths the wire uses (C int/long widths vary).
    def code(candidates: str, size: int) -> str:
        return next(c for c in candidates if array.array(c).itemsize == size)

    return {
        DataType.Int8Array: ("b", 1),
        DataType.Int16Array: (code("hi", 2), 2),
        DataType.Int32Array: (code("ilq", 4), 4),
        DataType.Int64Array: (code("qlL", 8), 8),
        DataType.UInt8Array: ("B", 1),
        DataType.UInt16Array: (code("HI", 2), 2),
        DataType.UInt32Array: (code("ILQ", 4), 4),
        DataType.UInt64Array: (code("QL", 8), 8),
        DataType.FloatArray: ("f", 4),
        DataType.DoubleArray: ("d", 8),
        DataType.DateTimeArray: (code("qlL", 8), 8),
    }


_PACKED: Final = _array_codes()
_SWAP: Final = sys.byteorder != "little"


def _packed_reader(datatype: DataType) -> Callable[[bytes], list[Any]]:
    code, size = _PACKED[datatype]

    def read(raw: bytes) -> list[Any]:
        if len(raw) % size:
            raise bad(f"{datatype.name} has {len(raw)} bytes, not a multiple of {size}")
        values = array.array(code, raw)
        if _SWAP:
            values.byteswap()
        return values.tolist()

    return read


def _read_booleans(raw: bytes) -> list[bool]:
    if len(raw) < 4:
        raise bad(f"BooleanArray has {len(raw)} bytes, less than its 4-byte count")
    count = int.from_bytes(raw[:4], "little")
    packed = raw[4:]
    if len(packed) != (count + 7) // 8:
        raise bad(f"BooleanArray of {count} values has {len(packed)} bytes of bits")
    bits = int.from_bytes(packed, "big")
    top = len(packed) * 8 - 1
    return [bool(bits >> (top - i) & 1) for i in range(count)]


def _read_strings(raw: bytes) -> list[str]:
    if not raw:
        return []
    if raw[-1] != 0:
        raise bad("StringArray does not end with a NUL byte")
    try:
        return [part.decode("utf-8") for part in raw[:-1].split(b"\0")]
    except UnicodeDecodeError as exc:
        raise bad("StringArray holds invalid UTF-8") from exc


Reader = Callable[[Any], object] | None  # None: the protobuf value as it is

_INT_FIELDS: Final = ("int_value", "long_value")


def _scalar_readers() -> dict[DataType, dict[str, Reader]]:
    """For each scalar and array datatype, the oneof fields it may arrive in and how to read
    each (a lenient reader: values arrive in either integer field, see the module doc)."""

    def both(reader: Reader) -> dict[str, Reader]:
        return dict.fromkeys(_INT_FIELDS, reader)

    floats: dict[str, Reader] = {"float_value": None, "double_value": None}
    table: dict[DataType, dict[str, Reader]] = {
        DataType.Int8: both(_signed(8)),
        DataType.Int16: both(_signed(16)),
        DataType.Int32: both(_signed(32)),
        DataType.Int64: {"long_value": _signed(64), "int_value": None},
        DataType.UInt8: both(_unsigned(8, "UInt8")),
        DataType.UInt16: both(_unsigned(16, "UInt16")),
        DataType.UInt32: both(_unsigned(32, "UInt32")),
        DataType.UInt64: both(None),
        DataType.Float: floats,
        DataType.Double: floats,
        DataType.Boolean: {"boolean_value": None},
        DataType.String: {"string_value": _string},
        DataType.DateTime: {"long_value": _signed(64), "int_value": None},
        DataType.Text: {"string_value": _string},
        DataType.UUID: {"string_value": _string},
        DataType.Bytes: {"bytes_value": None},
        DataType.File: {"bytes_value": None},
        DataType.BooleanArray: {"bytes_value": _read_booleans},
        DataType.StringArray: {"bytes_value": _read_strings},
    }
    for kind in _PACKED:
        table[kind] = {"bytes_value": _packed_reader(kind)}
    return table


SCALAR_READERS: Final = _scalar_readers()


# --------------------------------------------------------------------------------------
# Python value -> wire value

_MASK64: Final = (1 << 64) - 1
_FLOAT32_MAX: Final = 3.4028234663852886e38
_SIGNED_BITS: Final = {DataType.Int8: 8, DataType.Int16: 16, DataType.Int32: 32}
_UNSIGNED_BITS: Final = {DataType.UInt8: 8, DataType.UInt16: 16, DataType.UInt32: 32}


def _need_int(value: object, kind: DataType, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"cannot encode {value!r} as {kind.name}: need an int in [{low}, {high}]")
    return value


def need(value: object, types: tuple[type, ...], kind: DataType) -> Any:
    """`value` if it is one of `types`, else ValueError naming `kind`."""
    # bool is an int subclass: accept it only where a bool is asked for.
    if isinstance(value, types) and (bool in types or not isinstance(value, bool)):
        return value
    raise ValueError(f"cannot encode {value!r} as {kind.name}")


def write_scalar(msg: Any, kind: DataType, value: object) -> bool:
    """Write a scalar or array `value` into the oneof of a Metric, PropertyValue,
    DataSetValue or Parameter; False when `kind` is structured (the caller writes it).
    Unknown infers the field from the Python type. Raises ValueError on a misfit."""
    if kind in _SIGNED_BITS:
        bits = _SIGNED_BITS[kind]
        number = _need_int(value, kind, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        msg.int_value = number & 0xFFFFFFFF  # sign-extended to 32 bits, as Tahu writes it
    elif kind in _UNSIGNED_BITS:
        msg.int_value = _need_int(value, kind, 0, (1 << _UNSIGNED_BITS[kind]) - 1)
    elif kind in (DataType.Int64, DataType.DateTime):
        msg.long_value = _need_int(value, kind, -(1 << 63), (1 << 63) - 1) & _MASK64
    elif kind is DataType.UInt64:
        msg.long_value = _need_int(value, kind, 0, _MASK64)
    elif kind is DataType.Float:
        real = float(need(value, (int, float), kind))
        if abs(real) > _FLOAT32_MAX and math.isfinite(real):
            raise ValueError(f"cannot encode {value!r} as Float: beyond the float32 range")
        msg.float_value = real
    elif kind is DataType.Double:
        msg.double_value = float(need(value, (int, float), kind))
    elif kind is DataType.Boolean:
        msg.boolean_value = need(value, (bool,), kind)
    elif kind in (DataType.String, DataType.Text, DataType.UUID):
        msg.string_value = need(value, (str,), kind)
    elif kind in (DataType.Bytes, DataType.File):
        msg.bytes_value = bytes(need(value, (bytes, bytearray, memoryview), kind))
    elif kind in ARRAYS:
        msg.bytes_value = _pack_array(kind, need(value, (list, tuple), kind))
    elif kind is DataType.Unknown:
        _write_inferred(msg, value)
    else:
        return False
    return True


def _write_inferred(msg: Any, value: object) -> None:
    # Datatype Unknown: choose the field from the Python type.
    if isinstance(value, bool):
        msg.boolean_value = value
    elif isinstance(value, int):
        msg.long_value = value & _MASK64
    elif isinstance(value, float):
        msg.double_value = value
    elif isinstance(value, str):
        msg.string_value = value
    elif isinstance(value, bytes | bytearray):
        msg.bytes_value = bytes(value)
    else:
        raise ValueError(f"cannot encode {value!r} without a datatype")


def _pack_array(kind: DataType, values: Sequence[Any]) -> bytes:
    if kind is DataType.BooleanArray:
        bits = 0
        for v in values:
            bits = bits << 1 | bool(need(v, (bool,), kind))
        nbytes = (len(values) + 7) // 8
        bits <<= nbytes * 8 - len(values)
        return len(values).to_bytes(4, "little") + bits.to_bytes(nbytes, "big")
    if kind is DataType.StringArray:
        parts = [need(v, (str,), kind).encode("utf-8") for v in values]
        if any(b"\0" in p for p in parts):
            raise ValueError("cannot encode a StringArray element that contains NUL")
        return b"".join(p + b"\0" for p in parts)
    code, _size = _PACKED[kind]
    for v in values:
        need(v, (int, float) if code in "fd" else (int,), kind)
    try:
        packed = array.array(code, values)
    except OverflowError as exc:
        raise ValueError(f"cannot encode {list(values)!r} as {kind.name}: {exc}") from exc
    if _SWAP:
        packed.byteswap()
    return packed.tobytes()
