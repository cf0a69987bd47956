"""Encoding Sparkplug B payloads: for tests, golden vectors, the simulator and rebirth requests.

`encode_payload` raises ValueError for a value that does not fit its datatype; the scalar
and array wire forms are `uns.sparkplug.datatypes.write_scalar`, the structured ones here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from uns.sparkplug.compression import COMPRESSED_UUID, Algorithm, compress_body
from uns.sparkplug.datatypes import DataType, need, write_scalar
from uns.sparkplug.payload import (
    SparkplugMetaData,
    SparkplugMetric,
    SparkplugPayload,
    SparkplugTemplate,
)
from uns.sparkplug.sparkplug_b_pb2 import Payload as _Pb

__all__ = ["REBIRTH_METRIC", "encode_payload", "rebirth_request"]

REBIRTH_METRIC: Final = "Node Control/Rebirth"


def _set_value(msg: Any, kind: DataType, value: object) -> None:
    """Write `value` into the oneof of a Metric, PropertyValue, DataSetValue or Parameter."""
    if write_scalar(msg, kind, value):
        return
    if kind is DataType.DataSet:
        _write_dataset(msg.dataset_value, need(value, (Mapping,), kind))
    elif kind is DataType.Template:
        _write_template(msg.template_value, need(value, (SparkplugTemplate,), kind))
    elif kind is DataType.PropertySet:
        _write_property_set(msg.propertyset_value, need(value, (Mapping,), kind))
    elif kind is DataType.PropertySetList:
        for item in need(value, (list, tuple), kind):
            _write_property_set(msg.propertysets_value.propertyset.add(), item)
    else:
        raise ValueError(f"cannot encode {value!r} as {kind.name}")


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


def _copy_set(source: object, target: Any, names: tuple[str, ...]) -> None:
    """Copy the fields of `source` that are not None onto the protobuf message `target`."""
    for name in names:
        if (value := getattr(source, name)) is not None:
            setattr(target, name, value)


def _write_metric(m: _Pb.Metric, metric: SparkplugMetric, *, with_datatype: bool) -> None:
    _copy_set(metric, m, ("name", "alias", "timestamp"))
    if with_datatype and metric.datatype:
        m.datatype = int(metric.datatype)
    if metric.is_historical:
        m.is_historical = True
    if metric.is_transient:
        m.is_transient = True
    if metric.metadata is not None:
        _copy_set(metric.metadata, m.metadata, SparkplugMetaData.__slots__)
    if metric.properties:
        _write_property_set(m.properties, metric.properties)
    if metric.is_null or metric.value is None:
        m.is_null = True
    else:
        _set_value(m, metric.datatype, metric.value)


def encode_payload(
    payload: SparkplugPayload,
    *,
    compress: Algorithm | None = None,
    with_datatypes: bool = True,
) -> bytes:
    """Encode a payload. `with_datatypes=False` leaves metric datatypes out, as DATA
    messages may; `compress` wraps the result the way Sparkplug compression does.
    Raises ValueError for a value that does not fit its datatype."""
    pb = _Pb()
    _copy_set(payload, pb, ("timestamp", "seq", "uuid", "body"))
    for metric in payload.metrics:
        _write_metric(pb.metrics.add(), metric, with_datatype=with_datatypes)
    raw = pb.SerializeToString()
    if compress is None:
        return raw
    body = compress_body(raw, compress)
    outer = _Pb(uuid=COMPRESSED_UUID, body=body)
    _copy_set(payload, outer, ("timestamp", "seq"))
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
