"""Decoding Sparkplug B protobuf payloads (NBIRTH/NDATA/DBIRTH/DDATA/NDEATH/DDEATH/NCMD/DCMD).

`decode_payload(data, resolve)` is the entry point, where `resolve(name, alias)` supplies the
datatype a DATA metric leaves out (from the birth cache). Every failure raises
`uns.errors.DecodeError` with reason `bad_sparkplug`, never another exception type.
`require_fast_protobuf()` is checked at start (the pure-Python protobuf is far too slow).
"""

from __future__ import annotations

from typing import Any, Final

from google.protobuf.internal import api_implementation

from uns.errors import DecodeError, UnsError
from uns.sparkplug.compression import COMPRESSED_UUID, inflate
from uns.sparkplug.datatypes import (
    BASIC,
    BY_CODE,
    METRIC_TYPES,
    PROPERTY_TYPES,
    SCALAR_READERS,
    DataType,
    Reader,
    bad,
    text,
)
from uns.sparkplug.frozen import unfrozen_twin
from uns.sparkplug.payload import (
    DatatypeResolver,
    SparkplugMetaData,
    SparkplugMetric,
    SparkplugParameter,
    SparkplugPayload,
    SparkplugTemplate,
)
from uns.sparkplug.sparkplug_b_pb2 import Payload as _Pb

__all__ = ["decode_payload", "require_fast_protobuf"]

_MetricTwin: Final = unfrozen_twin(SparkplugMetric)
_PayloadTwin: Final = unfrozen_twin(SparkplugPayload)


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


def _read_dataset(ds: _Pb.DataSet) -> dict[str, object]:
    columns = [text(c, "DataSet column name") for c in ds.columns]
    types = list(ds.types)
    if len(types) != len(columns):
        raise bad(f"DataSet has {len(columns)} columns but {len(types)} types")
    if ds.HasField("num_of_columns") and ds.num_of_columns != len(columns):
        raise bad(f"DataSet says {ds.num_of_columns} columns but names {len(columns)}")
    for code in types:
        if code not in BASIC:
            raise bad(f"DataSet column type {code} is not a basic type")
    kinds = [BY_CODE[code] for code in types]
    rows = []
    for number, row in enumerate(ds.rows):
        cells = row.elements
        if len(cells) != len(kinds):
            raise bad(f"DataSet row {number} has {len(cells)} values for {len(kinds)} columns")
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
        template_ref=text(t.template_ref, "template_ref") if t.HasField("template_ref") else None,
        version=text(t.version, "template version") if t.HasField("version") else None,
    )


def _read_parameter(p: _Pb.Template.Parameter) -> SparkplugParameter:
    name = text(p.name, "template parameter name") if p.HasField("name") else None
    code = p.type
    if code and code not in BASIC:
        raise bad(f"template parameter {name!r} has type {code}, not a basic type")
    kind = BY_CODE[code]
    return SparkplugParameter(name, kind, _read_value(p, kind, f"parameter {name!r}"))


def _read_property_set(ps: _Pb.PropertySet) -> dict[str, object]:
    keys = ps.keys
    values = ps.values
    if len(keys) != len(values):
        raise bad(f"PropertySet has {len(keys)} keys but {len(values)} values")
    out: dict[str, object] = {}
    for key, pv in zip(keys, values, strict=True):
        key = text(key, "property key")  # noqa: PLW2901 - the same key, checked
        out[key] = _read_property(pv, key)
    return out


def _read_property_list(psl: _Pb.PropertySetList) -> list[dict[str, object]]:
    return [_read_property_set(ps) for ps in psl.propertyset]


def _read_property(pv: _Pb.PropertyValue, key: str) -> object:
    if pv.is_null:
        return None
    code = pv.type
    if code and code not in PROPERTY_TYPES:
        raise bad(f"property {key!r} has type {code}, not a property type")
    return _read_value(pv, BY_CODE[code], f"property {key!r}")


def _read_metadata(md: _Pb.MetaData) -> SparkplugMetaData:
    def optional(name: str) -> str | None:
        return text(getattr(md, name), f"metadata {name}") if md.HasField(name) else None

    return SparkplugMetaData(
        is_multi_part=md.is_multi_part if md.HasField("is_multi_part") else None,
        content_type=optional("content_type"),
        size=md.size if md.HasField("size") else None,
        seq=md.seq if md.HasField("seq") else None,
        file_name=optional("file_name"),
        file_type=optional("file_type"),
        md5=optional("md5"),
        description=optional("description"),
    )


def _readers() -> dict[DataType, dict[str, Reader]]:
    """For each datatype, the oneof fields it may arrive in and how to read each."""
    table = {kind: dict(fields) for kind, fields in SCALAR_READERS.items()}
    table[DataType.DataSet] = {"dataset_value": _read_dataset}
    table[DataType.Template] = {"template_value": _read_template}
    table[DataType.PropertySet] = {"propertyset_value": _read_property_set}
    table[DataType.PropertySetList] = {"propertysets_value": _read_property_list}
    # No datatype at all: take whichever field is set, as it is.
    table[DataType.Unknown] = {
        "int_value": None,
        "long_value": None,
        "float_value": None,
        "double_value": None,
        "boolean_value": None,
        "string_value": table[DataType.String]["string_value"],
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
        raise bad(f"{what}: a {kind.name} value cannot arrive in {which}") from None
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
        raise bad("metric name is not valid UTF-8")
    alias: int | None = m.alias
    if not alias and not m.HasField("alias"):
        alias = None
    timestamp: int | None = m.timestamp
    if not timestamp and not m.HasField("timestamp"):
        timestamp = None
    code = m.datatype
    if not code and resolve is not None:
        code = resolve(name, alias) or 0
    if code and code not in METRIC_TYPES:
        raise bad(f"{_label(name, alias)} has datatype {code}, not a metric datatype")
    kind = BY_CODE[code]
    which = m.WhichOneof("value")
    if m.is_null or which is None:
        value: object = None
        is_null = True
    else:
        try:
            reader = _READERS[kind][which]
        except KeyError:
            detail = f"{_label(name, alias)}: a {kind.name} value cannot arrive in {which}"
            raise bad(detail) from None
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


def _parse(data: bytes) -> _Pb:
    try:
        return _Pb.FromString(data)
    except Exception as exc:  # upb raises google.protobuf.message.DecodeError
        raise bad(f"not a Sparkplug B protobuf payload: {exc}") from exc


def _algorithm(pb: _Pb) -> str:
    for m in pb.metrics:
        if m.name == "algorithm":
            if m.WhichOneof("value") != "string_value":
                raise bad("compressed payload: the algorithm metric is not a string")
            return text(m.string_value, "algorithm").upper()
    return "DEFLATE"  # the Sparkplug tooling default when the metric is absent


def _decompressed(outer: _Pb) -> _Pb:
    inner = _parse(inflate(outer.body, _algorithm(outer)))
    if inner.uuid == COMPRESSED_UUID:
        raise bad("compressed payload holds another compressed payload")
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
            text(pb.uuid, "payload uuid") if pb.HasField("uuid") else None,
            pb.body if pb.HasField("body") else None,
            [_read_metric(m, resolve) for m in pb.metrics],
        )
        payload.__class__ = SparkplugPayload
        return payload
    except DecodeError:
        raise
    except Exception as exc:  # a safety net: the contract is DecodeError and nothing else
        raise bad(f"cannot decode Sparkplug payload: {type(exc).__name__}: {exc}") from exc
