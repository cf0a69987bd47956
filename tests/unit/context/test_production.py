"""Time-versioned batch / product / order context: recording, as-of lookups, inheritance."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.context_snapshot import restore, snapshot
from uns.context.production import (
    CONTEXT_KEYS,
    ContextStore,
    Interval,
    ProductionContext,
)

SITE = ("cologne",)
AREA = ("cologne", "packaging")
LINE = ("cologne", "packaging", "line-1")
CELL = (*LINE, "filler-cell")
EQUIPMENT = (*CELL, "filler-1")
SIBLING_LINE = ("cologne", "packaging", "line-2")
SIBLING_CELL = (*SIBLING_LINE, "filler-cell")

# (method, value, ts_ms) applied in order to LINE's product via announce / start / end.
Op = tuple[str, str | None, int]


def apply(store: ContextStore, ops: list[Op], scope: tuple[str, ...] = LINE) -> list[bool]:
    results = []
    for method, value, ts in ops:
        if method == "announce":
            results.append(store.announce(scope, "product", value, ts))
        elif method == "start":
            assert value is not None
            results.append(store.start(scope, "product", value, ts))
        else:
            results.append(store.end(scope, "product", ts, value))
    return results


CURRENT_VALUE_CASES = [
    pytest.param(
        [("announce", "P-1", 100), ("announce", "P-2", 200)],
        [(99, None), (100, "P-1"), (199, "P-1"), (200, "P-2"), (10**13, "P-2")],
        id="in-order",
    ),
    pytest.param(
        [("announce", "P-1", 100), ("announce", "P-3", 300), ("announce", "P-2", 200)],
        [(150, "P-1"), (200, "P-2"), (299, "P-2"), (300, "P-3")],
        id="out-of-order-splits-the-right-interval",
    ),
    pytest.param(
        [("announce", "P-2", 200), ("announce", "P-1", 100)],
        [(99, None), (100, "P-1"), (199, "P-1"), (200, "P-2")],
        id="earlier-than-everything",
    ),
    pytest.param(
        [("announce", "P-1", 100), ("announce", None, 200), ("announce", "P-2", 300)],
        [(199, "P-1"), (200, None), (299, None), (300, "P-2")],
        id="none-means-nothing-running",
    ),
    pytest.param(
        [("announce", "P-1", 100), ("announce", "P-9", 100)],
        [(100, "P-9")],
        id="same-ms-correction-last-received-wins",
    ),
    pytest.param(
        [("announce", "P-1", 100), ("announce", "P-3", 300), ("announce", "P-2", 100)],
        [(99, None), (100, "P-2"), (299, "P-2"), (300, "P-3")],
        id="same-ms-correction-before-later-ones",
    ),
    pytest.param(
        [("announce", "P-1", 100), ("announce", "P-1", 300), ("announce", "P-2", 200)],
        [(250, "P-2"), (300, "P-1")],
        id="repeat-keeps-its-time-for-later-splits",
    ),
]


@pytest.mark.parametrize(("ops", "queries"), CURRENT_VALUE_CASES)
def test_current_value_announcements(ops: list[Op], queries: list[tuple[int, str | None]]) -> None:
    store = ContextStore()
    assert all(apply(store, ops))
    for ts, expected in queries:
        assert store.lookup(LINE, ts).product == expected, ts


def test_repeated_value_does_not_split_the_interval() -> None:
    store = ContextStore()
    apply(store, [("announce", "P-1", 100), ("announce", "P-1", 200), ("announce", "P-1", 300)])
    assert store.intervals(LINE, "product") == [Interval(100, None, "P-1")]


def test_correction_back_to_the_previous_value_merges_the_intervals() -> None:
    store = ContextStore()
    apply(store, [("announce", "P-1", 100), ("announce", "P-2", 200), ("announce", "P-1", 200)])
    assert store.intervals(LINE, "product") == [Interval(100, None, "P-1")]


def test_intervals_are_half_open_and_skip_gaps() -> None:
    store = ContextStore()
    apply(store, [("start", "B-1", 100), ("end", None, 200), ("start", "B-2", 300)])
    assert store.intervals(LINE, "product") == [
        Interval(100, 200, "B-1"),
        Interval(300, None, "B-2"),
    ]
    assert store.intervals(CELL, "product") == []


START_END_CASES = [
    pytest.param(
        [("start", "B-1", 100), ("end", None, 200), ("start", "B-2", 300)],
        [True, True, True],
        [(150, "B-1"), (200, None), (299, None), (300, "B-2")],
        id="start-end-start",
    ),
    pytest.param(
        [("start", "B-1", 100), ("end", "B-1", 200)],
        [True, True],
        [(199, "B-1"), (200, None)],
        id="end-naming-the-open-value",
    ),
    pytest.param(
        [("start", "B-1", 100), ("end", "B-7", 200)],
        [True, False],
        [(250, "B-1")],
        id="end-naming-another-value-is-ignored",
    ),
    pytest.param(
        [("end", "B-1", 200)],
        [False],
        [(100, None), (250, None)],
        id="end-without-start",
    ),
    pytest.param(
        [("start", "B-1", 100), ("end", None, 200), ("end", None, 300)],
        [True, True, False],
        [(250, None), (350, None)],
        id="second-end-has-nothing-to-close",
    ),
    pytest.param(
        [("end", "B-1", 200), ("start", "B-1", 100)],
        [False, True],
        [(150, "B-1"), (200, None)],
        id="end-before-its-start-arrives-still-applies",
    ),
    pytest.param(
        [("start", "B-1", 100), ("end", "B-1", 200), ("start", "B-2", 200)],
        [True, True, True],
        [(199, "B-1"), (200, "B-2")],
        id="end-then-start-same-ms",
    ),
    pytest.param(
        [("start", "B-1", 100), ("start", "B-2", 200), ("end", "B-1", 200)],
        [True, True, True],
        [(199, "B-1"), (200, "B-2"), (10**13, "B-2")],
        id="start-then-end-same-ms",
    ),
]


@pytest.mark.parametrize(("ops", "returns", "queries"), START_END_CASES)
def test_start_end(
    ops: list[Op], returns: list[bool], queries: list[tuple[int, str | None]]
) -> None:
    store = ContextStore()
    assert apply(store, ops) == returns
    for ts, expected in queries:
        assert store.lookup(LINE, ts).product == expected, ts


def test_end_without_start_returns_false_and_changes_nothing_visible() -> None:
    store = ContextStore()
    store.announce(LINE, "product", "P-1", 100)
    store.end(LINE, "product", 200)
    assert store.end(LINE, "batch", 150) is False
    assert store.end(LINE, "product", 50) is False  # before anything was running
    assert store.lookup(LINE, 150) == ProductionContext(product="P-1")


OVERLAP_CASES = [
    pytest.param(
        [("start", "B-1", 100), ("start", "B-2", 200), ("end", "B-1", 300), ("end", "B-2", 400)],
        [True, True, False, True],
        [(150, "B-1"), (250, "B-2"), (350, "B-2"), (400, None)],
        id="latest-start-wins-superseded-end-ignored",
    ),
    pytest.param(
        [("start", "B-1", 100), ("end", "B-1", 300), ("start", "B-2", 200)],
        [True, True, True],
        [(150, "B-1"), (250, "B-2"), (350, "B-2")],
        id="late-start-inside-closed-interval-runs-on",
    ),
    pytest.param(
        [("start", "B-2", 200), ("end", "B-1", 300), ("start", "B-1", 100)],
        [True, False, True],
        [(150, "B-1"), (350, "B-2")],
        id="same-as-in-order-when-arriving-shuffled",
    ),
]


@pytest.mark.parametrize(("ops", "returns", "queries"), OVERLAP_CASES)
def test_overlapping_announcements(
    ops: list[Op], returns: list[bool], queries: list[tuple[int, str | None]]
) -> None:
    store = ContextStore()
    assert apply(store, ops) == returns
    for ts, expected in queries:
        assert store.lookup(LINE, ts).product == expected, ts


def test_late_data_gets_the_batch_it_was_produced_in() -> None:
    store = ContextStore()
    store.start(LINE, "batch", "B-1041", 1_000)
    store.start(LINE, "batch", "B-1042", 60_000)
    assert store.lookup(LINE, 61_000).batch == "B-1042"  # live data
    assert store.lookup(LINE, 59_999).batch == "B-1041"  # late data, after B-1042 started
    assert store.lookup(LINE, 61_000).batch == "B-1042"  # and live again


def test_late_announcement_changes_the_answer_for_data_it_covers() -> None:
    store = ContextStore()
    store.start(LINE, "batch", "B-1041", 1_000)
    assert store.lookup(CELL, 65_000).batch == "B-1041"  # data before the MES caught up
    store.start(LINE, "batch", "B-1042", 60_000)  # announcement arrives late
    assert store.lookup(CELL, 65_000).batch == "B-1042"
    assert store.lookup(CELL, 59_000).batch == "B-1041"
    store.end(LINE, "batch", 64_000)  # an end arrives later still
    assert store.lookup(CELL, 65_000).batch is None


def test_duplicates_are_idempotent() -> None:
    ops: list[Op] = [
        ("start", "B-1", 100),
        ("end", "B-1", 200),
        ("announce", "B-2", 300),
        ("announce", None, 400),
    ]
    store = ContextStore()
    first = apply(store, ops)
    before = snapshot(store)
    again = apply(store, ops)  # retained messages re-delivered on reconnect
    assert again == first
    assert snapshot(store) == before
    assert [store.lookup(LINE, ts).product for ts in (150, 250, 350, 450)] == [
        "B-1",
        None,
        "B-2",
        None,
    ]


INHERITANCE_CASES = [
    pytest.param(LINE, 150, "B-line", id="line-itself"),
    pytest.param(CELL, 150, "B-line", id="cell-inherits-line"),
    pytest.param(EQUIPMENT, 150, "B-line", id="equipment-inherits-line"),
    pytest.param(SIBLING_LINE, 150, None, id="sibling-line-never-sees-it"),
    pytest.param(SIBLING_CELL, 150, None, id="sibling-cell-never-sees-it"),
    pytest.param(AREA, 150, None, id="parent-never-sees-child"),
    pytest.param(CELL, 250, "B-cell", id="cell-own-value-wins"),
    pytest.param(EQUIPMENT, 250, "B-cell", id="equipment-takes-deepest"),
    pytest.param(LINE, 250, "B-line", id="line-keeps-its-own"),
    pytest.param(CELL, 350, "B-line", id="cell-gap-falls-through-to-line"),
]


@pytest.mark.parametrize(("path", "ts", "expected"), INHERITANCE_CASES)
def test_inheritance(path: tuple[str, ...], ts: int, expected: str | None) -> None:
    store = ContextStore()
    store.start(LINE, "batch", "B-line", 100)
    store.start(CELL, "batch", "B-cell", 200)
    store.end(CELL, "batch", 300)
    assert store.lookup(path, ts).batch == expected


def test_announcement_at_a_shallower_scope_does_not_erase_a_deeper_one() -> None:
    store = ContextStore()
    store.announce(CELL, "product", "P-cell", 100)
    store.announce(LINE, "product", "P-line", 200)
    store.announce(SITE, "product", "P-site", 300)
    assert store.lookup(EQUIPMENT, 400).product == "P-cell"
    assert store.lookup(LINE, 400).product == "P-line"
    assert store.lookup(SIBLING_LINE, 400).product == "P-site"


def test_enterprise_scope_applies_everywhere() -> None:
    store = ContextStore()
    store.announce((), "order", "WO-1", 100)
    assert store.lookup(EQUIPMENT, 150).order == "WO-1"
    assert store.lookup(SIBLING_CELL, 150).order == "WO-1"


DEFAULT_CASES = [
    pytest.param(CELL, 50, "P-cell-default", id="deepest-default"),
    pytest.param(EQUIPMENT, 50, "P-cell-default", id="default-inherits"),
    pytest.param(LINE, 50, "P-line-default", id="line-default"),
    pytest.param(SIBLING_LINE, 50, None, id="no-default-on-sibling"),
    pytest.param(CELL, 150, "P-live", id="live-value-beats-any-default"),
    pytest.param(CELL, 250, "P-cell-default", id="gap-falls-back-to-default"),
]


@pytest.mark.parametrize(("path", "ts", "expected"), DEFAULT_CASES)
def test_defaults(path: tuple[str, ...], ts: int, expected: str | None) -> None:
    store = ContextStore()
    store.set_default(LINE, "product", "P-line-default")
    store.set_default(CELL, "product", "P-cell-default")
    store.start(LINE, "product", "P-live", 100)
    store.end(LINE, "product", 200)
    assert store.lookup(path, ts).product == expected


def test_default_can_be_removed() -> None:
    store = ContextStore()
    store.set_default(LINE, "order", "WO-default")
    assert store.lookup(CELL, 0).order == "WO-default"
    store.set_default(LINE, "order", None)
    assert store.lookup(CELL, 0).order is None


def test_keys_are_independent() -> None:
    store = ContextStore()
    store.start(LINE, "batch", "B-1", 100)
    store.announce(CELL, "product", "P-1", 100)
    store.announce(SITE, "order", "WO-1", 100)
    assert store.lookup(EQUIPMENT, 100) == ProductionContext("B-1", "P-1", "WO-1")
    assert tuple(store.lookup(EQUIPMENT, 100)._asdict()) == CONTEXT_KEYS


def test_new_scope_after_lookups_is_seen_by_cached_paths() -> None:
    store = ContextStore()
    store.start(LINE, "batch", "B-line", 100)
    assert store.lookup(EQUIPMENT, 200).batch == "B-line"
    store.start(CELL, "batch", "B-cell", 150)  # a scope the cached path did not have
    assert store.lookup(EQUIPMENT, 200).batch == "B-cell"


def test_history_bound_drops_the_oldest() -> None:
    store = ContextStore(history=3)
    store.set_default(LINE, "batch", "B-default")
    for i in range(5):
        store.start(LINE, "batch", f"B-{i}", 100 * (i + 1))
    assert [i.value for i in store.intervals(LINE, "batch")] == ["B-2", "B-3", "B-4"]
    assert store.lookup(LINE, 150).batch == "B-default"  # B-0's time: beyond the history
    assert store.lookup(LINE, 250).batch == "B-default"  # not B-2: no batch beats a wrong one
    assert store.lookup(LINE, 350).batch == "B-2"
    assert store.lookup(LINE, 550).batch == "B-4"


def test_history_refuses_announcements_older_than_what_was_dropped() -> None:
    store = ContextStore(history=2)
    for i in range(3):
        store.start(LINE, "batch", f"B-{i}", 100 * (i + 1))
    assert store.start(LINE, "batch", "B-late", 150) is False
    assert store.end(LINE, "batch", 180) is False
    assert store.lookup(LINE, 160).batch is None
    assert store.start(LINE, "batch", "B-late", 250) is True  # inside the kept history
    assert store.lookup(LINE, 260).batch == "B-late"


def test_history_drops_redundant_records_first() -> None:
    store = ContextStore(history=3)
    store.announce(LINE, "product", "P-1", 100)
    store.announce(LINE, "product", "P-2", 200)
    for ts in range(300, 2_000, 100):  # a heartbeat repeating the current value
        store.announce(LINE, "product", "P-2", ts)
    store.end(LINE, "product", 5_000, "P-9")  # unmatched end
    assert store.lookup(LINE, 150).product == "P-1"
    assert store.intervals(LINE, "product") == [
        Interval(100, 200, "P-1"),
        Interval(200, None, "P-2"),
    ]
    assert len(snapshot(store)["timelines"][0]["events"]) == 3


def test_history_drops_an_end_in_a_gap_first() -> None:
    store = ContextStore(history=3)
    store.start(LINE, "batch", "B-1", 100)
    store.end(LINE, "batch", 200)
    assert store.end(LINE, "batch", 250) is False  # nothing running: changes nothing
    store.start(LINE, "batch", "B-2", 400)  # a fourth record: the redundant end goes
    assert store.lookup(LINE, 150).batch == "B-1"
    assert [e[0] for e in snapshot(store)["timelines"][0]["events"]] == [100, 200, 400]


def round_trip_store() -> ContextStore:
    store = ContextStore(history=4)
    store.set_default(CELL, "product", "P-default")
    store.set_default((), "order", "WO-default")
    for i in range(6):
        store.start(LINE, "batch", f"B-{i}", 100 * (i + 1))
    store.end(LINE, "batch", 650, "B-5")
    store.end(LINE, "batch", 900, "B-x")
    store.announce(CELL, "product", "P-1", 120)
    store.announce(CELL, "product", None, 320)
    store.announce(SIBLING_LINE, "order", "WO-2", 50)
    return store


def test_snapshot_restore_round_trip() -> None:
    store = round_trip_store()
    data = json.loads(json.dumps(snapshot(store)))  # JSON-serialisable and back
    restored = restore(data)
    assert snapshot(restored) == snapshot(store)
    assert restored.history == store.history
    for path in (LINE, CELL, EQUIPMENT, SIBLING_LINE, SIBLING_CELL, AREA, ()):
        for ts in range(0, 1_000, 10):
            assert restored.lookup(path, ts) == store.lookup(path, ts), (path, ts)
    assert restored.start(LINE, "batch", "B-late", 150) is False  # the floor survives


def good_snapshot() -> dict[str, Any]:
    return {
        "format": 1,
        "history": 8,
        "defaults": [{"scope": ["a"], "key": "batch", "value": "B"}],
        "timelines": [
            {"scope": ["a"], "key": "batch", "floor": None, "events": [[1, "set", "B-1"]]}
        ],
    }


def broken(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = good_snapshot()
    node: Any = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return data


BAD_SNAPSHOTS = [
    pytest.param(broken(("format",), 2), "unsupported format", id="format"),
    pytest.param(broken(("history",), "8"), "history", id="history-type"),
    pytest.param(broken(("history",), 0), "history must be at least 1", id="history-zero"),
    pytest.param(broken(("defaults", 0, "key"), "shift"), "unknown context key", id="key"),
    pytest.param(broken(("defaults", 0, "value"), 3), "default value", id="default-value"),
    pytest.param(broken(("timelines", 0, "scope"), "a"), "scope", id="scope"),
    pytest.param(broken(("timelines", 0, "floor"), 1.5), "floor", id="floor"),
    pytest.param(broken(("timelines", 0, "events", 0, 1), "stop"), "stop", id="event-kind"),
    pytest.param(broken(("timelines", 0, "events", 0, 0), True), "event time", id="event-ts"),
    pytest.param(broken(("timelines", 0, "events", 0, 2), 7), "event value", id="event-value"),
    pytest.param(broken(("timelines", 0, "events", 0), [1, "set"]), "unpack", id="event-shape"),
    pytest.param({"format": 1}, "history", id="missing-field"),
]


@pytest.mark.parametrize(("data", "fragment"), BAD_SNAPSHOTS)
def test_restore_rejects_malformed_data(data: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match="malformed context snapshot") as info:
        restore(data)
    assert fragment in str(info.value)


def test_restore_accepts_the_good_snapshot() -> None:
    assert restore(good_snapshot()).lookup(("a", "b"), 5).batch == "B-1"


def test_unknown_key_is_a_caller_error() -> None:
    store = ContextStore()
    with pytest.raises(ValueError, match="unknown context key 'shift'"):
        store.announce(LINE, "shift", "S-1", 1)  # type: ignore[arg-type]


def test_history_must_be_positive() -> None:
    with pytest.raises(ValueError, match="history must be at least 1"):
        ContextStore(history=0)


def test_scope_may_be_any_iterable_of_names() -> None:
    store = ContextStore()
    store.announce(list(LINE), "batch", "B-1", 100)
    assert store.lookup(CELL, 100).batch == "B-1"


def test_live_and_late_lookups_reuse_their_answers() -> None:
    store = ContextStore()
    store.start(LINE, "batch", "B-1", 100)
    store.start(LINE, "batch", "B-2", 200)
    live, late = store.lookup(CELL, 250), store.lookup(CELL, 150)
    assert (live.batch, late.batch) == ("B-2", "B-1")
    assert store.lookup(CELL, 260) is live  # both windows stay cached
    assert store.lookup(CELL, 160) is late
    assert store.lookup(CELL, 50).batch is None  # a third window still answers right
    assert store.lookup(CELL, 199) == late
