"""The YAML asset-model format as pydantic models (one per YAML mapping an engineer writes).

These validate shape and local values only. References between them (a node naming a class, a
binding naming equipment) are resolved by `uns.config.loader`, which knows positions.
The site tree's child levels (`area:`, `line:`, ...) are walked by the loader too, because
which keys are levels depends on the enterprise's `levels`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from uns.model.template import NamePattern, Template
from uns.model.topics import TopicPattern

# ISA-95 equipment levels below the enterprise (IEC 62264-1 role-based equipment hierarchy):
# discrete (line > cell), batch (process_cell > unit), continuous (production_unit),
# storage (storage_zone > storage_unit). `equipment` is the usual tag-bearing leaf.
LEVEL_VOCABULARY = (
    "site",
    "area",
    "line",
    "cell",
    "process_cell",
    "unit",
    "production_unit",
    "storage_zone",
    "storage_unit",
    "equipment",
)
DEFAULT_LEVELS = ("site", "area", "line", "cell", "equipment")
CONTEXT_KEYS = ("batch", "product", "order")
PAYLOAD_CONTEXT_KEYS = ("shift", "crew", *CONTEXT_KEYS)  # a declared key may not reuse these

Datatype = Literal["float", "int", "bool", "string", "object", "dataset"]
CellType = Literal["float", "int", "bool", "string"]  # a dataset column's datatype
QualityFormat = Literal["auto", "opcua", "opcda", "bool", "string", "databus"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


Regex = Annotated[str, Field(min_length=1)]


def _codes_as_text(v: Any) -> Any:
    # Raw codes are often numbers in YAML (`1: line-1`); they arrive as text in topics.
    if isinstance(v, dict):
        return {
            k: {str(code): name for code, name in t.items()} if isinstance(t, dict) else t
            for k, t in v.items()
        }
    return v


# capture name -> {raw code -> model name}
CodeMap = Annotated[dict[str, dict[str, str]], BeforeValidator(_codes_as_text)]


class NamingSpec(Spec):
    """Naming conventions the linter enforces (the service itself only rejects unusable names)."""

    pattern: Regex = r"^[a-z0-9][a-z0-9-]*$"
    levels: dict[str, Regex] = Field(default_factory=dict)
    tag_pattern: Regex = r"^[a-z][a-z0-9_]*$"
    ascii_only: bool = True
    max_depth: int = Field(default=10, ge=1, le=64)
    max_topic_bytes: int = Field(default=256, ge=16, le=65535)

    @field_validator("pattern", "tag_pattern")
    @classmethod
    def _valid_regex(cls, v: str) -> str:
        return _regex(v)

    @field_validator("levels")
    @classmethod
    def _valid_level_regexes(cls, v: dict[str, str]) -> dict[str, str]:
        for level, pattern in v.items():
            if level not in LEVEL_VOCABULARY:
                raise ValueError(f"unknown level {level!r}")
            _regex(pattern)
        return v


class TopicsSpec(Spec):
    """Where the governed tree and the dead-letter branch live."""

    prefix: str = ""
    layout: str | None = None  # default: {enterprise}/{<each level>}/{tag}
    deadletter: str = "{enterprise}/_deadletter/{reason}"

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        for part in v.split("/") if v else ():
            if not part or set("+#{}\x00") & set(part) or part.startswith("$"):
                raise ValueError(f"prefix segment {part!r} is not a plain topic level")
        return v

    @field_validator("layout", "deadletter")
    @classmethod
    def _template(cls, v: str | None) -> str | None:
        if v is not None:
            Template.parse(v)
        return v


class EnterpriseSpec(Spec):
    name: str = Field(min_length=1)
    description: str = ""
    levels: tuple[str, ...] = DEFAULT_LEVELS
    topics: TopicsSpec = TopicsSpec()
    naming: NamingSpec = NamingSpec()
    context_keys: tuple[str, ...] = ()  # the model's own context keys beyond CONTEXT_KEYS

    @field_validator("levels")
    @classmethod
    def _levels(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for level in v:
            if level not in LEVEL_VOCABULARY:
                allowed = ", ".join(LEVEL_VOCABULARY)
                raise ValueError(f"unknown level {level!r}; ISA-95 levels are: {allowed}")
        if len(set(v)) != len(v):
            raise ValueError("a level is listed twice")
        if not v or v[0] != "site":
            raise ValueError("levels must start with 'site'")
        return v


class TagSpec(Spec):
    """A canonical tag of an equipment class. A bare string is shorthand for its datatype."""

    datatype: Datatype = "float"
    unit: str | None = None
    description: str = ""
    range: tuple[float, float] | None = None
    retain: bool = False
    columns: dict[str, CellType] | None = None  # `dataset` only: column name -> datatype

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"datatype": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _structured(self) -> TagSpec:
        if self.datatype == "dataset":
            if not self.columns:
                raise ValueError("a dataset needs 'columns': {name: float|int|bool|string}")
        elif self.columns is not None:
            raise ValueError("'columns' is only for datatype 'dataset'")
        if self.datatype in ("object", "dataset") and (self.unit or self.range):
            raise ValueError(
                "an object or dataset tag has no unit or range (name the units of its parts "
                "in the description, or model the numbers as their own tags)"
            )
        return self

    @field_validator("range")
    @classmethod
    def _range(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and v[0] >= v[1]:
            raise ValueError("range must be [low, high] with low < high")
        return v


class ClassSpec(Spec):
    """An equipment class: the tag vocabulary shared by every equipment of that class."""

    description: str = ""
    extends: tuple[str, ...] = ()
    tags: dict[str, TagSpec] = Field(default_factory=dict)

    @field_validator("extends", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return (v,) if isinstance(v, str) else v


class NodeSpec(Spec):
    """Attributes of one node of a site tree (its child levels are read by the loader)."""

    description: str = ""
    class_: str | None = Field(default=None, alias="class")
    context: dict[str, str] = Field(default_factory=dict)  # keys checked by the loader


class SiteSpec(NodeSpec):
    timezone: str
    calendar: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {v!r} (e.g. 'Europe/Berlin')") from None
        return v


class TagMapSpec(Spec):
    """How one raw tag becomes a canonical tag. A bare string is shorthand for `tag`."""

    tag: str = Field(min_length=1)
    unit: str | None = None
    scale: float | None = None
    offset: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"tag": data} if isinstance(data, str) else data


class FieldsSpec(Spec):
    """Field paths inside a JSON payload or record (`a.b.0.c`); null means "not present"."""

    value: str = "value"
    timestamp: str | None = "timestamp"
    quality: str | None = "quality"
    name: str | None = None  # records format: the field holding each record's id


def _topic_pattern(v: str) -> str:
    TopicPattern.parse(v)
    return v


class BindingSpec(Spec):
    """Which raw topics (and ids inside them) belong to which equipment and tag."""

    name: str | None = None
    topic: str
    format: str = "json"  # a `uns.formats` name; the loader checks it and its rules
    fields: FieldsSpec = FieldsSpec()
    records: str | None = None
    id: str | None = None
    map: CodeMap = Field(default_factory=dict)
    equipment: str
    tag: str = "{tag}"
    tags: dict[str, TagMapSpec] | None = None
    unit: str | None = None
    scale: float = 1.0
    offset: float = 0.0
    timestamp_format: str | None = None
    quality_format: QualityFormat = "auto"

    @field_validator("topic")
    @classmethod
    def _topic(cls, v: str) -> str:
        return _topic_pattern(v)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v is not None:
            NamePattern.parse(v)
        return v

    @field_validator("equipment", "tag")
    @classmethod
    def _template(cls, v: str) -> str:
        Template.parse(v)
        return v


class EventSpec(Spec):
    """For `mode: events`: which field says start or end, and the words it uses."""

    field: str
    start: str = "start"
    end: str = "end"


class ContextSourceSpec(Spec):
    """An MES topic announcing batch / product / order for a scope of the tree.

    `format: json` (the default) reads the keys from `fields` of a JSON object; `format:
    scalar` takes the whole payload as the value of the one context key `key` (a template,
    so one source can serve `.../{field}` topics through a map table)."""

    name: str | None = None
    topic: str
    format: Literal["json", "scalar"] = "json"
    map: CodeMap = Field(default_factory=dict)
    scope: str
    mode: Literal["current", "events"] = "current"
    fields: dict[str, str] = Field(default_factory=dict)  # keys checked by the loader
    key: str | None = None
    timestamp: str | None = "timestamp"
    timestamp_format: str | None = None
    event: EventSpec | None = None

    @field_validator("topic")
    @classmethod
    def _topic(cls, v: str) -> str:
        return _topic_pattern(v)

    @field_validator("scope", "key")
    @classmethod
    def _template(cls, v: str | None) -> str | None:
        if v is not None:
            Template.parse(v)
        return v

    @model_validator(mode="after")
    def _fields_for_format(self) -> ContextSourceSpec:
        if self.format == "json":
            if not self.fields:
                raise ValueError("'fields' must name at least one context key -> payload path")
            if self.key is not None:
                raise ValueError("'key' is for format 'scalar'; format 'json' uses 'fields'")
            return self
        if self.key is None:
            raise ValueError("format 'scalar' needs 'key': the context key the payload fills")
        wrong = {"fields", "timestamp", "timestamp_format", "event"} & self.model_fields_set
        if wrong or self.mode != "current":
            raise ValueError(
                "format 'scalar' takes the whole payload as the value at arrival time: "
                "it has no 'fields', 'timestamp', 'timestamp_format', 'event' or events mode"
            )
        return self

    @model_validator(mode="after")
    def _event_with_mode(self) -> ContextSourceSpec:
        if self.mode == "events" and self.event is None:
            raise ValueError("mode 'events' needs 'event: {field: ..., start: ..., end: ...}'")
        if self.mode == "current" and self.event is not None:
            raise ValueError("'event' is only used with mode 'events'")
        return self
