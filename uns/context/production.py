"""Batch, product and work-order context as time-versioned state, joined as of a message's time.

MES systems announce context in two forms, and both are recorded here per *scope* (a node path
below the enterprise, e.g. ``("cologne", "packaging", "line-1")``) and *key* (``batch``,
``product``, ``order``):

* **current value** (``announce``): "the current product is P-7 from t". It opens an interval at
  t and closes the previous one of that (scope, key) at t. ``None`` means "nothing from t".
* **start / end** (``start``, ``end``): "batch B-1042 started at t0", "... ended at t1".

Data and announcements both arrive late and out of order, so `ContextStore.lookup` answers for
the message's own timestamp, never with the latest value: late data gets the batch it was
produced in, and an announcement that arrives after data it covers changes the answer for that
data's timestamp from then on.

Semantics:

* Intervals are half-open ``[start, end)`` in UTC epoch milliseconds.
* Every announcement is recorded at its own time, whatever order it arrives in. The value at t
  is the result of replaying the recorded announcements in time order up to t, so an
  announcement at t between two others ends the earlier interval at t and runs until the next
  announcement. The same set of announcements gives the same state in any arrival order
  (within the history bound).
* Re-delivery is idempotent (retained messages come again on every reconnect). A repeated
  announcement of the value already in force does not split its interval.
* Two *different* current values for the same (scope, key) at the same millisecond: the one
  received last wins (an MES correction). Ends at a millisecond apply before starts at it, so
  "A ended at t" and "B started at t" give B from t in either arrival order.
* ``start`` is the current-value form with a value: a start while another interval is open
  closes that interval at the new start. Overlapping announcements therefore resolve as "the
  latest start wins from its time on"; a later ``end`` naming the superseded value changes
  nothing (and returns False).
* ``end`` closes the interval open just before its time, only if its value matches when a value
  is given. It returns False when nothing matching is open (an end without a start); the caller
  counts those. The end is still kept: if its start arrives later (out of order), it applies.
* A gap (after an end, or a ``None`` current value) is not a value: the lookup falls through to
  the shallower scopes as if the scope had said nothing.
* Inheritance: a lookup for a path takes, per key, the value in force at the deepest scope along
  the path (the path itself, its parent, ... up to the enterprise, ``()``) that has one; else the
  deepest static default (`set_default`); else None. A live value at a line therefore beats a
  static default at its cell; a line's value never reaches a sibling line; a value announced
  for a scope never erases a deeper scope's own value.
* History is bounded per (scope, key) (``history`` recorded announcements). When full, a
  redundant record (one that changed nothing: a repeated value, an unmatched end) is dropped
  first, so a heartbeat repeating the current value never pushes real intervals out; else the
  oldest. After dropping the oldest, lookups before the oldest kept interval see that scope as
  silent (fall through, then the default), and announcements at or before the dropped one are
  refused (return False): very late data gets no batch rather than a wrong one. A dropped repeat
  is forgotten: if an out-of-order announcement later lands before it, the repeated value no
  longer resumes at the repeat's time (with in-order arrival this never matters).

`lookup` returns a `ProductionContext` (an immutable named tuple; ``._asdict()`` gives the dict).
A model may declare its own keys (recipe, lot, operator, ...): `declare` them once and their
values come in ``extra``, in `extra_keys` order.
All recording methods return False when the announcement was refused or counts as an orphan,
so the caller can count them.

Performance: `lookup` runs for every message. The scopes along a path are resolved once per
path and kept until a new (scope, key) appears; each path's last two answers are cached with
the time windows over which they hold, so the common case (data in the newest intervals, or a
late backlog interleaved with live data) is one dict hit and a few comparisons, returning the
same immutable `ProductionContext`. Other times bisect, newest interval first. Any announcement
clears the answer cache (announcements are rare next to data).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import Final, NamedTuple, cast

ContextKey = str  # a built-in key (CONTEXT_KEYS) or one the model declares
Scope = tuple[str, ...]

CONTEXT_KEYS: Final[tuple[ContextKey, ...]] = ("batch", "product", "order")
_BUILT_IN: Final = len(CONTEXT_KEYS)
_END: Final = 0  # sorts before _SET: ends at a millisecond apply before starts at it
_SET: Final = 1
_BEFORE_ALL: Final = -(2**63)
_AFTER_ALL: Final = 2**63
# Paths come from the asset model, so this is only a guard against unbounded growth.
_MAX_CACHED_PATHS: Final = 65_536

_Event = tuple[int, int, str | None]  # (ts_ms, kind, value)


class ProductionContext(NamedTuple):
    """The context in force for one path at one time; None where nothing applies."""

    batch: str | None = None
    product: str | None = None
    order: str | None = None

    @property
    def extra(self) -> tuple[str | None, ...]:
        """The declared keys' values, in `ContextStore.extra_keys` order (stored after the
        three named fields, so `_asdict()` and equality stay those of batch/product/order)."""
        rest: tuple[str | None, ...] = tuple.__getitem__(self, slice(_BUILT_IN, None))
        return rest


class Interval(NamedTuple):
    """One interval of a value, ``[start_ms, end_ms)``; ``end_ms`` None while still open."""

    start_ms: int
    end_ms: int | None
    value: str


def _event_order(event: _Event) -> tuple[int, int, bool, str]:
    ts, kind, value = event
    return ts, kind, value is not None, value or ""


class _Timeline:
    """The recorded announcements of one (scope, key) and the intervals they resolve to."""

    __slots__ = ("changed", "events", "floor", "starts", "values")

    def __init__(self) -> None:
        self.events: list[_Event] = []  # sorted by _event_order
        self.changed: list[bool] = []  # per event: did replaying it change the state?
        self.floor: int | None = None  # newest time dropped as oldest; at or before is refused
        # Resolved runs: values[i] holds over [starts[i], starts[i + 1]); unknown before starts[0].
        self.starts: list[int] = []
        self.values: list[str | None] = []

    def refuses(self, ts: int) -> bool:
        return self.floor is not None and ts <= self.floor

    def value_before(self, ts: int) -> str | None:
        """The value in force just before ``ts`` (None for a gap or before the history)."""
        i = bisect_right(self.starts, ts - 1) - 1
        return self.values[i] if i >= 0 else None

    def add(self, event: _Event, history: int) -> bool:
        """Record ``event``; False if it was already recorded (nothing changed)."""
        events = self.events
        ts, kind, _ = event
        i = bisect_left(events, _event_order(event), key=_event_order)
        if i < len(events) and events[i] == event:
            return False
        replaced = False
        if kind == _SET:
            # One current value per millisecond: a different one at ts is replaced. It is a
            # neighbour in sort order, as the sets at one ts sort together after its ends.
            for j in (i - 1, i):
                if 0 <= j < len(events) and events[j][0] == ts and events[j][1] == _SET:
                    del events[j]
                    i -= j < i
                    replaced = True
                    break
        if not replaced and i == len(events) and (not events or events[-1][0] < ts):
            events.append(event)
            self._append(event)  # the live case: no replay
        else:
            events.insert(i, event)
            self.resolve()
        self._trim(history)
        return True

    def _append(self, event: _Event) -> None:
        """Replay one event newer than all others onto the resolved runs."""
        ts, kind, value = event
        known = bool(self.starts)
        state = self.values[-1] if known else None
        if kind == _SET:
            changed = not known or value != state
        else:
            changed = known and state is not None and value in (None, state)
            value = None
        self.changed.append(changed)
        if changed:
            self.starts.append(ts)
            self.values.append(value)

    def resolve(self) -> None:
        """Replay all events in time order into runs, noting which ones changed the state."""
        events = self.events
        changed: list[bool] = []
        starts: list[int] = []
        values: list[str | None] = []
        known, state = False, cast("str | None", None)
        i, n = 0, len(events)
        while i < n:
            ts = events[i][0]
            known_before, state_before = known, state
            while i < n and events[i][0] == ts:
                _, kind, value = events[i]
                i += 1
                if kind == _SET:
                    changed.append(not known or value != state)
                    known, state = True, value
                elif known and state is not None and value in (None, state):
                    changed.append(True)
                    state = None
                else:
                    changed.append(False)
            if known and (not known_before or state != state_before):
                starts.append(ts)
                values.append(state)
        self.changed, self.starts, self.values = changed, starts, values

    def _trim(self, history: int) -> None:
        """Drop records beyond ``history``: redundant ones first, else the oldest."""
        while len(self.events) > history:
            try:
                # Dropping a record that changed nothing leaves every run as it is.
                victim = self.changed.index(False)
            except ValueError:
                ts = self.events[0][0]
                self.floor = ts if self.floor is None else max(self.floor, ts)
                del self.events[0]
                self.resolve()
            else:
                del self.events[victim]
                del self.changed[victim]


_Chain = tuple[tuple[tuple[_Timeline, ...], str | None], ...]  # per key: timelines, default
# A path's last two answers, each as (from_ms, until_ms, answer) flattened: an answer holds for
# from_ms <= ts < until_ms. Two, so live data interleaved with a late backlog both hit.
_Cached = tuple[int, int, ProductionContext, int, int, ProductionContext]


class ContextStore:
    """Time-versioned batch / product / order state per scope, looked up as of a time."""

    __slots__ = ("_chains", "_defaults", "_history", "_keys", "_results", "_timelines")

    def __init__(self, *, history: int = 256) -> None:
        if history < 1:
            raise ValueError(f"history must be at least 1, got {history}")
        self._history = history
        self._keys: dict[str, int] = {key: i for i, key in enumerate(CONTEXT_KEYS)}
        self._timelines: dict[tuple[Scope, int], _Timeline] = {}
        self._defaults: dict[tuple[Scope, int], str] = {}
        self._chains: dict[Scope, _Chain] = {}
        self._results: dict[Scope, _Cached] = {}

    @property
    def history(self) -> int:
        return self._history

    @property
    def extra_keys(self) -> tuple[str, ...]:
        """The declared keys beyond batch / product / order, in the order of `extra`."""
        return tuple(self._keys)[_BUILT_IN:]

    def declare(self, keys: Iterable[str]) -> None:
        """Accept the model's own context keys (keys already known are kept as they are)."""
        for key in keys:
            if key not in self._keys:
                self._keys[key] = len(self._keys)
                self._chains.clear()
                self._results.clear()

    # -- recording ---------------------------------------------------------------------------

    def set_default(self, scope: Iterable[str], key: ContextKey, value: str | None) -> None:
        """Set (or with None, remove) the static default of ``key`` at ``scope`` from the model."""
        slot = (tuple(scope), self._key_index(key))
        if value is None:
            self._defaults.pop(slot, None)
        else:
            self._defaults[slot] = value
        self._chains.clear()
        self._results.clear()

    def announce(
        self, scope: Iterable[str], key: ContextKey, value: str | None, ts_ms: int
    ) -> bool:
        """Record "the current value from ``ts_ms`` is ``value``" (None: nothing from then).

        Returns False if ``ts_ms`` is at or before the kept history (the announcement is
        refused, or dropped at once as the oldest record of a full history).
        """
        timeline = self._timeline(tuple(scope), key)
        if timeline.refuses(ts_ms):
            return False
        if timeline.add((ts_ms, _SET, value), self._history):
            self._results.clear()
        return not timeline.refuses(ts_ms)  # False if it was the oldest and dropped at once

    def start(self, scope: Iterable[str], key: ContextKey, value: str, ts_ms: int) -> bool:
        """Record "``value`` started at ``ts_ms``", closing whatever was open; as `announce`."""
        return self.announce(scope, key, value, ts_ms)

    def end(
        self, scope: Iterable[str], key: ContextKey, ts_ms: int, value: str | None = None
    ) -> bool:
        """Record "the open interval (of ``value``, if given) ended at ``ts_ms``".

        Returns True if a matching interval was open just before ``ts_ms``; False for an end
        without a (matching) start, or one older than the kept history. An unmatched end is
        kept, so a start that arrives after it (out of order) is still closed by it.
        """
        timeline = self._timeline(tuple(scope), key)
        if timeline.refuses(ts_ms):
            return False
        running = timeline.value_before(ts_ms)
        matched = running is not None and value in (None, running)
        if timeline.add((ts_ms, _END, value), self._history):
            self._results.clear()
        return matched and not timeline.refuses(ts_ms)

    # -- lookup ------------------------------------------------------------------------------

    def lookup(self, path: Scope, ts_ms: int) -> ProductionContext:
        """The context in force for ``path`` (a tuple) at ``ts_ms``; see the module docstring.

        The result is immutable and may be shared between calls.
        """
        hit = self._results.get(path)
        if hit is not None:
            if hit[0] <= ts_ms < hit[1]:
                return hit[2]
            if hit[3] <= ts_ms < hit[4]:
                return hit[5]
        return self._resolve(path, ts_ms, hit)

    def intervals(self, scope: Iterable[str], key: ContextKey) -> list[Interval]:
        """The kept intervals recorded at ``scope`` itself (no inheritance), oldest first."""
        timeline = self._timelines.get((tuple(scope), self._key_index(key)))
        if timeline is None:
            return []
        starts, values = timeline.starts, timeline.values
        return [
            Interval(start, starts[i + 1] if i + 1 < len(starts) else None, value)
            for i, (start, value) in enumerate(zip(starts, values, strict=True))
            if value is not None
        ]

    def _resolve(self, path: Scope, ts: int, previous: _Cached | None) -> ProductionContext:
        chain = self._chains.get(path)
        if chain is None:
            chain = self._chain(path)
        lo, hi = _BEFORE_ALL, _AFTER_ALL  # the window over which this answer holds
        found: list[str | None] = []
        for timelines, default in chain:
            value = default
            for timeline in timelines:
                starts = timeline.starts
                if not starts:
                    continue
                # Conditional expressions, not min()/max(): far cheaper, and this runs per miss.
                last = len(starts) - 1
                if ts >= starts[last]:
                    i = last
                elif ts < starts[0]:
                    hi = starts[0] if starts[0] < hi else hi
                    continue
                else:
                    i = bisect_right(starts, ts) - 1
                    hi = starts[i + 1] if starts[i + 1] < hi else hi
                lo = starts[i] if starts[i] > lo else lo
                own = timeline.values[i]
                if own is not None:
                    value = own
                    break
            found.append(value)
        answer = tuple.__new__(ProductionContext, found)  # _make without its Python frame
        if len(self._results) >= _MAX_CACHED_PATHS:
            self._results.clear()
        if previous is None:
            self._results[path] = (lo, hi, answer, 0, 0, answer)  # [0, 0) matches nothing
        else:
            self._results[path] = (lo, hi, answer, previous[0], previous[1], previous[2])
        return answer

    def _chain(self, path: Scope) -> _Chain:
        if len(self._chains) >= _MAX_CACHED_PATHS:
            self._chains.clear()
        scopes = [path[:depth] for depth in range(len(path), -1, -1)]  # deepest first
        chain: list[tuple[tuple[_Timeline, ...], str | None]] = []
        for index in range(len(self._keys)):
            timelines = tuple(
                t for s in scopes if (t := self._timelines.get((s, index))) is not None
            )
            default = next(
                (d for s in scopes if (d := self._defaults.get((s, index))) is not None), None
            )
            chain.append((timelines, default))
        self._chains[path] = result = tuple(chain)
        return result

    def _timeline(self, scope: Scope, key: str) -> _Timeline:
        slot = (scope, self._key_index(key))
        timeline = self._timelines.get(slot)
        if timeline is None:
            timeline = self._timelines[slot] = _Timeline()
            self._chains.clear()  # a new scope may now sit on cached paths
        return timeline

    def _key_index(self, key: str) -> int:
        index = self._keys.get(key)
        if index is None:
            known = tuple(self._keys)
            raise ValueError(f"unknown context key {key!r}; expected one of {known}")
        return index
