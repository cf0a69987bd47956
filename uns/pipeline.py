"""The contextualization pipeline: raw MQTT message in, governed (or dead-letter) messages out.

Pure: no I/O, no asyncio, the clock is the `received_ms` argument. The service feeds it; `uns
explain` runs the same code with a trace.

Per message the hot path is: topic -> route (cached trie lookup) -> decode payload into samples
-> per sample a `TagPlan` cached by (topic, sample id) that holds everything known statically
(governed topic, asset object, converters, parsers, the site's shift resolver) -> value,
timestamp, quality -> shift and production context as of the sample's own time -> JSON.
Anything that cannot be placed becomes a dead-letter message with a reason; nothing derived
from raw input ever becomes a governed topic, which is built only from model names.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

import orjson

from uns.codec.payloads import (
    RawSample,
    json_object_decoder,
    kepware_decoder,
    records_decoder,
    scalar_decoder,
)
from uns.context.mes import MesReader, apply_update
from uns.context.production import ContextStore
from uns.context.shifts import ShiftResolver
from uns.errors import DecodeError, UnitError
from uns.model.namespace import Binding, ContextSource, Namespace, Node, Tag
from uns.model.trie import IndexHit, TopicIndex
from uns.normalize.quality import compile_quality_parser
from uns.normalize.timestamps import compile_timestamp_parser, format_utc_ms
from uns.normalize.units import compile_conversion
from uns.normalize.values import compile_coercer
from uns.sparkplug import HostActions, SparkplugHost

Decoder = Callable[[bytes], list[RawSample]]
Kind = Literal["enriched", "deadletter", "command"]
DEFAULT_MAX_PAYLOAD = 256 * 1024
DEFAULT_MAX_TOPIC = 1024
_PLAN_CACHE_SIZE = 200_000
_SOURCE = b'","timestamp_source":"source","quality":'
_ARRIVAL = b'","timestamp_source":"arrival","quality":'
_QUALITY = {q: orjson.dumps(q) for q in ("good", "uncertain", "bad", "stale")}


def _host_quality(raw: object) -> str:
    # The Sparkplug host normalised it already (uns.sparkplug.samples): one of _QUALITY.
    return cast(str, raw)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to publish."""

    topic: str
    payload: bytes
    retain: bool
    kind: Kind
    reason: str | None = None  # dead-letter reason code
    qos: int | None = None  # None: the service's QoS; commands (Sparkplug NCMD) use 0


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a sample (or a whole message) cannot be placed."""

    reason: str
    detail: str


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
    parse_ts: Callable[[object, int], int | None]
    parse_quality: Callable[[object], str]
    shifts: ShiftResolver | None
    path: tuple[str, ...]
    asset: dict[str, str]
    unit: str | None
    source_topic: str
    nullable: bool = False
    static_json: bytes = b""  # `"unit":..,"asset":{..},"context":` fragment
    source_json: bytes = b""  # `},"source":{"topic":..,"received":"` fragment
    context_json: bytes = b"null"
    last_shift: object = None
    last_production: object = None

    def __post_init__(self) -> None:
        unit = orjson.dumps(self.unit)
        self.static_json = b',"unit":' + unit + b',"asset":' + orjson.dumps(self.asset)
        self.static_json += b',"context":'
        self.source_json = b',"source":{"topic":' + orjson.dumps(self.source_topic)
        self.source_json += b',"received":"'


@dataclass(slots=True)
class Trace:
    """What `uns explain` shows: the route taken and each step's outcome."""

    kind: Literal["binding", "context", "none"] = "none"
    name: str | None = None
    pattern: str | None = None
    captures: dict[str, str] = field(default_factory=dict)
    candidates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Counters:
    """Plain counts the service exports as metrics (pure code keeps no Prometheus objects)."""

    context_updates: int = 0
    context_unmatched_ends: dict[str, int] = field(default_factory=dict)  # by context key
    sparkplug_seq_gaps: int = 0
    sparkplug_rebirths: int = 0
    sparkplug_problems: dict[str, int] = field(default_factory=dict)  # by reason


class Enricher:
    """Compiled from one `Namespace`; keeps no state of its own beyond caches.

    Context state lives in the `ContextStore` passed in, so a model reload builds a new
    Enricher around the same store and nothing is lost.
    """

    def __init__(
        self,
        ns: Namespace,
        context: ContextStore,
        *,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        max_topic: int = DEFAULT_MAX_TOPIC,
        counters: Counters | None = None,
        sparkplug: SparkplugHost | None = None,
    ) -> None:
        self.ns = ns
        self.context = context
        self.counters = counters or Counters()  # shared across model reloads
        self.sparkplug = sparkplug  # births and aliases outlive a model reload too
        self.max_payload = max_payload
        self.max_topic = max_topic
        self._bindings: TopicIndex[Binding] = TopicIndex()
        self._sp_bindings: TopicIndex[Binding] = TopicIndex()  # over SparkplugAddress.levels
        self._sources: TopicIndex[ContextSource] = TopicIndex()
        for b in ns.bindings:
            index = self._sp_bindings if b.spec.format == "sparkplug" else self._bindings
            index.add(b.pattern, b)
        for s in ns.context_sources:
            self._sources.add(s.pattern, s)
        self._decoders: dict[int, Decoder] = {b.order: self._decoder(b) for b in ns.bindings}
        self._quality = {
            b.order: _host_quality
            if b.spec.format == "sparkplug"
            else compile_quality_parser(b.spec.quality_format)
            for b in ns.bindings
        }
        self._zones = {name: ZoneInfo(site.timezone) for name, site in ns.sites.items()}
        self._ts_parsers: dict[tuple[int, str], Callable[[object, int], int | None]] = {}
        self._shifts: dict[str, ShiftResolver | None] = {}
        self._plans: dict[tuple[str, str | None], TagPlan | Rejection] = {}
        self._dl_topics: dict[str, str] = {}
        self._mes = {s.order: MesReader(s.spec) for s in ns.context_sources}
        for node in ns.nodes.values():
            for key, value in node.context.items():
                context.set_default(node.path, key, value)  # type: ignore[arg-type]

    # -- routing -------------------------------------------------------------------------

    def subscriptions(self) -> list[str]:
        """MQTT filters covering every binding and context source, without duplicates.

        Sparkplug bindings are left out: their filters depend on sharing (`uns.sparkplug`).
        """
        filters = [
            b.pattern.subscription() for b in self.ns.bindings if b.spec.format != "sparkplug"
        ]
        filters += [s.pattern.subscription() for s in self.ns.context_sources]
        return sorted(set(filters))

    @property
    def uses_sparkplug(self) -> bool:
        return len(self._sp_bindings) > 0

    def context_subscriptions(self) -> list[str]:
        return sorted({s.pattern.subscription() for s in self.ns.context_sources})

    def process(self, topic: str, payload: bytes, received_ms: int) -> list[Outgoing]:
        """Everything to publish for one raw message (possibly nothing, for MES context)."""
        return self._process(topic, payload, received_ms, None)

    def explain(self, topic: str, payload: bytes, received_ms: int) -> tuple[Trace, list[Outgoing]]:
        trace = Trace()
        trace.candidates = [
            f"{h.value.name}: {h.pattern.source} (specificity {h.pattern.specificity})"
            for h in sorted(
                self._bindings.candidates(topic),
                key=lambda h: (h.pattern.specificity, -h.order),
                reverse=True,
            )
        ]
        out = self._process(topic, payload, received_ms, trace)
        return trace, out

    def _process(
        self, topic: str, payload: bytes, received_ms: int, trace: Trace | None
    ) -> list[Outgoing]:
        if len(payload) > self.max_payload:
            size = Rejection("payload_too_large", f"{len(payload)} bytes > {self.max_payload}")
            return [self.dead_letter(topic, payload, received_ms, size)]
        if len(topic) * 4 > self.max_topic:  # UTF-8 is at most 4 bytes a character
            n = len(topic.encode())
            if n > self.max_topic:
                long = Rejection("topic_too_long", f"{n} bytes > {self.max_topic}")
                return [self.dead_letter(topic[:256] + "...", payload, received_ms, long)]
        if self.sparkplug is not None and topic.startswith("spBv1.0/"):
            return self._sparkplug(topic, payload, received_ms, trace)
        src = self._sources.lookup(topic)
        if src is not None:
            if trace is not None:
                trace.kind, trace.name = "context", src.value.name
                trace.pattern, trace.captures = src.pattern.source, dict(src.captures)
            rejection = self._apply_context(src, payload, received_ms, trace)
            if rejection is None:
                return []
            return [self.dead_letter(topic, payload, received_ms, rejection, src.value.name)]
        hit = self._bindings.lookup(topic)
        if hit is None:
            none = Rejection("no_binding", "no binding or context source matches this topic")
            return [self.dead_letter(topic, payload, received_ms, none)]
        binding = hit.value
        if trace is not None:
            trace.kind, trace.name = "binding", binding.name
            trace.pattern, trace.captures = binding.pattern.source, dict(hit.captures)
        try:
            samples = self._decoders[binding.order](payload)
        except DecodeError as exc:
            bad = Rejection(exc.reason, exc.detail)
            return [self.dead_letter(topic, payload, received_ms, bad, binding.name)]
        if not samples:
            empty = Rejection("empty_batch", "the batch payload carries no values")
            return [self.dead_letter(topic, payload, received_ms, empty, binding.name)]
        out: list[Outgoing] = []
        failed: dict[str, list[str]] | None = None
        for sample in samples:
            result = self._enrich(hit, topic, sample, received_ms, trace)
            if type(result) is Outgoing:
                out.append(result)
            else:
                assert isinstance(result, Rejection)
                failed = failed if failed is not None else {}
                failed.setdefault(result.reason, []).append(result.detail)
        if failed is None:
            return out
        # A batch with bad values dead-letters once per reason, naming the values, and still
        # publishes the good ones.
        out += self._rejections(topic, payload, received_ms, failed, binding.name)
        return out

    # -- one sample ----------------------------------------------------------------------

    def _enrich(
        self,
        hit: IndexHit[Binding],
        topic: str,
        sample: RawSample,
        received_ms: int,
        trace: Trace | None,
    ) -> Outgoing | Rejection:
        key = (topic, sample.name)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan(hit, topic, sample.name)
            if len(self._plans) >= _PLAN_CACHE_SIZE:
                self._plans.clear()
            self._plans[key] = plan
        if isinstance(plan, Rejection):
            return plan
        try:
            # A Sparkplug null or stale marker is published as null, not coerced.
            nothing = sample.value is None and plan.nullable
            value = None if nothing else plan.coerce(sample.value)
            if plan.convert is not None and type(value) in (float, int):
                # 12 significant digits: 853 * 0.1 is 85.3, not 85.30000000000001.
                value = float(f"{plan.convert(value):.12g}")  # type: ignore[arg-type]
            ts = None
            if sample.timestamp is not None:
                ts = plan.parse_ts(sample.timestamp, received_ms)
            quality = plan.parse_quality(sample.quality)
        except DecodeError as exc:
            return Rejection(exc.reason, f"{plan.tag.name}: {exc.detail}")
        received = format_utc_ms(received_ms)
        if ts is None:
            ts, stamp, ts_part = received_ms, received, _ARRIVAL
        else:
            stamp, ts_part = format_utc_ms(ts), _SOURCE
        shift = plan.shifts.shift_at(ts) if plan.shifts is not None else None
        production = self.context.lookup(plan.path, ts)
        if shift is not plan.last_shift or production is not plan.last_production:
            # Context changes at shift and batch boundaries only: serialise it once per change.
            plan.last_shift, plan.last_production = shift, production
            plan.context_json = orjson.dumps(
                {
                    "shift": shift.name if shift else None,
                    "crew": shift.crew if shift else None,
                    "batch": production.batch,
                    "product": production.product,
                    "order": production.order,
                }
            )
        if trace is not None:
            trace.notes.append(
                f"{sample.name or plan.binding.tag.source} -> {plan.node.path_text} "
                f"tag {plan.tag.name}"
            )
        # Pre-serialised fragments keep the key order of docs/payload.md fixed.
        payload = b"".join(
            (
                b'{"value":',
                orjson.dumps(value),
                b',"timestamp":"',
                stamp.encode(),
                ts_part,
                _QUALITY[quality],
                plan.static_json,
                plan.context_json,
                plan.source_json,
                received.encode(),
                b'"}}',
            )
        )
        return Outgoing(plan.topic, payload, plan.retain, "enriched")

    def _plan(self, hit: IndexHit[Binding], topic: str, name: str | None) -> TagPlan | Rejection:
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
        return TagPlan(
            binding=b,
            node=node,
            tag=tag,
            topic=str(self.ns.governed_topic(node, tag.name)),
            retain=tag.retain,
            coerce=compile_coercer(tag.datatype),
            convert=convert,
            parse_ts=self._ts_parser(b.order, b.spec.timestamp_format, node.site),
            parse_quality=self._quality[b.order],
            nullable=b.spec.format == "sparkplug",
            shifts=self._shift_resolver(node.site),
            path=node.path,
            asset=self._asset(node),
            unit=tag.unit,
            source_topic=topic,
        )

    def _asset(self, node: Node) -> dict[str, str]:
        return self.ns.asset_levels(node)

    def _ts_parser(
        self, owner: int, fmt: str | None, site: str
    ) -> Callable[[object, int], int | None]:
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

    @staticmethod
    def _decoder(b: Binding) -> Decoder:
        f = b.spec.fields
        if b.spec.format == "scalar":
            return scalar_decoder()
        if b.spec.format == "kepware":
            return kepware_decoder()
        if b.spec.format == "records":
            assert b.spec.records is not None
            assert f.name is not None
            return records_decoder(
                records=b.spec.records,
                name=f.name,
                value=f.value,
                timestamp=f.timestamp,
                quality=f.quality,
            )
        return json_object_decoder(value=f.value, timestamp=f.timestamp, quality=f.quality)

    # -- Sparkplug -----------------------------------------------------------------------

    def _sparkplug(
        self, topic: str, payload: bytes, received_ms: int, trace: Trace | None
    ) -> list[Outgoing]:
        assert self.sparkplug is not None
        acts = self.sparkplug.handle(topic, payload, received_ms)
        out = self._host_commands(acts, received_ms)
        failed: dict[str, list[str]] = {}
        for reason, detail in acts.problems:
            failed.setdefault(reason, []).append(detail)
        for sample in (*acts.samples, *acts.stale):
            address = sample.address
            hit = self._sp_bindings.lookup_levels(address.levels)
            if hit is None:
                failed.setdefault("no_binding", []).append(f"{address.text} {sample.name}")
                continue
            if trace is not None:
                trace.kind, trace.name = "binding", hit.value.name
                trace.pattern, trace.captures = hit.pattern.source, dict(hit.captures)
            raw = RawSample(sample.name, sample.value, sample.timestamp_ms, sample.quality)
            result = self._enrich(hit, address.text, raw, received_ms, trace)
            if isinstance(result, Rejection):
                failed.setdefault(result.reason, []).append(result.detail)
            elif sample.is_historical and result.retain:
                out.append(replace(result, retain=False))  # history never replaces "current"
            else:
                out.append(result)
        out += self._rejections(topic, payload, received_ms, failed)
        return out

    def _rejections(
        self,
        topic: str,
        payload: bytes,
        received_ms: int,
        failed: dict[str, list[str]],
        binding: str | None = None,
    ) -> list[Outgoing]:
        """One dead letter per reason for a message whose values failed in several ways."""
        out = []
        for reason, details in failed.items():
            detail = "; ".join(details[:20])
            if len(details) > 20:
                detail += f"; ... {len(details) - 20} more"
            rejection = Rejection(reason, detail)
            out.append(self.dead_letter(topic, payload, received_ms, rejection, binding))
        return out

    def tick(self, now_ms: int) -> list[Outgoing]:
        """Timers of the Sparkplug host (seq reorder deadlines, throttled rebirths)."""
        if self.sparkplug is None:
            return []
        return self._host_commands(self.sparkplug.tick(now_ms), now_ms)

    def _host_commands(self, acts: HostActions, now_ms: int) -> list[Outgoing]:
        assert self.sparkplug is not None
        c = self.counters
        c.sparkplug_seq_gaps += acts.seq_gaps
        for reason, _ in acts.problems:
            c.sparkplug_problems[reason] = c.sparkplug_problems.get(reason, 0) + 1
        out = []
        if acts.republish_state and (ts := self.sparkplug.state_timestamp_ms) is not None:
            # Our own STATE topic says offline while we run: say online again (retained).
            state = self.sparkplug.state_online_payload(ts)
            out.append(Outgoing(self.sparkplug.state_topic(), state, True, "command", qos=1))
        for group, node in acts.rebirths:
            c.sparkplug_rebirths += 1
            out.append(
                Outgoing(
                    SparkplugHost.rebirth_topic(group, node),
                    self.sparkplug.rebirth_payload(now_ms),
                    retain=False,
                    kind="command",
                    qos=0,
                )
            )
        return out

    # -- MES context ---------------------------------------------------------------------

    def _apply_context(
        self,
        hit: IndexHit[ContextSource],
        payload: bytes,
        received_ms: int,
        trace: Trace | None,
    ) -> Rejection | None:
        src = hit.value
        captures = dict(hit.captures)
        for cap, table in src.spec.map.items():
            raw = captures.get(cap)
            if raw is not None:
                if raw not in table:
                    return Rejection("unknown_code", f"{cap} {raw!r} is not in the source's map")
                captures[cap] = table[raw]
        scope_text = src.scope.render(captures)
        node = self.ns.node(scope_text)
        if node is None:
            return Rejection("unknown_scope", f"scope {scope_text!r} is not a node of the model")
        parse_ts = self._ts_parser(-1 - src.order, src.spec.timestamp_format, node.site)
        try:
            update = self._mes[src.order].read(payload, received_ms, parse_ts)
        except DecodeError as exc:
            return Rejection(exc.reason, exc.detail)
        for key in apply_update(self.context, node.path, update):
            misses = self.counters.context_unmatched_ends
            misses[key] = misses.get(key, 0) + 1
        self.counters.context_updates += 1
        if trace is not None:
            trace.notes.append(
                f"context {update.event} for {scope_text} at {format_utc_ms(update.ts_ms)}: "
                f"{update.values}"
            )
        return None

    # -- dead letters --------------------------------------------------------------------

    def dead_letter(
        self,
        topic: str,
        payload: bytes,
        received_ms: int,
        rejection: Rejection,
        binding: str | None = None,
    ) -> Outgoing:
        """The dead-letter message for a raw message that cannot be placed."""
        reason = rejection.reason
        body: dict[str, Any] = {
            "reason": reason,
            "detail": rejection.detail,
            "topic": topic,
            "received": format_utc_ms(received_ms),
            "binding": binding,
        }
        try:
            body["payload"] = payload.decode("utf-8")
            body["payload_encoding"] = "utf-8"
        except UnicodeDecodeError:
            body["payload"] = base64.b64encode(payload).decode("ascii")
            body["payload_encoding"] = "base64"
        dl_topic = self._dl_topics.get(reason)
        if dl_topic is None:
            dl_topic = self._dl_topics[reason] = str(self.ns.deadletter_topic(reason))
        return Outgoing(dl_topic, orjson.dumps(body), False, "deadletter", reason)
