"""Sparkplug B 3.0: topic namespace, protobuf payloads and STATE messages.

Pure code: no MQTT, no asyncio. The service wires it up:

- `require_fast_protobuf()` at start (the pure-Python protobuf is far too slow);
- `parse_sparkplug_topic(topic)` on every message: None for other topics, `TopicError`
  for a malformed Sparkplug topic;
- `decode_payload(data, resolve)` for NBIRTH/NDATA/DBIRTH/DDATA/NDEATH/DDEATH/NCMD/DCMD,
  where `resolve(name, alias)` supplies the datatype a DATA metric leaves out (from the
  birth cache); `parse_state(data)` for STATE;
- `rebirth_request(ts_ms)` builds the NCMD payload that asks a node to rebirth.

Every decoding failure raises `uns.errors.DecodeError` with reason `bad_sparkplug` (or
`bad_sparkplug_state` for STATE), never another exception type.

Value mapping (Sparkplug 3.0, chapter 6): Int8/16/32 keep the low N bits of the wire value
and sign-extend them, because clients disagree on whether -12 travels as 244 or as a
sign-extended 32- or 64-bit number; Int64 is two's complement in `long_value`; DateTime is
epoch milliseconds; arrays are little-endian packed bytes (BooleanArray: a uint32 count,
then bits most significant first; StringArray: NUL-terminated UTF-8); DataSet becomes
`{"columns", "types", "rows"}`; PropertySets become dicts; Templates become
`SparkplugTemplate`. Float values are the exact float32 value as a Python float.
"""

from __future__ import annotations

import array
import gzip
import json
import math
import sys
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import IntEnum, StrEnum
from functools import lru_cache
from typing import Any, Final, Literal

from google.protobuf.internal import api_implementation

from uns.codec.sparkplug_b_pb2 import Payload as _Pb
from uns.errors import DecodeError, TopicError, UnsError

__all__ = [
    "COMPRESSED_UUID",
    "MAX_DECOMPRESSED_BYTES",
    "NAMESPACE",
    "REBIRTH_METRIC",
    "DataType",
    "DatatypeResolver",
    "MessageType",
    "SparkplugMetaData",
    "SparkplugMetric",
    "SparkplugParameter",
    "SparkplugPayload",
    "SparkplugTemplate",
    "SparkplugTopic",
    "decode_payload",
    "encode_payload",
    "encode_state",
    "parse_sparkplug_topic",
    "parse_state",
    "rebirth_request",
    "require_fast_protobuf",
]

NAMESPACE: Final = "spBv1.0"
COMPRESSED_UUID: Final = "SPBV1.0_COMPRESSED"
REBIRTH_METRIC: Final = "Node Control/Rebirth"
# A compressed body may expand to at most this many bytes: a guard against zip bombs.
MAX_DECOMPRESSED_BYTES: Final = 16 * 1024 * 1024

_REASON: Final = "bad_sparkplug"
_STATE_REASON: Final = "bad_sparkplug_state"


def require_fast_protobuf() -> None:
    """Raise UnsError unless protobuf runs on its upb (C) backend.

    The pure-Python backend parses Sparkplug payloads about 70x slower (a whole decode,
    our Python code included, about 10x; bench/sparkplug_decode.py measures both), which
    the service cannot absorb: fail at start rather than fall behind the broker.
    """
    kind = api_implementation.Type()
    if kind != "upb":
        raise UnsError(
            f"protobuf is running its {kind!r} implementation; uns needs 'upb', because the "
            "pure-Python one parses Sparkplug payloads about 70x slower. Install the "
            "protobuf wheel for this platform and unset PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION."
        )


# --------------------------------------------------------------------------------------
# Data types


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


_BY_CODE: Final[dict[int, DataType]] = {int(t): t for t in DataType}
_BASIC: Final = frozenset(range(DataType.Int8, DataType.Text + 1))
_ARRAYS: Final = frozenset(range(DataType.Int8Array, DataType.DateTimeArray + 1))
_METRIC_TYPES: Final = frozenset(range(DataType.Int8, DataType.Template + 1)) | _ARRAYS
_PROPERTY_TYPES: Final = _BASIC | {DataType.PropertySet, DataType.PropertySetList}


# --------------------------------------------------------------------------------------
# Decoded values


@dataclass(frozen=True, slots=True)
class SparkplugMetaData:
    """Metric metadata; a field the sender left out is None."""

    is_multi_part: bool | None = None
    content_type: str | None = None
    size: int | None = None
    seq: int | None = None
    file_name: str | None = None
    file_type: str | None = None
    md5: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class SparkplugMetric:
    """One metric. `datatype` is Unknown when a DATA metric carries none and nothing resolved
    it; `value` is then read from whichever protobuf field is set. `is_null` is true when
    the metric is explicitly null or carries no value at all (`value` is then None)."""

    name: str | None = None
    alias: int | None = None
    timestamp: int | None = None
    datatype: DataType = DataType.Unknown
    value: object = None
    is_null: bool = False
    is_historical: bool = False
    is_transient: bool = False
    properties: dict[str, object] = field(default_factory=dict)
    metadata: SparkplugMetaData | None = None


@dataclass(frozen=True, slots=True)
class SparkplugParameter:
    """A template parameter: the default in a definition, the actual value in an instance."""

    name: str | None
    datatype: DataType
    value: object


@dataclass(frozen=True, slots=True)
class SparkplugTemplate:
    """A template definition (`is_definition`, no `template_ref`) or an instance of one."""

    metrics: list[SparkplugMetric] = field(default_factory=list)
    parameters: list[SparkplugParameter] = field(default_factory=list)
    is_definition: bool = False
    template_ref: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class SparkplugPayload:
    """A decoded payload. `timestamp` and metric timestamps are epoch milliseconds, UTC."""

    timestamp: int | None = None
    seq: int | None = None
    uuid: str | None = None
    body: bytes | None = None
    metrics: list[SparkplugMetric] = field(default_factory=list)


def _unfrozen_twin(cls: type) -> type:
    """An unfrozen slots dataclass with the same fields, in order, as frozen `cls`.

    A frozen dataclass __init__ stores each field through object.__setattr__: about 2 us
    for SparkplugMetric, paid once per decoded metric. The decoder builds the twin instead
    (a quarter of the time) and assigns `__class__ = cls`, which Python allows between
    classes of identical slot layout; the result is an ordinary frozen instance.
    """
    names = [f.name for f in fields(cls)]
    namespace = {"__annotations__": dict.fromkeys(names, "Any")}
    twin: type = dataclass(slots=True)(type(f"_{cls.__name__}Twin", (), namespace))
    return twin


_MetricTwin: Final = _unfrozen_twin(SparkplugMetric)
_PayloadTwin: Final = _unfrozen_twin(SparkplugPayload)


DatatypeResolver = Callable[[str | None, int | None], int | None]
"""Gives the birth datatype of a DATA metric that omits it, from its name or alias; None
when unknown. It must not raise: anything it raises is reported as a DecodeError."""


# --------------------------------------------------------------------------------------
# Wire value -> Python value


def _bad(detail: str) -> DecodeError:
    return DecodeError(_REASON, detail)


def _text(value: object, what: str) -> str:
    # upb hands back bytes for a proto2 string field that is not valid UTF-8.
    if type(value) is str:
        return value
    raise _bad(f"{what} is not valid UTF-8")


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
            raise _bad(f"{name} value {raw} is out of range")
        return raw

    return convert


def _string(raw: object) -> str:
    return _text(raw, "string value")


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
            raise _bad(f"{datatype.name} has {len(raw)} bytes, not a multiple of {size}")
        values = array.array(code, raw)
        if _SWAP:
            values.byteswap()
        return values.tolist()

    return read


def _read_booleans(raw: bytes) -> list[bool]:
    if len(raw) < 4:
        raise _bad(f"BooleanArray has {len(raw)} bytes, less than its 4-byte count")
    count = int.from_bytes(raw[:4], "little")
    packed = raw[4:]
    if len(packed) != (count + 7) // 8:
        raise _bad(f"BooleanArray of {count} values has {len(packed)} bytes of bits")
    bits = int.from_bytes(packed, "big")
    top = len(packed) * 8 - 1
    return [bool(bits >> (top - i) & 1) for i in range(count)]


def _read_strings(raw: bytes) -> list[str]:
    if not raw:
        return []
    if raw[-1] != 0:
        raise _bad("StringArray does not end with a NUL byte")
    try:
        return [part.decode("utf-8") for part in raw[:-1].split(b"\0")]
    except UnicodeDecodeError as exc:
        raise _bad("StringArray holds invalid UTF-8") from exc


def _read_dataset(ds: _Pb.DataSet) -> dict[str, object]:
    columns = [_text(c, "DataSet column name") for c in ds.columns]
    types = list(ds.types)
    if len(types) != len(columns):
        raise _bad(f"DataSet has {len(columns)} columns but {len(types)} types")
    if ds.HasField("num_of_columns") and ds.num_of_columns != len(columns):
        raise _bad(f"DataSet says {ds.num_of_columns} columns but names {len(columns)}")
    for code in types:
        if code not in _BASIC:
            raise _bad(f"DataSet column type {code} is not a basic type")
    kinds = [_BY_CODE[code] for code in types]
    rows = []
    for number, row in enumerate(ds.rows):
        cells = row.elements
        if len(cells) != len(kinds):
            raise _bad(f"DataSet row {number} has {len(cells)} values for {len(kinds)} columns")
        rows.append([_read_cell(cell, kind) for cell, kind in zip(cells, kinds, strict=True)])
    return {"columns": columns, "types": kinds, "rows": rows}


# Tahu writes a null DateTime cell as the minimum int64.
_NULL_DATETIME: Final = 1 << 63


def _read_cell(cell: _Pb.DataSet.DataSetValue, kind: DataType) -> object:
    if (
        kind is DataType.DateTime
        and cell.WhichOneof("value") == "long_value"
        and cell.long_value == _NULL_DATETIME
    ):
        return None
    return _read_value(cell, kind, f"DataSet {kind.name} cell")


def _read_template(t: _Pb.Template) -> SparkplugTemplate:
    return SparkplugTemplate(
        metrics=[_read_metric(m, None) for m in t.metrics],
        parameters=[_read_parameter(p) for p in t.parameters],
        is_definition=t.is_definition,
        template_ref=_text(t.template_ref, "template_ref") if t.HasField("template_ref") else None,
        version=_text(t.version, "template version") if t.HasField("version") else None,
    )


def _read_parameter(p: _Pb.Template.Parameter) -> SparkplugParameter:
    name = _text(p.name, "template parameter name") if p.HasField("name") else None
    code = p.type
    if code and code not in _BASIC:
        raise _bad(f"template parameter {name!r} has type {code}, not a basic type")
    kind = _BY_CODE[code]
    return SparkplugParameter(name, kind, _read_value(p, kind, f"parameter {name!r}"))


def _read_property_set(ps: _Pb.PropertySet) -> dict[str, object]:
    keys = ps.keys
    values = ps.values
    if len(keys) != len(values):
        raise _bad(f"PropertySet has {len(keys)} keys but {len(values)} values")
    out: dict[str, object] = {}
    for key, pv in zip(keys, values, strict=True):
        key = _text(key, "property key")  # noqa: PLW2901 - the same key, checked
        out[key] = _read_property(pv, key)
    return out


def _read_property_list(psl: _Pb.PropertySetList) -> list[dict[str, object]]:
    return [_read_property_set(ps) for ps in psl.propertyset]


def _read_property(pv: _Pb.PropertyValue, key: str) -> object:
    if pv.is_null:
        return None
    code = pv.type
    if code and code not in _PROPERTY_TYPES:
        raise _bad(f"property {key!r} has type {code}, not a property type")
    return _read_value(pv, _BY_CODE[code], f"property {key!r}")


def _read_metadata(md: _Pb.MetaData) -> SparkplugMetaData:
    def text(name: str) -> str | None:
        return _text(getattr(md, name), f"metadata {name}") if md.HasField(name) else None

    return SparkplugMetaData(
        is_multi_part=md.is_multi_part if md.HasField("is_multi_part") else None,
        content_type=text("content_type"),
        size=md.size if md.HasField("size") else None,
        seq=md.seq if md.HasField("seq") else None,
        file_name=text("file_name"),
        file_type=text("file_type"),
        md5=text("md5"),
        description=text("description"),
    )


_Reader = Callable[[Any], object] | None  # None: the protobuf value as it is

_INT_FIELDS: Final = ("int_value", "long_value")


def _readers() -> dict[DataType, dict[str, _Reader]]:
    """For each datatype, the oneof fields it may arrive in and how to read each."""

    def both(reader: _Reader) -> dict[str, _Reader]:
        return dict.fromkeys(_INT_FIELDS, reader)

    floats: dict[str, _Reader] = {"float_value": None, "double_value": None}
    table: dict[DataType, dict[str, _Reader]] = {
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
        DataType.DataSet: {"dataset_value": _read_dataset},
        DataType.Bytes: {"bytes_value": None},
        DataType.File: {"bytes_value": None},
        DataType.Template: {"template_value": _read_template},
        DataType.PropertySet: {"propertyset_value": _read_property_set},
        DataType.PropertySetList: {"propertysets_value": _read_property_list},
        DataType.BooleanArray: {"bytes_value": _read_booleans},
        DataType.StringArray: {"bytes_value": _read_strings},
    }
    for kind in _PACKED:
        table[kind] = {"bytes_value": _packed_reader(kind)}
    # No datatype at all: take whichever field is set, as it is.
    table[DataType.Unknown] = {
        "int_value": None,
        "long_value": None,
        "float_value": None,
        "double_value": None,
        "boolean_value": None,
        "string_value": _string,
        "bytes_value": None,
        "dataset_value": _read_dataset,
        "template_value": _read_template,
        "propertyset_value": _read_property_set,
        "propertysets_value": _read_property_list,
    }
    return table


_READERS: Final = _readers()


def _read_value(msg: Any, kind: DataType, what: str) -> object:
    """The value of a Metric, PropertyValue, DataSetValue or Parameter read as `kind`."""
    which = msg.WhichOneof("value")
    if which is None:
        return None
    try:
        reader = _READERS[kind][which]
    except KeyError:
        raise _bad(f"{what}: a {kind.name} value cannot arrive in {which}") from None
    raw = getattr(msg, which)
    return raw if reader is None else reader(raw)


def _label(name: str | None, alias: int | None) -> str:
    return f"metric {name!r}" if name is not None else f"metric alias {alias}"


def _read_metric(m: _Pb.Metric, resolve: DatatypeResolver | None) -> SparkplugMetric:
    # Hot path. A zero/empty scalar is ambiguous (unset reads as the default), so HasField
    # is asked only then: it costs more than the read.
    name: str | None = m.name
    if not name:
        name = "" if m.HasField("name") else None
    elif type(name) is not str:
        raise _bad("metric name is not valid UTF-8")
    alias: int | None = m.alias
    if not alias and not m.HasField("alias"):
        alias = None
    timestamp: int | None = m.timestamp
    if not timestamp and not m.HasField("timestamp"):
        timestamp = None
    code = m.datatype
    if not code and resolve is not None:
        code = resolve(name, alias) or 0
    if code and code not in _METRIC_TYPES:
        raise _bad(f"{_label(name, alias)} has datatype {code}, not a metric datatype")
    kind = _BY_CODE[code]
    which = m.WhichOneof("value")
    if m.is_null or which is None:
        value: object = None
        is_null = True
    else:
        try:
            reader = _READERS[kind][which]
        except KeyError:
            detail = f"{_label(name, alias)}: a {kind.name} value cannot arrive in {which}"
            raise _bad(detail) from None
        raw = getattr(m, which)
        value = raw if reader is None else reader(raw)
        is_null = False
    metric: SparkplugMetric = _MetricTwin(
        name,
        alias,
        timestamp,
        kind,
        value,
        is_null,
        m.is_historical,
        m.is_transient,
        _read_property_set(m.properties) if m.HasField("properties") else {},
        _read_metadata(m.metadata) if m.HasField("metadata") else None,
    )
    metric.__class__ = SparkplugMetric
    return metric


# --------------------------------------------------------------------------------------
# Payloads


def _parse(data: bytes) -> _Pb:
    try:
        return _Pb.FromString(data)
    except Exception as exc:  # upb raises google.protobuf.message.DecodeError
        raise _bad(f"not a Sparkplug B protobuf payload: {exc}") from exc


def _algorithm(pb: _Pb) -> str:
    for m in pb.metrics:
        if m.name == "algorithm":
            if m.WhichOneof("value") != "string_value":
                raise _bad("compressed payload: the algorithm metric is not a string")
            return _text(m.string_value, "algorithm").upper()
    return "DEFLATE"  # the Sparkplug tooling default when the metric is absent


def _inflate(body: bytes, algorithm: str) -> bytes:
    if algorithm == "GZIP":
        wbits = 31
    elif algorithm == "DEFLATE":
        # Zlib-wrapped (RFC 1950) is the usual DEFLATE; accept raw RFC 1951 and gzip too.
        if body[:2] == b"\x1f\x8b":
            wbits = 31
        elif len(body) >= 2 and body[0] & 0x0F == 8 and int.from_bytes(body[:2]) % 31 == 0:
            wbits = 15
        else:
            wbits = -15
    else:
        raise _bad(f"compressed payload: unknown algorithm {algorithm!r}")
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, MAX_DECOMPRESSED_BYTES + 1)
    except zlib.error as exc:
        raise _bad(f"compressed payload: bad {algorithm} body: {exc}") from exc
    if len(out) > MAX_DECOMPRESSED_BYTES:
        raise _bad(f"compressed payload expands past {MAX_DECOMPRESSED_BYTES} bytes")
    if not inflater.eof:
        raise _bad(f"compressed payload: {algorithm} body is truncated")
    if inflater.unused_data:
        raise _bad(f"compressed payload: bytes after the end of the {algorithm} body")
    return out


def _decompressed(outer: _Pb) -> _Pb:
    inner = _parse(_inflate(outer.body, _algorithm(outer)))
    if inner.uuid == COMPRESSED_UUID:
        raise _bad("compressed payload holds another compressed payload")
    # Wrappers copy timestamp and seq from the original; fall back to them if the inner
    # payload lacks its own.
    if not inner.HasField("timestamp") and outer.HasField("timestamp"):
        inner.timestamp = outer.timestamp
    if not inner.HasField("seq") and outer.HasField("seq"):
        inner.seq = outer.seq
    return inner


def decode_payload(data: bytes, resolve: DatatypeResolver | None = None) -> SparkplugPayload:
    """Decode a Sparkplug B protobuf payload, decompressing it when the uuid says so.

    `resolve(name, alias)` supplies the datatype of a metric that carries none (DATA
    messages may omit it); without it, or when it returns None, such a metric keeps
    datatype Unknown and its raw value. Raises DecodeError("bad_sparkplug", ...) on any
    malformed input.
    """
    try:
        pb = _parse(data)
        if pb.uuid == COMPRESSED_UUID:
            pb = _decompressed(pb)
        payload: SparkplugPayload = _PayloadTwin(
            pb.timestamp if pb.HasField("timestamp") else None,
            pb.seq if pb.HasField("seq") else None,
            _text(pb.uuid, "payload uuid") if pb.HasField("uuid") else None,
            pb.body if pb.HasField("body") else None,
            [_read_metric(m, resolve) for m in pb.metrics],
        )
        payload.__class__ = SparkplugPayload
        return payload
    except DecodeError:
        raise
    except Exception as exc:  # a safety net: the contract is DecodeError and nothing else
        raise _bad(f"cannot decode Sparkplug payload: {type(exc).__name__}: {exc}") from exc


# --------------------------------------------------------------------------------------
# Python value -> wire value (tests, golden vectors, the simulator, rebirth requests)

_MASK64: Final = (1 << 64) - 1
_FLOAT32_MAX: Final = 3.4028234663852886e38


def _need_int(value: object, kind: DataType, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"cannot encode {value!r} as {kind.name}: need an int in [{low}, {high}]")
    return value


def _need(value: object, types: tuple[type, ...], kind: DataType) -> Any:
    # bool is an int subclass: accept it only where a bool is asked for.
    if isinstance(value, types) and (bool in types or not isinstance(value, bool)):
        return value
    raise ValueError(f"cannot encode {value!r} as {kind.name}")


def _set_value(msg: Any, kind: DataType, value: object) -> None:
    """Write `value` into the oneof of a Metric, PropertyValue, DataSetValue or Parameter."""
    if kind in (DataType.Int8, DataType.Int16, DataType.Int32):
        bits = {DataType.Int8: 8, DataType.Int16: 16, DataType.Int32: 32}[kind]
        number = _need_int(value, kind, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        msg.int_value = number & 0xFFFFFFFF  # sign-extended to 32 bits, as Tahu writes it
    elif kind in (DataType.UInt8, DataType.UInt16, DataType.UInt32):
        bits = {DataType.UInt8: 8, DataType.UInt16: 16, DataType.UInt32: 32}[kind]
        msg.int_value = _need_int(value, kind, 0, (1 << bits) - 1)
    elif kind in (DataType.Int64, DataType.DateTime):
        msg.long_value = _need_int(value, kind, -(1 << 63), (1 << 63) - 1) & _MASK64
    elif kind is DataType.UInt64:
        msg.long_value = _need_int(value, kind, 0, _MASK64)
    elif kind is DataType.Float:
        real = float(_need(value, (int, float), kind))
        if abs(real) > _FLOAT32_MAX and math.isfinite(real):
            raise ValueError(f"cannot encode {value!r} as Float: beyond the float32 range")
        msg.float_value = real
    elif kind is DataType.Double:
        msg.double_value = float(_need(value, (int, float), kind))
    elif kind is DataType.Boolean:
        msg.boolean_value = _need(value, (bool,), kind)
    elif kind in (DataType.String, DataType.Text, DataType.UUID):
        msg.string_value = _need(value, (str,), kind)
    elif kind in (DataType.Bytes, DataType.File):
        msg.bytes_value = bytes(_need(value, (bytes, bytearray, memoryview), kind))
    elif kind is DataType.DataSet:
        _write_dataset(msg.dataset_value, _need(value, (Mapping,), kind))
    elif kind is DataType.Template:
        _write_template(msg.template_value, _need(value, (SparkplugTemplate,), kind))
    elif kind is DataType.PropertySet:
        _write_property_set(msg.propertyset_value, _need(value, (Mapping,), kind))
    elif kind is DataType.PropertySetList:
        for item in _need(value, (list, tuple), kind):
            _write_property_set(msg.propertysets_value.propertyset.add(), item)
    elif kind in _ARRAYS:
        msg.bytes_value = _pack_array(kind, _need(value, (list, tuple), kind))
    else:
        _set_inferred(msg, value)


def _set_inferred(msg: Any, value: object) -> None:
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
            bits = bits << 1 | bool(_need(v, (bool,), kind))
        nbytes = (len(values) + 7) // 8
        bits <<= nbytes * 8 - len(values)
        return len(values).to_bytes(4, "little") + bits.to_bytes(nbytes, "big")
    if kind is DataType.StringArray:
        parts = [_need(v, (str,), kind).encode("utf-8") for v in values]
        if any(b"\0" in p for p in parts):
            raise ValueError("cannot encode a StringArray element that contains NUL")
        return b"".join(p + b"\0" for p in parts)
    code, _size = _PACKED[kind]
    for v in values:
        _need(v, (int, float) if code in "fd" else (int,), kind)
    try:
        packed = array.array(code, values)
    except OverflowError as exc:
        raise ValueError(f"cannot encode {list(values)!r} as {kind.name}: {exc}") from exc
    if _SWAP:
        packed.byteswap()
    return packed.tobytes()


def _write_dataset(ds: _Pb.DataSet, table: Mapping[str, Any]) -> None:
    columns = list(table["columns"])
    kinds = [DataType(t) for t in table["types"]]
    if len(columns) != len(kinds):
        raise ValueError("a DataSet needs one type per column")
    ds.num_of_columns = len(columns)
    ds.columns.extend(columns)
    ds.types.extend(int(k) for k in kinds)
    for row in table.get("rows", ()):
        if len(row) != len(kinds):
            raise ValueError(f"DataSet row {row!r} does not have {len(kinds)} values")
        out = ds.rows.add()
        for value, kind in zip(row, kinds, strict=True):
            cell = out.elements.add()
            if value is not None:
                _set_value(cell, kind, value)


def _write_template(t: _Pb.Template, template: SparkplugTemplate) -> None:
    if template.version is not None:
        t.version = template.version
    if template.template_ref is not None:
        t.template_ref = template.template_ref
    t.is_definition = template.is_definition
    for metric in template.metrics:
        _write_metric(t.metrics.add(), metric, with_datatype=True)
    for parameter in template.parameters:
        p = t.parameters.add()
        if parameter.name is not None:
            p.name = parameter.name
        p.type = int(parameter.datatype)
        if parameter.value is not None:
            _set_value(p, parameter.datatype, parameter.value)


def _property_type(value: object) -> DataType:
    if isinstance(value, bool):
        return DataType.Boolean
    if isinstance(value, int):
        if -(1 << 31) <= value < 1 << 31:
            return DataType.Int32  # what the specification mandates for Quality
        return DataType.Int64 if value < 1 << 63 else DataType.UInt64
    if isinstance(value, float):
        return DataType.Double
    if isinstance(value, Mapping):
        return DataType.PropertySet
    if isinstance(value, list | tuple):
        return DataType.PropertySetList
    return DataType.String


def _write_property_set(ps: _Pb.PropertySet, properties: Mapping[str, object]) -> None:
    for key, value in properties.items():
        ps.keys.append(key)
        pv = ps.values.add()
        kind = _property_type(value)
        pv.type = int(kind)
        if value is None:
            pv.is_null = True
        else:
            _set_value(pv, kind, value)


def _write_metric(m: _Pb.Metric, metric: SparkplugMetric, *, with_datatype: bool) -> None:
    if metric.name is not None:
        m.name = metric.name
    if metric.alias is not None:
        m.alias = metric.alias
    if metric.timestamp is not None:
        m.timestamp = metric.timestamp
    if with_datatype and metric.datatype:
        m.datatype = int(metric.datatype)
    if metric.is_historical:
        m.is_historical = True
    if metric.is_transient:
        m.is_transient = True
    if metric.metadata is not None:
        md = metric.metadata
        for name in SparkplugMetaData.__slots__:
            if (value := getattr(md, name)) is not None:
                setattr(m.metadata, name, value)
    if metric.properties:
        _write_property_set(m.properties, metric.properties)
    if metric.is_null or metric.value is None:
        m.is_null = True
    else:
        _set_value(m, metric.datatype, metric.value)


def encode_payload(
    payload: SparkplugPayload,
    *,
    compress: Literal["DEFLATE", "GZIP"] | None = None,
    with_datatypes: bool = True,
) -> bytes:
    """Encode a payload. `with_datatypes=False` leaves metric datatypes out, as DATA
    messages may; `compress` wraps the result the way Sparkplug compression does.
    Raises ValueError for a value that does not fit its datatype."""
    pb = _Pb()
    if payload.timestamp is not None:
        pb.timestamp = payload.timestamp
    if payload.seq is not None:
        pb.seq = payload.seq
    if payload.uuid is not None:
        pb.uuid = payload.uuid
    if payload.body is not None:
        pb.body = payload.body
    for metric in payload.metrics:
        _write_metric(pb.metrics.add(), metric, with_datatype=with_datatypes)
    raw = pb.SerializeToString()
    if compress is None:
        return raw
    if compress == "DEFLATE":
        body = zlib.compress(raw)
    elif compress == "GZIP":
        body = gzip.compress(raw, mtime=0)  # mtime 0: the same input gives the same bytes
    else:
        raise ValueError(f"unknown compression {compress!r}; use DEFLATE or GZIP")
    outer = _Pb(uuid=COMPRESSED_UUID, body=body)
    if payload.timestamp is not None:
        outer.timestamp = payload.timestamp
    if payload.seq is not None:
        outer.seq = payload.seq
    algorithm = outer.metrics.add()
    algorithm.name = "algorithm"
    algorithm.datatype = DataType.String
    algorithm.string_value = compress
    return outer.SerializeToString()


def rebirth_request(timestamp_ms: int) -> bytes:
    """The NCMD payload asking an edge node to republish its births (no seq, per spec)."""
    metric = SparkplugMetric(
        name=REBIRTH_METRIC, timestamp=timestamp_ms, datatype=DataType.Boolean, value=True
    )
    return encode_payload(SparkplugPayload(timestamp=timestamp_ms, metrics=[metric]))


# --------------------------------------------------------------------------------------
# STATE messages


def parse_state(data: bytes) -> tuple[bool, int | None]:
    """Read a host application's STATE payload: (online, timestamp ms or None).

    Sparkplug 3.0 sends JSON `{"online": bool, "timestamp": ms}`; the plain `ONLINE` /
    `OFFLINE` of Sparkplug 2.2 is accepted too. Raises DecodeError("bad_sparkplug_state").
    """
    stripped = data.strip()
    if stripped in (b"ONLINE", b"OFFLINE"):
        return stripped == b"ONLINE", None
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise DecodeError(_STATE_REASON, f"STATE payload is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise DecodeError(_STATE_REASON, "STATE payload is not a JSON object")
    online = doc.get("online")
    if type(online) is not bool:
        raise DecodeError(_STATE_REASON, f"STATE 'online' is {online!r}, not a boolean")
    timestamp = doc.get("timestamp")
    if timestamp is not None and (type(timestamp) is not int or timestamp < 0):
        raise DecodeError(_STATE_REASON, f"STATE 'timestamp' is {timestamp!r}, not epoch ms")
    return online, timestamp


def encode_state(online: bool, timestamp_ms: int) -> bytes:
    """A Sparkplug 3.0 STATE payload."""
    return json.dumps({"online": online, "timestamp": timestamp_ms}).encode()


# --------------------------------------------------------------------------------------
# Topics


class MessageType(StrEnum):
    """The Sparkplug verb in a topic's third segment (or STATE)."""

    NBIRTH = "NBIRTH"
    NDATA = "NDATA"
    NDEATH = "NDEATH"
    NCMD = "NCMD"
    DBIRTH = "DBIRTH"
    DDATA = "DDATA"
    DDEATH = "DDEATH"
    DCMD = "DCMD"
    STATE = "STATE"

    @property
    def has_device(self) -> bool:
        """True for the device-level types, whose topics end in a device segment."""
        return self in _DEVICE_TYPES


_DEVICE_TYPES: Final = frozenset(
    {MessageType.DBIRTH, MessageType.DDATA, MessageType.DDEATH, MessageType.DCMD}
)
_NODE_TYPES: Final = {t.value: t for t in MessageType if t is not MessageType.STATE}
_TYPE_NAMES: Final = ", ".join(_NODE_TYPES)


@dataclass(frozen=True, slots=True)
class SparkplugTopic:
    """A parsed Sparkplug topic. STATE topics have only `host_id`; every other type has
    `group` and `edge_node`, and the D* types also `device`."""

    message_type: MessageType
    group: str | None = None
    edge_node: str | None = None
    device: str | None = None
    host_id: str | None = None
    namespace: str = NAMESPACE

    def __str__(self) -> str:
        if self.message_type is MessageType.STATE:
            return f"{self.namespace}/STATE/{self.host_id}"
        parts = [self.namespace, self.group, self.message_type.value, self.edge_node]
        if self.device is not None:
            parts.append(self.device)
        return "/".join(p for p in parts if p is not None)


_SEGMENT_NAMES: Final = ("namespace", "group", "message type", "edge node", "device")


def _check_segment(topic: str, index: int, name: str, value: str) -> None:
    if not value:
        raise TopicError(f"Sparkplug topic {topic!r}: {name} segment {index} is empty")
    for wildcard in "+#":
        if wildcard in value:
            raise TopicError(
                f"Sparkplug topic {topic!r}: {name} segment {index} contains the wildcard "
                f"{wildcard!r}"
            )


def parse_sparkplug_topic(topic: str) -> SparkplugTopic | None:
    """Parse `spBv1.0/{group}/{type}/{edge_node}[/{device}]` or `spBv1.0/STATE/{host_id}`.

    Returns None when the topic is outside the Sparkplug B namespace; raises TopicError
    naming the bad segment when it is inside it but malformed. Results are cached (topics
    repeat, and SparkplugTopic is immutable); errors are not.
    """
    return _parse_topic(topic)


@lru_cache(maxsize=4096)
def _parse_topic(topic: str) -> SparkplugTopic | None:
    parts = topic.split("/")
    if parts[0] != NAMESPACE:
        return None
    if len(parts) >= 2 and parts[1] == "STATE":
        if len(parts) != 3:
            raise TopicError(
                f"Sparkplug topic {topic!r}: a STATE topic is {NAMESPACE}/STATE/{{host_id}}, "
                f"this one has {len(parts)} segments"
            )
        _check_segment(topic, 2, "host id", parts[2])
        return SparkplugTopic(MessageType.STATE, host_id=parts[2])
    if len(parts) < 4:
        missing = _SEGMENT_NAMES[len(parts)]
        raise TopicError(f"Sparkplug topic {topic!r}: {missing} segment {len(parts)} is missing")
    if len(parts) > 5:
        raise TopicError(
            f"Sparkplug topic {topic!r} has {len(parts)} segments; at most 5 are allowed"
        )
    message_type = _NODE_TYPES.get(parts[2])
    if message_type is None:
        raise TopicError(
            f"Sparkplug topic {topic!r}: message type segment 2 is {parts[2]!r}, "
            f"not one of {_TYPE_NAMES}"
        )
    for index in range(1, len(parts)):
        _check_segment(topic, index, _SEGMENT_NAMES[index], parts[index])
    if message_type.has_device and len(parts) == 4:
        raise TopicError(f"Sparkplug topic {topic!r}: device segment 4 is missing")
    if not message_type.has_device and len(parts) == 5:
        raise TopicError(
            f"Sparkplug topic {topic!r}: {message_type} topics have no device segment; "
            "only DBIRTH, DDATA, DDEATH and DCMD name a device"
        )
    device = parts[4] if len(parts) == 5 else None
    return SparkplugTopic(message_type, group=parts[1], edge_node=parts[3], device=device)
