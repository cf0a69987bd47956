"""Simulated plant traffic: the raw MQTT messages a loaded model's sources would send.

Pure: no I/O, no asyncio; the clock is an argument and randomness comes from one seeded
`random.Random`, so a seed and a sequence of `now_ms` values always give the same messages.

Everything is derived from the model, so the traffic stays true when the model changes:

- every binding is inverted into *points* (one raw topic, plus an id for batch formats, per
  equipment tag it can reach): topic captures get raw codes from the binding's `map`, raw tag
  names come from its `tags` map (or are the canonical names when it has none); a point is kept
  only if the model routes its topic back to the same binding (a more specific binding may own
  it, e.g. `plc/cgn/L2/FIL01/...` belongs to the filler binding, not to the generic one);
- values are plausible per class tag: a random walk inside `range` for floats, increasing
  counters for unbounded ints, sticky PackML states for `state`, booleans that mostly keep
  their usual value; they are generated in the canonical unit and converted back through the
  binding's scale, offset and source unit (degF, psi, 1/min ...), so the service's conversion
  lands them inside the range again;
- payloads follow the binding's format (`json` with its field paths, bare `scalar`,
  `kepware` batches with a per-value `t` older than the envelope, `records` lists, Sparkplug B
  births with names, aliases and datatypes and then DATA by alias with one seq per node), with
  timestamps in the binding's `timestamp_format` (epoch ms, ISO-8601 with `Z`, 7 fraction
  digits or a local offset, naive local strptime text) and quality in its `quality_format`;
- MES context (`context:` sources) changes every ~`context_period_s` per scope, in `current`
  mode (retained, whole state) or `events` mode (end of the old batch, start of the new);
- every `invalid_every`-th message is deliberately wrong, cycling through what a plant really
  sends: an unknown raw tag, an unknown code, broken JSON, a non-UTF-8 payload and a topic no
  binding matches. Each carries the dead-letter reason it should get (`RawMessage.expect`).

The simulated clock is `now_ms + clock_offset_ms`; `auto_clock_offset_ms` picks an offset that
puts the next shift change of any site ~30 s after the start, so a demo shows one at once.
Values without a source timestamp (the `scalar` format) are stamped by the service on arrival,
in real time. With a clock offset, MES announcements for a scope with such data therefore
leave their timestamp out too (the service stamps them on arrival): data and context are then
joined on the same clock.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

import orjson

from uns.context.shifts import ShiftResolver
from uns.errors import UnitError, UnsError
from uns.model.namespace import Binding, ContextSource, Namespace, Node, Tag
from uns.model.specs import TagMapSpec
from uns.model.template import PLACEHOLDER as _PLACEHOLDER
from uns.model.template import Template
from uns.model.topics import LITERAL, MULTI, SINGLE, TopicPattern
from uns.model.trie import TopicIndex
from uns.normalize.units import compile_conversion
from uns.sparkplug import DataType, SparkplugMetric, SparkplugPayload, encode_payload

__all__ = [
    "INVALID_REASONS",
    "Point",
    "RawMessage",
    "Simulator",
    "auto_clock_offset_ms",
    "render_topic",
    "shift_boundaries",
]

Kind = Literal["data", "context", "invalid"]
JsonValue = bool | int | float | str

# The deliberately invalid messages, in the order they are cycled through.
INVALID_REASONS = ("unknown_raw_tag", "unknown_code", "bad_json", "not_utf8", "no_binding")

_FILLER = "sim"  # value for captures nothing depends on
_PACKML = ((6, 0.86), (5, 0.05), (9, 0.04), (2, 0.03), (11, 0.02))  # execute, suspended, ...
_WORD_STATES = (("RUN", 0.85), ("IDLE", 0.1), ("STOP", 0.05))
_USUALLY_FALSE = ("low", "backed", "full", "alarm", "fault", "error", "stop", "trip")
_SLOW_COUNTERS = ("reject", "defect", "pallet", "layer", "batch")
_PRODUCTS = (
    "cola-classic",
    "cola-zero",
    "lemon-lime",
    "orange-fizz",
    "sparkling-water",
    "still-water",
    "ginger-ale",
)
_DAY_MS = 86_400_000
_SPARKPLUG = "spBv1.0"
_SP_TYPES = {
    "float": DataType.Double,
    "int": DataType.Int64,
    "bool": DataType.Boolean,
    "string": DataType.String,
}
_BATCH_FORMATS = ("kepware", "records", "sparkplug")
_UTF16_TEXT = "TT101 = 4.2".encode("utf-16")  # a gateway misconfigured to send UTF-16


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message to publish to the raw side of the broker."""

    topic: str
    payload: bytes
    kind: Kind
    source: str  # binding or context source name ("-" for a topic nothing matches)
    retain: bool = False
    expect: str | None = None  # the dead-letter reason an invalid message should get


# -- value signals (canonical units) -----------------------------------------------------------


class _Signal:
    def next(self, rng: random.Random) -> JsonValue:
        raise NotImplementedError

    def reset(self) -> None:
        """An order change: counters start again from zero."""


@dataclass(slots=True)
class _Walk(_Signal):
    """Mean-reverting random walk, clamped to [lo, hi]."""

    lo: float
    hi: float
    value: float
    target: float
    integer: bool = False

    def next(self, rng: random.Random) -> JsonValue:
        span = self.hi - self.lo
        self.value += rng.gauss(0.0, span * 0.01) + (self.target - self.value) * 0.05
        self.value = min(self.hi, max(self.lo, self.value))
        return round(self.value) if self.integer else self.value


@dataclass(slots=True)
class _Counter(_Signal):
    value: int
    step: int
    chance: float  # probability that a reading has moved on

    def next(self, rng: random.Random) -> JsonValue:
        if rng.random() < self.chance:
            self.value += rng.randint(1, self.step)
        return self.value

    def reset(self) -> None:
        self.value = 0


@dataclass(slots=True)
class _Sticky(_Signal):
    """A value from weighted choices that mostly stays what it was."""

    choices: tuple[JsonValue, ...]
    weights: tuple[float, ...]
    value: JsonValue
    change: float = 0.03

    def next(self, rng: random.Random) -> JsonValue:
        if rng.random() < self.change:
            self.value = rng.choices(self.choices, self.weights)[0]
        return self.value


def _signal(tag: Tag, rng: random.Random) -> _Signal:
    name = tag.name.lower()
    if tag.datatype == "bool":
        usual = not any(word in name for word in _USUALLY_FALSE)
        return _Sticky((usual, not usual), (0.9, 0.1), usual, change=0.05)
    if tag.datatype == "string":
        words = tuple(w for w, _ in _WORD_STATES)
        return _Sticky(words, tuple(p for _, p in _WORD_STATES), words[0])
    if tag.datatype == "int" and "state" in name:
        lo, hi = tag.range or (0.0, math.inf)
        states = [(s, w) for s, w in _PACKML if lo <= s <= hi] or [(round(lo), 1.0)]
        codes = tuple(s for s, _ in states)
        return _Sticky(codes, tuple(w for _, w in states), codes[0])
    if tag.datatype == "int" and tag.range is None:
        slow = any(word in name for word in _SLOW_COUNTERS)
        first = rng.randint(0, 200) if slow else rng.randint(1_000, 50_000)
        return _Counter(first, 1 if slow else 12, 0.1 if slow else 0.9)
    lo, hi = tag.range or (0.0, 100.0)
    start = lo + (hi - lo) * rng.uniform(0.35, 0.75)
    return _Walk(lo, hi, start, start, integer=tag.datatype == "int")


# -- raw encodings -----------------------------------------------------------------------------


def _to_raw_number(
    tag: Tag, tm: TagMapSpec | None, b: Binding
) -> Callable[[float], JsonValue] | None:
    """Canonical -> raw number through the inverse of the binding's (affine) conversion."""
    unit = tm.unit if tm is not None and tm.unit is not None else b.spec.unit
    scale = tm.scale if tm is not None and tm.scale is not None else b.spec.scale
    offset = tm.offset if tm is not None and tm.offset is not None else b.spec.offset
    try:
        convert = compile_conversion(unit, tag.unit, scale, offset)
    except UnitError:
        return None  # `uns check` reports it; the simulator just leaves the tag out
    base = convert(0.0) if convert else 0.0
    gain = convert(1.0) - base if convert else 1.0
    # PLCs send scaled INTs (tenths, hundredths); so do int tags whatever the conversion.
    as_int = tag.datatype == "int" or (b.spec.format == "scalar" and abs(scale) < 1)

    def to_raw(value: float) -> JsonValue:
        raw = (value - base) / gain
        if as_int:
            return round(raw)
        return round(raw, 3) if abs(raw) >= 1 else round(raw, 5)

    return to_raw


def _encoder(
    tag: Tag, tm: TagMapSpec | None, b: Binding, rng: random.Random
) -> Callable[[JsonValue], JsonValue] | None:
    """Canonical value -> what the source puts on the wire for this tag."""
    if tag.datatype == "bool":
        style = _bool_style(b.spec.format, rng)
        return lambda v: style(bool(v))
    if tag.datatype in ("float", "int"):
        to_raw = _to_raw_number(tag, tm, b)
        if to_raw is None:
            return None
        return lambda v: to_raw(float(v))
    return str


def _set_path(doc: dict[str, object], path: str, value: object) -> None:
    """Put `value` at a dotted field path, creating objects on the way ("$." is the root)."""
    text = path.strip().removeprefix("$").removeprefix(".").replace("[", ".").replace("]", "")
    *parents, last = text.split(".")
    node = doc
    for key in parents:
        child = node.setdefault(key, {})
        assert isinstance(child, dict)
        node = child
    node[last] = value


def _iso(ts_ms: int, tz: tzinfo | None, digits: int) -> str:
    """ISO-8601 with `digits` fraction digits, in UTC with `Z` or with `tz`'s offset."""
    dt = datetime.fromtimestamp(ts_ms / 1000, tz or UTC)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{ts_ms % 1000:03d}".ljust(digits, "0")[:digits] if digits else ""
    suffix = "Z" if tz is None else dt.strftime("%z")
    if tz is not None:
        suffix = f"{suffix[:3]}:{suffix[3:]}"
    return f"{base}.{fraction}{suffix}" if fraction else f"{base}{suffix}"


def _timestamp_writer(fmt: str | None, tz: tzinfo) -> Callable[[int, random.Random], object]:
    """Raw timestamps in a binding's format, varying between the spellings it accepts."""
    if fmt == "epoch_ms":
        return lambda ts, rng: ts
    if fmt == "epoch_s":
        return lambda ts, rng: round(ts / 1000, 3)
    if fmt == "epoch_us":
        return lambda ts, rng: ts * 1000
    if fmt == "epoch_ns":
        return lambda ts, rng: ts * 1_000_000
    if fmt == "opcua_ticks":
        return lambda ts, rng: (ts + 11_644_473_600_000) * 10_000
    if fmt == "iso8601":

        def iso(ts: int, rng: random.Random) -> object:
            form = rng.random()
            if form < 0.5:
                return _iso(ts, None, 7)  # OPC UA publishers: 100 ns digits and Z
            if form < 0.8:
                return _iso(ts, None, 3)
            return _iso(ts, tz, 3)  # local time with its offset

        return iso
    if fmt is not None and "%" in fmt:
        return lambda ts, rng: datetime.fromtimestamp(ts / 1000, tz).strftime(fmt)
    # Auto-detected formats: epoch ms, ISO with Z or epoch seconds.
    forms: tuple[Callable[[int], object], ...] = (
        lambda ts: ts,
        lambda ts: _iso(ts, None, 3),
        lambda ts: round(ts / 1000, 3),
    )
    return lambda ts, rng: rng.choice(forms)(ts)


def _quality_writer(kind: str) -> Callable[[random.Random], object]:
    """Raw quality in a binding's quality format: good nearly always, sometimes not."""
    words: dict[str, tuple[object, object, object]] = {
        "string": ("Good", "Uncertain_LastKnownValue", "Bad_Stale"),
        "opcda": (192, 68, 24),
        "opcua": (0, 0x40000000, 0x80310000),
        "bool": (True, True, False),
        "auto": (192, "Uncertain", False),
    }
    good, uncertain, bad = words.get(kind, words["auto"])

    def quality(rng: random.Random) -> object:
        roll = rng.random()
        return bad if roll < 0.003 else uncertain if roll < 0.013 else good

    return quality


def _bool_style(fmt: str, rng: random.Random) -> Callable[[bool], JsonValue]:
    """Devices spell booleans differently: JSON true/false, 1/0 or text."""
    if fmt == "scalar":
        return rng.choice((int, lambda v: "true" if v else "false"))
    if fmt == "records":
        return int
    return lambda v: v


# -- points: the raw side of one binding -------------------------------------------------------


@dataclass(slots=True)
class Point:
    """One raw source of one canonical tag: topic, id inside a batch, and how to spell values."""

    binding: Binding
    topic: str
    name: str | None  # id inside a kepware / records payload
    node: Node
    tag: Tag
    raw_tag: str
    signal: _Signal
    encode: Callable[[JsonValue], JsonValue]

    def value(self, rng: random.Random) -> JsonValue:
        return self.encode(self.signal.next(rng))


def _template_regex(source: str) -> re.Pattern[str]:
    parts: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(source):
        parts.append(re.escape(source[pos : m.start()]))
        parts.append(f"(?P<{m.group(1)}>.+?)")
        pos = m.end()
    parts.append(re.escape(source[pos:]))
    return re.compile("".join(parts), re.DOTALL)


def render_topic(pattern: TopicPattern, captures: dict[str, str]) -> str:
    """A concrete topic the pattern matches with these captures (fillers for `+` / `#`)."""
    levels: list[str] = []
    for lvl in pattern.levels:
        if lvl.kind == LITERAL:
            levels.append(lvl.text)
        elif lvl.kind in (SINGLE, MULTI):
            levels.append(captures[lvl.capture] if lvl.capture else _FILLER)
        else:
            levels.append(Template.parse(lvl.text).render(captures))
    return "/".join(levels)


def _inverse(table: dict[str, str]) -> dict[str, str]:
    """Model name -> the first raw code (sorted) that maps to it."""
    out: dict[str, str] = {}
    for code in sorted(table):
        out.setdefault(table[code], code)
    return out


def _raw_tags(b: Binding, node: Node) -> Iterator[tuple[str, Tag, TagMapSpec | None]]:
    if b.tag_map is not None:
        for raw, tm in b.tag_map.items():
            tag = node.tags.get(tm.tag)
            if tag is not None:
                yield raw, tag, tm
    else:
        for name, tag in node.tags.items():
            yield name, tag, None


@dataclass(slots=True)
class _Target:
    """A binding resolved for one equipment and raw tag: captures in model and raw form."""

    node: Node
    raw_tag: str
    tag: Tag
    tm: TagMapSpec | None
    raw_caps: dict[str, str]


def _targets(b: Binding, ns: Namespace) -> Iterator[_Target]:
    maps = b.spec.map
    inverse = {cap: _inverse(table) for cap, table in maps.items()}
    all_caps = [*b.pattern.captures, *(b.id_pattern.captures if b.id_pattern else ())]
    eq_rx = _template_regex(b.equipment.source)
    tag_rx = _template_regex(b.tag.source)
    for node in ns.equipment():
        m = eq_rx.fullmatch(node.path_text)
        if m is None:
            continue
        eq_caps = m.groupdict()
        for raw_tag, tag, tm in _raw_tags(b, node):
            tm_ = tag_rx.fullmatch(raw_tag)
            if tm_ is None:
                continue
            caps = dict(eq_caps)
            if any(caps.get(k, v) != v for k, v in tm_.groupdict().items()):
                continue  # the tag template disagrees with the equipment path
            caps.update(tm_.groupdict())
            raw_caps: dict[str, str] = {}
            for cap in all_caps:
                if cap in inverse:
                    model = caps.get(cap)
                    code = (
                        min(maps[cap], default=None) if model is None else inverse[cap].get(model)
                    )
                    if code is None:
                        break
                    raw_caps[cap] = code
                else:
                    raw_caps[cap] = caps.get(cap, _FILLER)
            else:
                yield _Target(node, raw_tag, tag, tm, raw_caps)


def _binding_indexes(ns: Namespace) -> tuple[TopicIndex[Binding], TopicIndex[Binding]]:
    """Topic indexes as the pipeline has them: plain bindings, and Sparkplug addresses."""
    index: TopicIndex[Binding] = TopicIndex()
    sp_index: TopicIndex[Binding] = TopicIndex()
    for b in ns.bindings:
        (sp_index if b.spec.format == "sparkplug" else index).add(b.pattern, b)
    return index, sp_index


def _points(ns: Namespace, rng: random.Random) -> list[Point]:
    index, sp_index = _binding_indexes(ns)
    sources: TopicIndex[ContextSource] = TopicIndex()
    for s in ns.context_sources:
        sources.add(s.pattern, s)
    points: list[Point] = []
    for b in ns.bindings:
        sparkplug = b.spec.format == "sparkplug"
        for t in _targets(b, ns):
            # Sparkplug patterns name an address (spBv1.0/group/node[/device]), not a topic.
            topic = render_topic(b.pattern, t.raw_caps)
            hit = (sp_index if sparkplug else index).lookup(topic)
            if hit is None or hit.value is not b or sources.lookup(topic) is not None:
                continue  # another binding (or an MES source) owns this topic
            if sparkplug and not 3 <= len(topic.split("/")) <= 4:
                continue
            name = None
            if b.id_pattern is not None:
                name = Template.parse(b.id_pattern.source).render(t.raw_caps)
                want = {k: t.raw_caps[k] for k in b.id_pattern.captures}
                if b.id_pattern.match(name) != want:
                    continue  # the id would split differently than intended
            encode = _encoder(t.tag, t.tm, b, rng)
            if encode is None:
                continue
            points.append(
                Point(b, topic, name, t.node, t.tag, t.raw_tag, _signal(t.tag, rng), encode)
            )
    return points


# -- message builders ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Unit:
    """What one data message is made of: one point, or the points of one batch topic."""

    binding: Binding
    points: list[Point]
    batch: bool


@dataclass(slots=True)
class _Scope:
    """One MES scope of one context source, and what it announced last."""

    source: ContextSource
    topic: str
    node: Node
    with_time: bool
    index: int
    seq: int = 0
    next_change_ms: int = 0
    values: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _EdgeNode:
    """A Sparkplug edge node: one seq counter over all its messages, aliases across devices."""

    group: str
    node: str
    seq: int = -1
    bd_seq: int = 0
    aliases: int = 0

    def next_seq(self) -> int:
        self.seq = (self.seq + 1) % 256
        return self.seq


class Simulator:
    """Raw traffic for one model. Call `messages(now_ms, n)` at a steady pace."""

    def __init__(
        self,
        ns: Namespace,
        *,
        seed: int = 0,
        clock_offset_ms: int = 0,
        invalid_every: int = 100,
        context_period_s: float = 20.0,
    ) -> None:
        self.ns = ns
        self.clock_offset_ms = clock_offset_ms
        self.invalid_every = invalid_every
        self.context_period_ms = max(1, int(context_period_s * 1000))
        self._rng = random.Random(seed)
        self._zones = {name: ZoneInfo(site.timezone) for name, site in ns.sites.items()}
        self.points = _points(ns, self._rng)
        if not self.points:
            raise UnsError("the model has no binding the simulator can produce traffic for")
        self._ts = {
            b.order: _timestamp_writer(b.spec.timestamp_format, self._binding_zone(b))
            for b in ns.bindings
        }
        self._quality = {b.order: _quality_writer(b.spec.quality_format) for b in ns.bindings}
        self._units = self._make_units()
        self._queue: list[int] = []
        self._scopes = self._make_scopes()
        self._started = False
        self._edge_nodes: dict[tuple[str, str], _EdgeNode] = {}
        self._aliases: dict[int, int] = {}  # id(point) -> Sparkplug alias
        self._count = 0
        self._invalid: list[tuple[str, Callable[[int], RawMessage]]] = self._make_invalid()
        self._invalid_next = 0
        self._scan = 0

    # -- what it covers ------------------------------------------------------------------

    @property
    def bindings(self) -> set[str]:
        """Names of the bindings that get traffic."""
        return {p.binding.name for p in self.points}

    @property
    def context_sources(self) -> set[str]:
        return {s.source.name for s in self._scopes}

    @property
    def invalid_reasons(self) -> tuple[str, ...]:
        """The dead-letter reasons the invalid messages cycle through, for this model."""
        return tuple(reason for reason, _ in self._invalid)

    @property
    def round_size(self) -> int:
        """Data messages after which every point has been sent at least once."""
        return len(self._units)

    # -- the stream ----------------------------------------------------------------------

    def messages(self, now_ms: int, count: int) -> list[RawMessage]:
        """Due MES context first, then `count` data messages (some deliberately invalid)."""
        sim = now_ms + self.clock_offset_ms
        out = [] if self._started else self._births(sim)
        out += self._context(sim)
        for _ in range(count):
            self._count += 1
            if self._invalid and self.invalid_every > 0 and self._count % self.invalid_every == 0:
                _, build = self._invalid[self._invalid_next % len(self._invalid)]
                self._invalid_next += 1
                out.append(build(sim))
            else:
                out.append(self._data(self._next_unit(), sim))
        return out

    def _next_unit(self) -> _Unit:
        if not self._queue:
            self._queue = list(range(len(self._units)))
            self._rng.shuffle(self._queue)
        return self._units[self._queue.pop()]

    def _make_units(self) -> list[_Unit]:
        units: list[_Unit] = []
        batches: dict[tuple[int, str], list[Point]] = {}
        for p in self.points:
            if p.binding.spec.format in _BATCH_FORMATS:
                batches.setdefault((p.binding.order, p.topic), []).append(p)
            else:
                units.append(_Unit(p.binding, [p], batch=False))
        for points in batches.values():
            unit = _Unit(points[0].binding, points, batch=True)
            # Large batches carry ~8 values a message: send them as often as their values.
            weight = math.ceil(len(points) / 8) if unit.binding.spec.format != "records" else 1
            units.extend([unit] * weight)
        return units

    def _binding_zone(self, b: Binding) -> tzinfo:
        site = next((p.node.site for p in self.points if p.binding is b), None)
        return self._zones.get(site or "", UTC)

    # -- data ----------------------------------------------------------------------------

    def _data(self, unit: _Unit, sim: int) -> RawMessage:
        b = unit.binding
        if not unit.batch:
            p = unit.points[0]
            return RawMessage(p.topic, self._single(p, p.value(self._rng), sim), "data", b.name)
        if b.spec.format == "sparkplug":
            return self._sparkplug_data(unit, sim)
        return RawMessage(unit.points[0].topic, self._batch(unit, sim), "data", b.name)

    def _single(self, p: Point, value: JsonValue, sim: int) -> bytes:
        b = p.binding
        rng = self._rng
        if b.spec.format == "scalar":
            if isinstance(value, str):
                return value.encode()
            return orjson.dumps(value)
        f = b.spec.fields
        doc: dict[str, object] = {}
        _set_path(doc, f.value, value)
        if f.timestamp is not None:
            _set_path(doc, f.timestamp, self._ts[b.order](sim - rng.randint(0, 250), rng))
        if f.quality is not None:
            quality = self._quality[b.order](rng)
            # OPC UA publishers often leave a good status out: absent quality counts as good.
            if quality not in ("Good", 0) or rng.random() < 0.5:
                _set_path(doc, f.quality, quality)
        return orjson.dumps(doc)

    def _batch(self, unit: _Unit, sim: int, points: list[Point] | None = None) -> bytes:
        b = unit.binding
        rng = self._rng
        write_ts, write_q = self._ts[b.order], self._quality[b.order]
        if points is None:
            points = unit.points
            if b.spec.format == "kepware" and len(points) > 12:
                points = rng.sample(points, rng.randint(4, 12))
        if b.spec.format == "kepware":
            values = [
                {
                    "id": p.name,
                    "v": p.value(rng),
                    "q": write_q(rng),
                    "t": write_ts(sim - rng.randint(0, 2000), rng),  # changed before the scan
                }
                for p in points
            ]
            return orjson.dumps({"timestamp": sim, "values": values})
        f = b.spec.fields
        assert f.name is not None
        assert b.spec.records is not None
        records = []
        for p in points:
            record: dict[str, object] = {}
            _set_path(record, f.name, p.name)
            _set_path(record, f.value, p.value(rng))
            if f.timestamp is not None:
                _set_path(record, f.timestamp, write_ts(sim, rng))
            if f.quality is not None:
                _set_path(record, f.quality, write_q(rng))
            records.append(record)
        self._scan += 1
        if b.spec.records.strip() in ("$", "$."):
            return orjson.dumps(records)
        doc: dict[str, object] = {"scan": self._scan}
        _set_path(doc, b.spec.records, records)
        return orjson.dumps(doc)

    # -- Sparkplug -----------------------------------------------------------------------

    def _edge_node(self, address: str) -> tuple[_EdgeNode, str | None]:
        levels = address.split("/")
        key = (levels[1], levels[2])
        node = self._edge_nodes.get(key)
        if node is None:
            node = self._edge_nodes[key] = _EdgeNode(*key)
        return node, levels[3] if len(levels) == 4 else None

    def _births(self, sim: int) -> list[RawMessage]:
        """NBIRTH per edge node, then DBIRTH per device: names, aliases, datatypes, values."""
        devices: dict[str, list[Point]] = {}
        for p in self.points:
            if p.binding.spec.format == "sparkplug":
                devices.setdefault(p.topic, []).append(p)
        node_metrics: dict[tuple[str, str], list[SparkplugMetric]] = {}
        node_source: dict[tuple[str, str], str] = {}  # a binding of the node, for the record
        device_births: list[tuple[_EdgeNode, str, list[Point]]] = []
        for address, points in devices.items():
            node, device = self._edge_node(address)
            metrics = node_metrics.setdefault((node.group, node.node), [])
            node_source.setdefault((node.group, node.node), points[0].binding.name)
            for p in points:
                node.aliases += 1
                self._aliases[id(p)] = node.aliases
            if device is None:
                metrics += [self._metric(p, sim, birth=True) for p in points]
            else:
                device_births.append((node, device, points))
        out: list[RawMessage] = []
        for (group, name), metrics in node_metrics.items():
            node = self._edge_nodes[group, name]
            bd_seq = SparkplugMetric(
                name="bdSeq", timestamp=sim, datatype=DataType.Int64, value=node.bd_seq
            )
            body = SparkplugPayload(timestamp=sim, seq=node.next_seq(), metrics=[bd_seq, *metrics])
            topic = f"{_SPARKPLUG}/{group}/NBIRTH/{name}"
            kind: Kind = "data" if metrics else "context"  # bdSeq alone carries no value
            source = node_source[group, name]
            out.append(RawMessage(topic, encode_payload(body), kind, source))
        for node, device, points in device_births:
            metrics = [self._metric(p, sim, birth=True) for p in points]
            body = SparkplugPayload(timestamp=sim, seq=node.next_seq(), metrics=metrics)
            topic = f"{_SPARKPLUG}/{node.group}/DBIRTH/{node.node}/{device}"
            out.append(RawMessage(topic, encode_payload(body), "data", points[0].binding.name))
        return out

    def _metric(self, p: Point, sim: int, *, birth: bool) -> SparkplugMetric:
        value = p.value(self._rng)
        datatype = _SP_TYPES.get(p.tag.datatype, DataType.String)
        if datatype == DataType.Double:
            value = float(value)
        ts = sim - (0 if birth else self._rng.randint(0, 500))
        return SparkplugMetric(
            name=p.name if birth else None,  # DATA by alias only, as edge nodes usually send
            alias=self._aliases[id(p)],
            timestamp=ts,
            datatype=datatype,
            value=value,
        )

    def _sparkplug_data(self, unit: _Unit, sim: int) -> RawMessage:
        """DDATA (NDATA for node metrics) with a few changed metrics, by alias."""
        node, device = self._edge_node(unit.points[0].topic)
        points = self._rng.sample(unit.points, self._rng.randint(1, min(len(unit.points), 8)))
        metrics = [self._metric(p, sim, birth=False) for p in points]
        body = SparkplugPayload(timestamp=sim, seq=node.next_seq(), metrics=metrics)
        kind = "DDATA" if device is not None else "NDATA"
        topic = f"{_SPARKPLUG}/{node.group}/{kind}/{node.node}" + (f"/{device}" if device else "")
        payload = encode_payload(body, with_datatypes=False)
        return RawMessage(topic, payload, "data", unit.binding.name)

    # -- MES context ---------------------------------------------------------------------

    def _make_scopes(self) -> list[_Scope]:
        sources: TopicIndex[ContextSource] = TopicIndex()
        for s in self.ns.context_sources:
            sources.add(s.pattern, s)
        scopes: list[_Scope] = []
        for s in self.ns.context_sources:
            inverse = {cap: _inverse(t) for cap, t in s.spec.map.items()}
            rx = _template_regex(s.scope.source)
            for node in self.ns.nodes.values():
                m = rx.fullmatch(node.path_text)
                if m is None:
                    continue
                caps = m.groupdict()
                raw: dict[str, str] = {}
                for cap in s.pattern.captures:
                    value = caps.get(cap, _FILLER)
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
                        self.clock_offset_ms == 0 or all(_has_source_time(p.binding) for p in under)
                    )
                    scopes.append(_Scope(s, topic, node, with_time, len(scopes)))
        return scopes

    def _context(self, sim: int) -> list[RawMessage]:
        out: list[RawMessage] = []
        rng = self._rng
        if not self._started:
            self._started = True
            for scope in self._scopes:
                # The order in force now started a while ago, before any data we send.
                since = sim - rng.randint(5, 40) * 60_000
                out += self._change(scope, since, first=True)
                scope.next_change_ms = sim + int(self.context_period_ms * rng.uniform(0.3, 0.8))
            return out
        for scope in self._scopes:
            if sim >= scope.next_change_ms:
                out += self._change(scope, scope.next_change_ms, first=False)
                scope.next_change_ms += int(self.context_period_ms * rng.uniform(0.75, 1.25))
        return out

    def _change(self, scope: _Scope, ts: int, *, first: bool) -> list[RawMessage]:
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
            _set_path(end, spec.event.field, spec.event.end)
            out.append(RawMessage(scope.topic, orjson.dumps(end), "context", name))
        start = self._context_doc(scope, scope.values, ts)
        _set_path(start, spec.event.field, spec.event.start)
        out.append(RawMessage(scope.topic, orjson.dumps(start), "context", name))
        return out

    def _context_doc(self, scope: _Scope, values: dict[str, str], ts: int) -> dict[str, object]:
        spec = scope.source.spec
        doc: dict[str, object] = {}
        for key, path in spec.fields.items():
            _set_path(doc, path, values[key])
        if scope.with_time and spec.timestamp is not None:
            tz = self._zones.get(scope.node.site, UTC)
            fmt = spec.timestamp_format
            stamp: object = _iso(ts, tz, 0) if fmt in (None, "iso8601") else None
            if stamp is None:
                stamp = _timestamp_writer(fmt, tz)(ts, self._rng)
            _set_path(doc, spec.timestamp, stamp)
        return doc

    # -- invalid messages ----------------------------------------------------------------

    def _make_invalid(self) -> list[tuple[str, Callable[[int], RawMessage]]]:
        builders: dict[str, Callable[[int], RawMessage] | None] = {
            "unknown_raw_tag": self._variants("unknown_raw_tag", self._bogus_tag),
            "unknown_code": self._variants("unknown_code", self._bogus_code),
            "bad_json": self._broken(b"", "bad_json"),
            "not_utf8": self._broken(_UTF16_TEXT, "not_utf8"),
            "no_binding": self._stray_topic(),
        }
        return [(reason, build) for reason, build in builders.items() if build is not None]

    @staticmethod
    def _bogus_tag(b: Binding) -> tuple[str, str] | None:
        """A raw tag name the binding's `tags` map does not know, and the capture holding it."""
        fields = b.tag.fields
        if b.tag_map is None or len(fields) != 1 or b.tag.source != f"{{{fields[0]}}}":
            return None
        if fields[0] in b.spec.map:
            return None
        bogus = "TT999.PV"
        while bogus in b.tag_map:
            bogus = "X" + bogus
        return fields[0], bogus

    @staticmethod
    def _bogus_code(b: Binding) -> tuple[str, str] | None:
        """A code that a mapped topic capture's table does not know."""
        for cap in b.pattern.captures:
            table = b.spec.map.get(cap)
            if table is not None:
                code = "99"
                while code in table:
                    code = "9" + code
                return cap, code
        return None

    def _variants(
        self, reason: str, bogus: Callable[[Binding], tuple[str, str] | None]
    ) -> Callable[[int], RawMessage] | None:
        """Messages like a real point's but with one capture wrong, one per binding, cycled."""
        index = self._index()
        variants: list[tuple[Point, str, str | None]] = []
        seen: set[int] = set()
        for p in self.points:
            b = p.binding
            if b.spec.format == "sparkplug":
                continue  # protobuf: the host reports its problems differently
            found = bogus(b) if b.order not in seen else None
            if found is None:
                continue
            cap, value = found
            caps = b.pattern.match(p.topic.split("/")) or {}
            if p.name is not None and b.id_pattern is not None:
                caps.update(b.id_pattern.match(p.name) or {})
            caps[cap] = value
            topic = render_topic(b.pattern, caps)
            name = Template.parse(b.id_pattern.source).render(caps) if b.id_pattern else None
            hit = index.lookup(topic)
            if hit is not None and hit.value is b:
                seen.add(b.order)
                variants.append((p, topic, name))
        if not variants:
            return None
        cycle = itertools.cycle(variants)

        def build(sim: int) -> RawMessage:
            p, topic, name = next(cycle)
            if name is None:
                payload = self._single(p, p.value(self._rng), sim)
            else:
                odd = replace(p, name=name)
                payload = self._batch(_Unit(p.binding, [odd], batch=True), sim)
            return RawMessage(topic, payload, "invalid", p.binding.name, expect=reason)

        return build

    def _index(self) -> TopicIndex[Binding]:
        return _binding_indexes(self.ns)[0]

    def _broken(self, payload: bytes, reason: str) -> Callable[[int], RawMessage] | None:
        points = [
            p for p in self.points if p.binding.spec.format not in ("scalar", "sparkplug")
        ] or [p for p in self.points if p.binding.spec.format != "sparkplug"]
        if not points:
            return None

        def build(sim: int) -> RawMessage:
            p = self._rng.choice(points)
            body = payload
            if not body:  # cut a real payload short, as a gateway losing its buffer does
                if p.name is not None:
                    good = self._batch(_Unit(p.binding, [p], batch=True), sim)
                else:
                    good = self._single(p, p.value(self._rng), sim)
                body = good[: max(1, len(good) // 2)] if good.startswith(b"{") else b'{"value": '
            return RawMessage(p.topic, body, "invalid", p.binding.name, expect=reason)

        return build

    def _stray_topic(self) -> Callable[[int], RawMessage] | None:
        """A topic inside some binding's subscription that no binding or MES source matches."""
        index = self._index()
        sources: TopicIndex[ContextSource] = TopicIndex()
        for s in self.ns.context_sources:
            sources.add(s.pattern, s)
        for b in self.ns.bindings:
            if b.spec.format == "sparkplug" or all(lvl.kind == LITERAL for lvl in b.pattern.levels):
                continue
            topic = "/".join(
                lvl.text if lvl.kind == LITERAL else "UNMAPPED-GW7" for lvl in b.pattern.levels
            )
            if index.lookup(topic) is None and sources.lookup(topic) is None:
                payload = orjson.dumps({"value": 1, "note": "gateway test message"})

                def build(sim: int, topic: str = topic, payload: bytes = payload) -> RawMessage:
                    return RawMessage(topic, payload, "invalid", "-", expect="no_binding")

                return build
        return None


def _has_source_time(b: Binding) -> bool:
    if b.spec.format == "scalar":
        return False
    return b.spec.format in ("kepware", "sparkplug") or b.spec.fields.timestamp is not None


# -- shift boundaries and the demo clock -------------------------------------------------------


def shift_boundaries(ns: Namespace, start_ms: int, end_ms: int) -> list[tuple[int, str]]:
    """Every instant in (start_ms, end_ms] where a site's shift changes, as (ms, site), sorted."""
    found: set[tuple[int, str]] = set()
    for name, site in ns.sites.items():
        calendar = ns.calendars.get(site.calendar) if site.calendar else None
        if calendar is None:
            continue
        tz = ZoneInfo(site.timezone)
        resolver = ShiftResolver(calendar, tz)
        first = datetime.fromtimestamp(start_ms / 1000, tz).date() - timedelta(days=2)
        last = datetime.fromtimestamp(end_ms / 1000, tz).date() + timedelta(days=1)
        for inst in resolver.iter_shifts(first, last + timedelta(days=1)):
            for edge in (inst.start_ms, inst.end_ms):
                # Back-to-back shifts share an edge; only a real change of answer counts.
                if start_ms < edge <= end_ms and resolver.shift_at(edge - 1) != resolver.shift_at(
                    edge
                ):
                    found.add((edge, name))
    return sorted(found)


def auto_clock_offset_ms(
    ns: Namespace,
    now_ms: int,
    *,
    lead_ms: int = 30_000,
    horizon_ms: int = 20 * 3_600_000,
) -> int:
    """A clock offset that puts a shift change of some site `lead_ms` after the start.

    The next change within `horizon_ms` is preferred (timestamps stay less than a day ahead,
    which the service still takes as source time); else the latest one in the past week.
    Without calendars, 0.
    """
    ahead = shift_boundaries(ns, now_ms, now_ms + horizon_ms)
    if ahead:
        return ahead[0][0] - lead_ms - now_ms
    behind = shift_boundaries(ns, now_ms - 8 * _DAY_MS, now_ms)
    if behind:
        return behind[-1][0] - lead_ms - now_ms
    return 0
