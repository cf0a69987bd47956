"""Sparkplug DataSets and Template instances as plain JSON values (for `object` / `dataset`).

Used by the pipeline as it hands host samples to the bindings. A DataSet becomes
`{"columns": [...], "types": [type names], "rows": [[...], ...]}`, which a `dataset` tag
reads by column name and an `object` tag publishes as it is. A Template instance
becomes an object of its member metrics, name -> value (nested instances and DataSets the
same way); its parameters configure the instance and are not published. Bytes become base64.
"""

from __future__ import annotations

import base64

from uns.sparkplug.datatypes import DataType
from uns.sparkplug.payload import SparkplugTemplate

STRUCTURED = frozenset({DataType.DataSet, DataType.Template})


def plain_value(value: object) -> object:
    """`value` with DataSets, Template instances and bytes made JSON-ready (others as is)."""
    if isinstance(value, SparkplugTemplate):
        return {
            m.name: None if m.is_null else plain_value(m.value)
            for m in value.metrics
            if m.name is not None
        }
    if isinstance(value, dict) and "columns" in value and "types" in value:
        return {
            "columns": value["columns"],
            "types": [DataType(t).name for t in value["types"]],
            "rows": [[plain_value(cell) for cell in row] for row in value["rows"]],
        }
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    return value
