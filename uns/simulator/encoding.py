"""Per-format encoding of simulated values: everything that knows how a payload format looks.

Raw numbers through the inverse of a binding's unit conversion, booleans as devices spell
them, timestamps in a binding's `timestamp_format`, quality in its `quality_format`, and whole
payloads: `json` with its field paths, bare `scalar`, `kepware` batches with a per-value `t`
older than the envelope, `records` lists, and Sparkplug B (births with names, aliases and
datatypes, then DATA by alias with one seq per edge node).

Payload formats are encoded by their own modules in `uns.formats`; this asks the registry.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from uns.errors import UnitError
from uns.formats import WirePoint, get_format
from uns.formats.shared import set_path
from uns.model.namespace import Binding, Namespace, Tag
from uns.model.specs import TagMapSpec
from uns.normalize.units import compile_conversion
from uns.simulator.messages import Kind, Point, RawMessage, Unit
from uns.simulator.values import JsonValue
from uns.sparkplug import DataType, SparkplugMetric, SparkplugPayload, encode_payload

__all__ = [
    "PayloadWriter",
    "SparkplugEdges",
    "has_source_time",
    "iso",
    "set_path",
    "timestamp_writer",
    "value_encoder",
]

SPARKPLUG = "spBv1.0"
_SP_TYPES = {
    "float": DataType.Double,
    "int": DataType.Int64,
    "bool": DataType.Boolean,
    "string": DataType.String,
}


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
    as_int = tag.datatype == "int" or (get_format(b.spec.format).scaled_ints and abs(scale) < 1)

    def to_raw(value: float) -> JsonValue:
        raw = (value - base) / gain
        if as_int:
            return round(raw)
        return round(raw, 3) if abs(raw) >= 1 else round(raw, 5)

    return to_raw


def value_encoder(
    tag: Tag, tm: TagMapSpec | None, b: Binding, rng: random.Random
) -> Callable[[JsonValue], JsonValue] | None:
    """Canonical value -> what the source puts on the wire for this tag."""
    if tag.datatype in ("object", "dataset"):
        return None  # no plausible generator for a recipe or an alarm record: left out
    if tag.datatype == "bool":
        style = _bool_style(b.spec.format, rng)
        return lambda v: style(bool(v))
    if tag.datatype in ("float", "int"):
        to_raw = _to_raw_number(tag, tm, b)
        if to_raw is None:
            return None
        return lambda v: to_raw(float(v))
    return str


def iso(ts_ms: int, tz: tzinfo | None, digits: int) -> str:
    """ISO-8601 with `digits` fraction digits, in UTC with `Z` or with `tz`'s offset."""
    dt = datetime.fromtimestamp(ts_ms / 1000, tz or UTC)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{ts_ms % 1000:03d}".ljust(digits, "0")[:digits] if digits else ""
    suffix = "Z" if tz is None else dt.strftime("%z")
    if tz is not None:
        suffix = f"{suffix[:3]}:{suffix[3:]}"
    return f"{base}.{fraction}{suffix}" if fraction else f"{base}{suffix}"


def timestamp_writer(fmt: str | None, tz: tzinfo) -> Callable[[int, random.Random], object]:
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

        def iso_varied(ts: int, rng: random.Random) -> object:
            form = rng.random()
            if form < 0.5:
                return iso(ts, None, 7)  # OPC UA publishers: 100 ns digits and Z
            if form < 0.8:
                return iso(ts, None, 3)
            return iso(ts, tz, 3)  # local time with its offset

        return iso_varied
    if fmt is not None and "%" in fmt:
        return lambda ts, rng: datetime.fromtimestamp(ts / 1000, tz).strftime(fmt)
    # Auto-detected formats: epoch ms, ISO with Z or epoch seconds.
    forms: tuple[Callable[[int], object], ...] = (
        lambda ts: ts,
        lambda ts: iso(ts, None, 3),
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
        "databus": (3, 1, 0),
    }
    good, uncertain, bad = words.get(kind, words["auto"])

    def quality(rng: random.Random) -> object:
        roll = rng.random()
        return bad if roll < 0.003 else uncertain if roll < 0.013 else good

    return quality


def _bool_style(fmt: str, rng: random.Random) -> Callable[[bool], JsonValue]:
    """Devices spell booleans differently: JSON true/false, 1/0 or text (per format)."""
    spellings = get_format(fmt).bool_spellings
    spell = spellings[0] if len(spellings) == 1 else rng.choice(spellings)
    return spell  # type: ignore[return-value]


def has_source_time(b: Binding) -> bool:
    """Whether the binding's messages carry their own timestamp (else stamped on arrival)."""
    return get_format(b.spec.format).source_time(b.spec)


# -- payloads ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Drawn:
    """A point whose next value was drawn already (a `uns.formats.WirePoint`)."""

    name: str | None
    drawn: JsonValue

    def value(self, rng: random.Random) -> JsonValue:
        return self.drawn


@dataclass(slots=True)
class _Wire:
    """One binding's simulated device, as the `uns.formats.WireSource` its encoder reads."""

    rng: random.Random
    write_ts: Callable[[int, random.Random], object]
    write_q: Callable[[random.Random], object]
    scans: Iterator[int]

    def timestamp(self, ts_ms: int) -> object:
        return self.write_ts(ts_ms, self.rng)

    def quality(self) -> object:
        return self.write_q(self.rng)

    def next_scan(self) -> int:
        return next(self.scans)


class PayloadWriter:
    """Payloads for points in their binding's format, by the format's encoder (`uns.formats`)."""

    def __init__(
        self, ns: Namespace, rng: random.Random, zone_of: Callable[[Binding], tzinfo]
    ) -> None:
        scans = itertools.count(1)  # envelopes that number their scans (records)
        self._wires = {
            b.order: _Wire(
                rng,
                timestamp_writer(b.spec.timestamp_format, zone_of(b)),
                _quality_writer(b.spec.quality_format),
                scans,
            )
            for b in ns.bindings
        }

    def _encode(self, b: Binding, points: Sequence[WirePoint], sim: int) -> bytes:
        encode = get_format(b.spec.format).encode
        assert encode is not None, "host-routed formats are built by SparkplugEdges"
        return encode(b.spec, points, sim, self._wires[b.order])

    def single(self, p: Point, value: JsonValue, sim: int) -> bytes:
        """One already drawn value of one point, in its binding's format."""
        return self._encode(p.binding, [_Drawn(p.name, value)], sim)

    def batch(self, unit: Unit, sim: int, points: list[Point] | None = None) -> bytes:
        """Several values of one topic (the encoder may send only some of the unit's)."""
        return self._encode(unit.binding, unit.points if points is None else points, sim)


# -- Sparkplug ---------------------------------------------------------------------------------


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


class SparkplugEdges:
    """The edge nodes behind Sparkplug points: births first, then DATA by alias."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._edge_nodes: dict[tuple[str, str], _EdgeNode] = {}
        self._aliases: dict[int, int] = {}  # id(point) -> Sparkplug alias

    def _edge_node(self, address: str) -> tuple[_EdgeNode, str | None]:
        levels = address.split("/")
        key = (levels[1], levels[2])
        node = self._edge_nodes.get(key)
        if node is None:
            node = self._edge_nodes[key] = _EdgeNode(*key)
        return node, levels[3] if len(levels) == 4 else None

    def births(self, all_points: list[Point], sim: int) -> list[RawMessage]:
        """NBIRTH per edge node, then DBIRTH per device: names, aliases, datatypes, values."""
        devices: dict[str, list[Point]] = {}
        for p in all_points:
            if get_format(p.binding.spec.format).host_routed:
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
            topic = f"{SPARKPLUG}/{group}/NBIRTH/{name}"
            kind: Kind = "data" if metrics else "context"  # bdSeq alone carries no value
            source = node_source[group, name]
            out.append(RawMessage(topic, encode_payload(body), kind, source))
        for node, device, points in device_births:
            metrics = [self._metric(p, sim, birth=True) for p in points]
            body = SparkplugPayload(timestamp=sim, seq=node.next_seq(), metrics=metrics)
            topic = f"{SPARKPLUG}/{node.group}/DBIRTH/{node.node}/{device}"
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

    def data(self, unit: Unit, sim: int) -> RawMessage:
        """DDATA (NDATA for node metrics) with a few changed metrics, by alias."""
        node, device = self._edge_node(unit.points[0].topic)
        points = self._rng.sample(unit.points, self._rng.randint(1, min(len(unit.points), 8)))
        metrics = [self._metric(p, sim, birth=False) for p in points]
        body = SparkplugPayload(timestamp=sim, seq=node.next_seq(), metrics=metrics)
        kind = "DDATA" if device is not None else "NDATA"
        topic = f"{SPARKPLUG}/{node.group}/{kind}/{node.node}" + (f"/{device}" if device else "")
        payload = encode_payload(body, with_datatypes=False)
        return RawMessage(topic, payload, "data", unit.binding.name)
