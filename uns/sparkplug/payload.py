"""Decoded Sparkplug B payloads: the values `decode_payload` returns and `encode_payload` takes.

Timestamps are epoch milliseconds, UTC. DataSets are `{"columns", "types", "rows"}`,
PropertySets dicts, Templates `SparkplugTemplate`; scalar values as `uns.sparkplug.datatypes`
maps them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from uns.sparkplug.datatypes import DataType

__all__ = [
    "DatatypeResolver",
    "SparkplugMetaData",
    "SparkplugMetric",
    "SparkplugParameter",
    "SparkplugPayload",
    "SparkplugTemplate",
]


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


DatatypeResolver = Callable[[str | None, int | None], int | None]
"""Gives the birth datatype of a DATA metric that omits it, from its name or alias; None
when unknown. It must not raise: anything it raises is reported as a DecodeError."""
