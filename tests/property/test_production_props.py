"""Properties of the context store against naive reference implementations."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.context_snapshot import snapshot
from uns.context.production import ContextStore

LINE = ("site", "area", "line")
CELL = (*LINE, "cell")
VALUES = ["A", "B", "C"]

times = st.integers(min_value=0, max_value=60)
values = st.sampled_from(VALUES)
# One value per millisecond: two different values at one ms resolve by arrival (documented),
# which no order-free reference can predict.
announcements = st.dictionaries(times, st.none() | values, max_size=20).map(
    lambda d: sorted(d.items())
)

# ("set", ts, value) or ("end", ts, value-or-None) in the store's two announcement forms.
Event = tuple[str, int, str | None]
ends = st.tuples(st.just("end"), times, st.none() | values)


def naive_latest(anns: list[tuple[int, str | None]], ts: int) -> str | None:
    """The value of the latest announcement at or before ts."""
    at_or_before = [a for a in anns if a[0] <= ts]
    return max(at_or_before)[1] if at_or_before else None


def naive_replay(events: list[Event], ts: int) -> str | None:
    """Replay events up to ts in time order, ends before sets at one ms."""
    state: str | None = None
    for kind, _, value in sorted(
        (e for e in events if e[1] <= ts), key=lambda e: (e[1], e[0] == "set")
    ):
        if kind == "set":
            state = value
        elif state is not None and value in (None, state):
            state = None
    return state


def record(store: ContextStore, event: Event, scope: tuple[str, ...] = LINE) -> None:
    kind, ts, value = event
    if kind == "set":
        store.announce(scope, "batch", value, ts)
    else:
        store.end(scope, "batch", ts, value)


def query_times(events: list[Event]) -> list[int]:
    return sorted({t for _, ts, _ in events for t in (ts - 1, ts, ts + 1)} | {-1, 10**13})


@st.composite
def shuffled_with_duplicates(draw: st.DrawFn, events: list[Event]) -> list[Event]:
    repeated = draw(st.lists(st.sampled_from(events), max_size=5)) if events else []
    return draw(st.permutations(events + repeated))


@st.composite
def event_sets(draw: st.DrawFn, *, with_ends: bool) -> list[Event]:
    sets: list[Event] = [("set", ts, v) for ts, v in draw(announcements)]
    return sets + (draw(st.lists(ends, max_size=10)) if with_ends else [])


@given(st.data(), event_sets(with_ends=False))
def test_lookup_is_the_latest_announcement_at_or_before(
    data: st.DataObject, events: list[Event]
) -> None:
    store = ContextStore()
    for event in data.draw(shuffled_with_duplicates(events)):
        record(store, event)
    anns = [(ts, v) for _, ts, v in events]
    for ts in query_times(events):
        assert store.lookup(LINE, ts).batch == naive_latest(anns, ts), ts
        assert store.lookup(CELL, ts).batch == naive_latest(anns, ts), ts


@given(st.data(), event_sets(with_ends=True))
def test_start_end_lookup_matches_an_in_order_replay(
    data: st.DataObject, events: list[Event]
) -> None:
    store = ContextStore()
    for event in data.draw(shuffled_with_duplicates(events)):
        record(store, event)
    for ts in query_times(events):
        assert store.lookup(LINE, ts).batch == naive_replay(events, ts), ts


@given(st.data(), event_sets(with_ends=True))
def test_any_arrival_order_gives_the_same_state(data: st.DataObject, events: list[Event]) -> None:
    first, second, in_order = ContextStore(), ContextStore(), ContextStore()
    for event in data.draw(shuffled_with_duplicates(events)):
        record(first, event)
    for event in data.draw(shuffled_with_duplicates(events)):
        record(second, event)
    for event in sorted(events, key=lambda e: (e[1], e[0] == "set")):  # the append-only path
        record(in_order, event)
    assert snapshot(first) == snapshot(second) == snapshot(in_order)
    assert [first.lookup(LINE, ts) for ts in query_times(events)] == [
        in_order.lookup(LINE, ts) for ts in query_times(events)
    ]


operations = st.lists(
    st.one_of(
        st.tuples(st.just("lookup"), times),
        st.tuples(st.sampled_from(["set", "end"]), times, st.none() | values, st.booleans()),
    ),
    max_size=40,
)


@given(operations)
def test_cached_answers_match_the_reference_under_interleaved_updates(
    ops: list[tuple[object, ...]],
) -> None:
    """Lookups between updates (line and cell scopes) never return a stale cached answer."""
    store = ContextStore()
    store.set_default(LINE, "batch", "D")
    recorded: dict[tuple[str, ...], list[Event]] = {LINE: [], CELL: []}
    seen_sets: dict[tuple[tuple[str, ...], int], str | None] = {}
    for op in ops:
        if op[0] == "lookup":
            ts = op[1]
            assert isinstance(ts, int)
            own = naive_replay(recorded[CELL], ts) or naive_replay(recorded[LINE], ts) or "D"
            assert store.lookup(CELL, ts).batch == own
            continue
        kind, ts, value, on_cell = op
        assert isinstance(kind, str)
        assert isinstance(ts, int)
        assert value is None or isinstance(value, str)
        scope = CELL if on_cell else LINE
        if kind == "set" and seen_sets.setdefault((scope, ts), value) != value:
            continue  # keep one value per ms, as the reference assumes
        event: Event = (kind, ts, value)
        recorded[scope].append(event)
        record(store, event, scope)


@given(event_sets(with_ends=True), st.integers(min_value=1, max_value=6))
def test_bounded_history_in_order_never_gives_a_wrong_value(
    events: list[Event], history: int
) -> None:
    """With in-order arrival, a full history answers right or not at all, never wrongly."""
    store = ContextStore(history=history)
    ordered = sorted(events, key=lambda e: (e[1], e[0] == "set"))
    for event in ordered:
        record(store, event)
    for ts in query_times(events):
        got = store.lookup(LINE, ts).batch
        assert got in (None, naive_replay(events, ts)), ts
    if ordered:
        newest = ordered[-1][1]
        assert store.lookup(LINE, newest).batch == naive_replay(events, newest)
