"""Tag plans: everything about one raw (topic, sample id) that does not change per message.

A plan is compiled once (binding captures -> equipment and tag in the model, governed topic,
unit conversion, value / timestamp / quality parsers, the site's shift resolver) and cached
by the enricher, so the per-sample work is only parsing and serialising.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import orjson

from uns.context.shifts import ShiftResolver
from uns.errors import UnitError
from uns.formats import get_format
from uns.model.namespace import Binding, Namespace, Node, Tag
from uns.model.trie import IndexHit
from uns.normalize.timestamps import compile_timestamp_parser
from uns.normalize.units import compile_conversion
from uns.normalize.values import compile_coercer, compile_table_coercer
from uns.pipeline.outputs import Rejection

TimestampParser = Callable[[object, int], int | None]


@dataclass(slots=True)
class TagPlan:
    """Everything about one raw (topic, sample id) that does not change per message."""

    binding: Binding
    node: Node
    tag: Tag
    topic: str  # governed topic
    retain: bool
    coerce: Callable[[object], object]
    convert: Callable[[float], float] | None
    parse_ts: TimestampParser
    parse_quality: Callable[[object], str]
    shifts: ShiftResolver | None
    path: tuple[str, ...]
    asset: dict[str, str]
    unit: str | None
    source_topic: str
    nullable: bool = False
    raw_quality: bool = True  # keep the raw quality in `source` (not for host-normalised ones)
    revision: str | None = None  # the model revision (lineage)
    static_json: bytes = b""  # `"unit":..,"asset":{..},"context":` fragment
    source_json: bytes = b""  # `},"source":{"topic":..,"binding":..,"model":..` fragment
    context_json: bytes = b"null"
    last_shift: object = None
    last_production: object = None

    def __post_init__(self) -> None:
        unit = orjson.dumps(self.unit)
        self.static_json = b',"unit":' + unit + b',"asset":' + orjson.dumps(self.asset)
        self.static_json += b',"context":'
        self.source_json = b',"source":{"topic":' + orjson.dumps(self.source_topic)
        self.source_json += b',"binding":' + orjson.dumps(self.binding.name)
        self.source_json += b',"model":' + orjson.dumps(self.revision)


class PlanCompiler:
    """Compiles tag plans for one namespace, sharing parsers per binding and site."""

    def __init__(self, ns: Namespace, revision: str | None = None) -> None:
        self.ns = ns
        self.revision = revision
        self._zones = {name: ZoneInfo(site.timezone) for name, site in ns.sites.items()}
        self._ts_parsers: dict[tuple[int, str], TimestampParser] = {}
        self._shifts: dict[str, ShiftResolver | None] = {}
        self._quality = {
            b.order: get_format(b.spec.format).quality_parser(b.spec.quality_format)
            for b in ns.bindings
        }

    def plan(self, hit: IndexHit[Binding], topic: str, name: str | None) -> TagPlan | Rejection:
        b = hit.value
        captures = dict(hit.captures)
        if name is not None and b.id_pattern is not None:
            id_caps = b.id_pattern.match(name)
            if id_caps is None:
                return Rejection(
                    "unknown_id", f"id {name!r} does not match {b.id_pattern.source!r}"
                )
            captures.update(id_caps)
        for cap, table in b.spec.map.items():
            raw = captures.get(cap)
            if raw is None:
                continue
            mapped = table.get(raw)
            if mapped is None:
                return Rejection("unknown_code", f"{cap} {raw!r} is not in the binding's map")
            captures[cap] = mapped
        path = b.equipment.render(captures)
        node = self.ns.node(path)
        if node is None or node.asset_class is None:
            return Rejection("unknown_equipment", f"equipment {path!r} is not in the model")
        raw_tag = b.tag.render(captures)
        tag_name, unit, scale, offset = raw_tag, b.spec.unit, b.spec.scale, b.spec.offset
        if b.tag_map is not None:
            tm = b.tag_map.get(raw_tag)
            if tm is None:
                return Rejection(
                    "unknown_raw_tag", f"raw tag {raw_tag!r} is not in the binding's tags"
                )
            tag_name = tm.tag
            unit = tm.unit if tm.unit is not None else unit
            scale = tm.scale if tm.scale is not None else scale
            offset = tm.offset if tm.offset is not None else offset
        tag = node.tags.get(tag_name)
        if tag is None:
            return Rejection(
                "unknown_tag", f"{tag_name!r} is not a tag of class {node.asset_class.name!r}"
            )
        try:
            convert = None
            if tag.datatype in ("float", "int"):
                convert = compile_conversion(unit, tag.unit, scale, offset)
        except UnitError as exc:
            return Rejection("bad_unit", str(exc))
        fmt = get_format(b.spec.format)
        return TagPlan(
            binding=b,
            node=node,
            tag=tag,
            # The governed-topic walk: one call site (becomes the shared `uns.model` walk).
            topic=str(self.ns.governed_topic(node, tag.name)),
            retain=tag.retain,
            coerce=(
                compile_table_coercer(tag.columns)
                if tag.datatype == "dataset"
                else compile_coercer(tag.datatype)
            ),
            convert=convert,
            parse_ts=self.timestamp_parser(b.order, b.spec.timestamp_format, node.site),
            parse_quality=self._quality[b.order],
            nullable=fmt.nullable,
            raw_quality=not fmt.host_routed,
            revision=self.revision,
            shifts=self._shift_resolver(node.site),
            path=node.path,
            asset=self.ns.asset_levels(node, tag),
            unit=tag.unit,
            source_topic=topic,
        )

    def timestamp_parser(self, owner: int, fmt: str | None, site: str) -> TimestampParser:
        """One parser per (binding or context source, site): naive times are site-local."""
        key = (owner, site)
        parser = self._ts_parsers.get(key)
        if parser is None:
            parser = compile_timestamp_parser(fmt, self._zones[site])
            self._ts_parsers[key] = parser
        return parser

    def _shift_resolver(self, site: str) -> ShiftResolver | None:
        if site not in self._shifts:
            s = self.ns.sites.get(site)
            calendar = self.ns.calendars.get(s.calendar) if s and s.calendar else None
            self._shifts[site] = ShiftResolver(calendar, self._zones[site]) if calendar else None
        return self._shifts[site]
