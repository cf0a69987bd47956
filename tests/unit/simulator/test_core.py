"""The simulator's traffic, run through the real pipeline: what it sends is what the model takes.

Each test drives `Simulator.messages` with a fixed clock and feeds the result to `Enricher`,
so a simulator that drifts from the model (or a model the simulator cannot follow) fails here.
"""

from __future__ import annotations

import functools
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.context.shifts import ShiftResolver
from uns.errors import UnsError
from uns.model.namespace import Namespace
from uns.pipeline import Enricher
from uns.simulator import INVALID_REASONS, RawMessage, Simulator, auto_clock_offset_ms
from uns.sparkplug import SparkplugHost, decode_payload

ROOT = Path(__file__).resolve().parents[3]
MODELS = ROOT / "models"
COMPACT = ROOT / "tests" / "data" / "models" / "plant" / "model.yaml"
NOW = int(datetime(2026, 3, 24, 9, 59, 30, tzinfo=UTC).timestamp() * 1000)  # a Tuesday


@functools.cache
def shipped() -> Namespace:
    return load_model(MODELS)


@pytest.fixture
def ns() -> Namespace:
    return shipped()


def run(
    ns: Namespace, messages: list[RawMessage], now: int = NOW
) -> list[tuple[RawMessage, list[tuple[str, str | None]], str | None]]:
    """Each message with its outputs' (kind, reason) and the route the pipeline took."""
    enricher = Enricher(ns, ContextStore(), sparkplug=SparkplugHost())
    out = []
    for m in messages:
        trace, outs = enricher.explain(m.topic, m.payload, now)
        out.append((m, [(o.kind, o.reason) for o in outs], trace.name))
    return out


def enriched(
    ns: Namespace, sim: Simulator, seconds: int, now: int = NOW
) -> list[tuple[str, dict[str, Any]]]:
    """(governed topic, payload) of everything enriched from `seconds` of 50 msg/s."""
    enricher = Enricher(ns, ContextStore(), sparkplug=SparkplugHost())
    out = []
    for i in range(seconds):
        t = now + i * 1000
        for m in sim.messages(t, 50):
            out += [
                (o.topic, orjson.loads(o.payload))
                for o in enricher.process(m.topic, m.payload, t)
                if o.kind == "enriched"
            ]
    return out


def test_every_message_gets_the_outcome_it_was_made_for(ns: Namespace) -> None:
    sim = Simulator(ns, seed=7)
    results = run(ns, sim.messages(NOW, 600))
    for m, outs, _ in results:
        if m.kind == "context":
            assert outs == [], m
        elif m.kind == "data":
            assert outs, m
            assert {kind for kind, _ in outs} == {"enriched"}, (m, outs)
        else:
            assert outs == [("deadletter", m.expect)], (m, outs)


def test_one_message_in_a_hundred_is_invalid_and_all_kinds_come_up(ns: Namespace) -> None:
    sim = Simulator(ns, seed=1)
    kinds = Counter(m.kind for m in sim.messages(NOW, 1000))
    assert kinds["invalid"] == 10
    assert kinds["data"] == 990
    assert sim.invalid_reasons == INVALID_REASONS  # the shipped model offers every kind
    expected = Counter(m.expect for m in sim.messages(NOW, 500) if m.kind == "invalid")
    assert set(expected) == set(INVALID_REASONS)


def test_every_binding_and_context_source_is_exercised(ns: Namespace) -> None:
    sim = Simulator(ns, seed=3)
    assert sim.bindings == {b.name for b in ns.bindings}
    routes = {name for m, _, name in run(ns, sim.messages(NOW, 2 * sim.round_size))}
    assert {b.name for b in ns.bindings} <= routes
    assert {s.name for s in ns.context_sources} <= routes


def test_values_land_inside_the_class_ranges_after_conversion(ns: Namespace) -> None:
    sim = Simulator(ns, seed=5)
    checked = 0
    for topic, doc in enriched(ns, sim, 10):
        path = "/".join(v for k, v in doc["asset"].items() if k != "enterprise")
        node = ns.node(path)
        assert node is not None
        tag = node.tags[topic.rsplit("/", 1)[1]]
        value = doc["value"]
        if tag.range is not None and not isinstance(value, bool):
            assert tag.range[0] - 1e-6 <= value <= tag.range[1] + 1e-6, (topic, doc)
            checked += 1
        elif tag.datatype == "bool":
            assert isinstance(value, bool)
    assert checked > 200


def test_mes_context_is_joined_to_data_of_its_lines(ns: Namespace) -> None:
    sim = Simulator(ns, seed=11, clock_offset_ms=auto_clock_offset_ms(ns, NOW))
    by_line: dict[str, set[str | None]] = {}
    for _, doc in enriched(ns, sim, 8):
        line = doc["asset"].get("line")
        if doc["asset"]["site"] == "cologne" and line is not None:
            by_line.setdefault(line, set()).add(doc["context"]["batch"])
    # line-1 (source times), line-2 (stamped on arrival) and the syrup room (events mode).
    assert set(by_line) == {"line-1", "line-2", "syrup"}
    for line, batches in by_line.items():
        assert None not in batches, line


def test_context_changes_every_period_in_both_modes(ns: Namespace) -> None:
    sim = Simulator(ns, seed=2, context_period_s=20)
    first = [m for m in sim.messages(NOW, 0) if m.kind == "context"]
    assert len(first) == 3  # two bottling lines (current) and the syrup room (a start)
    assert all(m.retain for m in first if m.source == "cgn-bottling-orders")
    later = [m for t in range(1, 61) for m in sim.messages(NOW + t * 1000, 0)]
    orders = [m for m in later if m.source == "cgn-bottling-orders"]
    syrup = [orjson.loads(m.payload)["eventType"] for m in later if m.source == "cgn-syrup-batches"]
    assert 4 <= len(orders) <= 8  # two lines, a change every 15..25 s, for a minute
    assert syrup[:2] == ["BatchCompleted", "BatchStarted"]  # the old batch ends as the new starts
    results = run(ns, first + later)
    assert all(outs == [] for _, outs, _ in results)


def test_line_2_announcements_leave_the_time_out_under_a_shifted_clock(ns: Namespace) -> None:
    shifted = Simulator(ns, seed=2, clock_offset_ms=3_600_000)
    docs = {
        m.topic: orjson.loads(m.payload) for m in shifted.messages(NOW, 0) if m.kind == "context"
    }
    assert "changedAt" in docs["mes/cgn/bottling/L1/order"]
    assert "changedAt" not in docs["mes/cgn/bottling/L2/order"]  # its PLC data has no time
    plain = Simulator(ns, seed=2)
    docs = {m.topic: orjson.loads(m.payload) for m in plain.messages(NOW, 0)}
    assert "changedAt" in docs["mes/cgn/bottling/L2/order"]


def test_timestamps_come_in_several_forms_on_the_simulated_clock(ns: Namespace) -> None:
    offset = 7_200_000
    sim = Simulator(ns, seed=4, clock_offset_ms=offset)
    stamps: list[str] = []
    kepware: list[tuple[int, int]] = []
    for m in sim.messages(NOW, 1000):
        if m.kind != "data":
            continue
        doc = orjson.loads(m.payload)
        if m.topic.startswith("opcua/"):
            stamps.append(doc["Value"]["SourceTimestamp"])
        elif m.topic.startswith("kepware/"):
            kepware += [(v["t"], doc["timestamp"]) for v in doc["values"]]
    assert any(s.endswith("Z") and len(s.split(".")[1]) == 8 for s in stamps)  # 7 digits + Z
    assert any(s.endswith("+01:00") for s in stamps)  # Cologne local time in March
    assert kepware
    assert all(t <= envelope for t, envelope in kepware)  # a value changed before its scan
    assert all(abs(envelope - NOW - offset) < 1000 for _, envelope in kepware)


def test_the_same_seed_gives_the_same_traffic(ns: Namespace) -> None:
    a = Simulator(ns, seed=9).messages(NOW, 300)
    b = Simulator(ns, seed=9).messages(NOW, 300)
    c = Simulator(ns, seed=10).messages(NOW, 300)
    assert a == b
    assert a != c


def test_another_model_is_followed_too() -> None:
    """Nothing is specific to the shipped model: the compact test model works as well."""
    ns = load_model(COMPACT)
    sim = Simulator(ns, seed=1)
    assert sim.bindings == {b.name for b in ns.bindings}
    results = run(ns, sim.messages(NOW, 400))
    assert {m.kind for m, _, _ in results} == {"data", "invalid", "context"}
    assert {b.name for b in ns.bindings} <= {name for _, _, name in results}
    for m, outs, _ in results:
        if m.kind == "data":
            assert outs
            assert {kind for kind, _ in outs} == {"enriched"}, (m, outs)
        elif m.kind == "invalid":
            assert outs == [("deadletter", m.expect)]


def test_sparkplug_nodes_are_born_first_and_count_their_seq() -> None:
    ns = load_model(COMPACT)
    sim = Simulator(ns, seed=2)
    messages = [m for t in range(5) for m in sim.messages(NOW + t * 1000, 40)]
    sparkplug = [m for m in messages if m.topic.startswith("spBv1.0/")]
    verbs = [m.topic.split("/")[2] for m in sparkplug]
    assert verbs[:2] == ["NBIRTH", "DBIRTH"]
    assert set(verbs[2:]) == {"DDATA"}
    seqs = [decode_payload(m.payload).seq for m in sparkplug]
    assert seqs == [i % 256 for i in range(len(seqs))]  # one counter per edge node, no gaps
    host = SparkplugHost()
    enricher = Enricher(ns, ContextStore(), sparkplug=host)
    outs = [o for m in messages for o in enricher.process(m.topic, m.payload, NOW)]
    assert enricher.counters.sparkplug_seq_gaps == 0
    assert enricher.counters.sparkplug_problems == {}
    assert any(o.topic.startswith("testco/austin/") for o in outs if o.kind == "enriched")


def test_a_model_without_bindings_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("enterprise:\n  name: empty\n")
    with pytest.raises(UnsError, match="no binding"):
        Simulator(load_model(tmp_path))


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_traffic_the_pipeline_accepts(seed: int) -> None:
    ns = shipped()
    sim = Simulator(ns, seed=seed)
    for m, outs, _ in run(ns, sim.messages(NOW, 200)):
        wanted = [] if m.kind == "context" else None
        if m.kind == "invalid":
            wanted = [("deadletter", m.expect)]
        if wanted is not None:
            assert outs == wanted
        else:
            assert outs
            assert {kind for kind, _ in outs} == {"enriched"}


def _changes_within(ns: Namespace, start: int, seconds: int) -> bool:
    """Does any site's shift change in [start, start + seconds]? Asked second by second."""
    for site in ns.sites.values():
        if site.calendar is None:
            continue
        resolver = ShiftResolver(ns.calendars[site.calendar], ZoneInfo(site.timezone))
        first = resolver.shift_at(start)
        if any(resolver.shift_at(start + s * 1000) != first for s in range(seconds + 1)):
            return True
    return False


@settings(max_examples=25, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1),
        max_value=datetime(2027, 12, 31),
        timezones=st.just(UTC),
    )
)
def test_the_auto_clock_offset_puts_a_shift_change_in_the_first_minute(now: datetime) -> None:
    ns = shipped()
    now_ms = int(now.timestamp() * 1000)
    offset = auto_clock_offset_ms(ns, now_ms)
    assert _changes_within(ns, now_ms + offset, 60)
    assert not _changes_within(ns, now_ms + offset, 20)  # ~30 s of the old shift first
    assert offset < 22 * 3_600_000  # source times stay less than a day ahead


@pytest.mark.parametrize(
    "now",
    [
        datetime(2025, 12, 25, 14, 0, tzinfo=UTC),  # Christmas: both plants stand still
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the night Europe changes to summer time
        datetime(2026, 2, 16, 9, 0, tzinfo=UTC),  # Rosenmontag: Cologne closed
    ],
    ids=["christmas", "dst-change", "plant-holiday"],
)
def test_the_auto_clock_offset_on_unusual_days(ns: Namespace, now: datetime) -> None:
    now_ms = int(now.timestamp() * 1000)
    assert _changes_within(ns, now_ms + auto_clock_offset_ms(ns, now_ms), 60)


def test_no_calendars_means_no_offset() -> None:
    ns = load_model(COMPACT)
    ns.calendars.clear()
    for site in ns.sites.values():
        site.calendar = None
    assert auto_clock_offset_ms(ns, NOW) == 0
