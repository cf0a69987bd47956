"""Simulated MES context: every `context:` source announces order changes per scope.

A scope changes every ~`context_period_ms`, in `current` mode (retained, whole state) or
`events` mode (end of the old batch, start of the new). On a change, the counters of the
scope's equipment start again from zero. With a shifted clock, a scope whose data has no
source time announces without a timestamp too (the service stamps both on arrival), so that
data and context are joined on the same clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

import orjson

from uns.model.namespace import ContextSource, Namespace, Node
from uns.simulator.encoding import has_source_time, iso, set_path, timestamp_writer
from uns.simulator.messages import Point, RawMessage
from uns.simulator.plant import FILLER, context_index, inverse_map, render_topic, template_regex

__all__ = ["MesContext"]

_PRODUCTS = (
    "cola-classic",
    "cola-zero",
    "lemon-lime",
    "orange-fizz",
    "sparkling-water",
    "still-water",
    "ginger-ale",
)


@dataclass(slots=True)
class Scope:
    """One MES scope of one context source, and what it announced last."""

    source: ContextSource
    topic: str
    node: Node
    with_time: bool
    index: int
    seq: int = 0
    next_change_ms: int = 0
    values: dict[str, str] = field(default_factory=dict)


class MesContext:
    """The context messages due at a simulated instant, for every scope of every source."""

    def __init__(
        self,
        ns: Namespace,
        points: list[Point],
        rng: random.Random,
        zones: dict[str, tzinfo],
        *,
        clock_offset_ms: int,
        context_period_ms: int,
    ) -> None:
        self.ns = ns
        self.points = points
        self.clock_offset_ms = clock_offset_ms
        self.context_period_ms = context_period_ms
        self._rng = rng
        self._zones = zones
        self._started = False
        self.scopes = self._make_scopes()

    def _make_scopes(self) -> list[Scope]:
        sources = context_index(self.ns)
        scopes: list[Scope] = []
        for s in self.ns.context_sources:
            inverse = {cap: inverse_map(t) for cap, t in s.spec.map.items()}
            rx = template_regex(s.scope.source)
            for node in self.ns.nodes.values():
                m = rx.fullmatch(node.path_text)
                if m is None:
                    continue
                caps = m.groupdict()
                raw: dict[str, str] = {}
                for cap in s.pattern.captures:
                    value = caps.get(cap, FILLER)
                    code = inverse[cap].get(value) if cap in inverse else value
                    if code is None:
                        break
                    raw[cap] = code
                else:
                    topic = render_topic(s.pattern, raw)
                    hit = sources.lookup(topic)
                    if hit is None or hit.value is not s:
                        continue
                    # With a shifted clock, data without source time runs on the real clock;
                    # its scope's announcements must then too (stamped on arrival), or no
                    # data of the scope would be joined to them.
                    under = [p for p in self.points if p.node.path[: len(node.path)] == node.path]
                    with_time = s.spec.timestamp is not None and (
                        self.clock_offset_ms == 0 or all(has_source_time(p.binding) for p in under)
                    )
                    scopes.append(Scope(s, topic, node, with_time, len(scopes)))
        return scopes

    def messages(self, sim: int) -> list[RawMessage]:
        out: list[RawMessage] = []
        rng = self._rng
        if not self._started:
            self._started = True
            for scope in self.scopes:
                # The order in force now started a while ago, before any data we send.
                since = sim - rng.randint(5, 40) * 60_000
                out += self._change(scope, since, first=True)
                scope.next_change_ms = sim + int(self.context_period_ms * rng.uniform(0.3, 0.8))
            return out
        for scope in self.scopes:
            if sim >= scope.next_change_ms:
                out += self._change(scope, scope.next_change_ms, first=False)
                scope.next_change_ms += int(self.context_period_ms * rng.uniform(0.75, 1.25))
        return out

    def _change(self, scope: Scope, ts: int, *, first: bool) -> list[RawMessage]:
        spec = scope.source.spec
        old = dict(scope.values)
        scope.seq += 1
        day = datetime.fromtimestamp(ts / 1000, self._zones.get(scope.node.site, UTC))
        new = {
            "order": f"{4700 + scope.index}-{day:%m%d}{scope.seq:02d}",
            "product": self._rng.choice(_PRODUCTS),
            "batch": f"{scope.node.name[:1].upper()}{day:%y%m%d}-{scope.seq:02d}",
        }
        scope.values = {key: new[key] for key in spec.fields}
        if not first:
            for p in self.points:
                if p.node.path[: len(scope.node.path)] == scope.node.path:
                    p.signal.reset()
        name = scope.source.name
        if spec.mode == "current":
            doc = self._context_doc(scope, scope.values, ts)
            return [RawMessage(scope.topic, orjson.dumps(doc), "context", name, retain=True)]
        assert spec.event is not None
        out = []
        if old:
            end = self._context_doc(scope, old, ts)
            set_path(end, spec.event.field, spec.event.end)
            out.append(RawMessage(scope.topic, orjson.dumps(end), "context", name))
        start = self._context_doc(scope, scope.values, ts)
        set_path(start, spec.event.field, spec.event.start)
        out.append(RawMessage(scope.topic, orjson.dumps(start), "context", name))
        return out

    def _context_doc(self, scope: Scope, values: dict[str, str], ts: int) -> dict[str, object]:
        spec = scope.source.spec
        doc: dict[str, object] = {}
        for key, path in spec.fields.items():
            set_path(doc, path, values[key])
        if scope.with_time and spec.timestamp is not None:
            tz = self._zones.get(scope.node.site, UTC)
            fmt = spec.timestamp_format
            stamp: object = iso(ts, tz, 0) if fmt in (None, "iso8601") else None
            if stamp is None:
                stamp = timestamp_writer(fmt, tz)(ts, self._rng)
            set_path(doc, spec.timestamp, stamp)
        return doc
