"""Which shift covers an instant: a pure resolver over one calendar in one site time zone.

`ShiftResolver(calendar, tz).shift_at(ts_ms)` answers with a `ShiftInstance` (name, crew, UTC
start and end, local start date) or None when no shift covers the instant; it never guesses.

Rules (docs/calendars.md explains them to model authors):

- Times of day are local wall-clock times at the site. A shift starts at its local `start` on a
  local date and ends at its local `end` the same date, or the next date when `end <= start`;
  the real duration therefore follows DST (a 22:00-06:00 night is 7 h or 9 h on change nights).
- A local time that does not exist (skipped by a spring-forward change) means the instant the
  clocks jump, i.e. just after the gap: 02:30 on 2026-03-29 in Europe/Berlin is 03:00 CEST.
  A local time that happens twice (fall-back change) means its first occurrence (fold=0).
- An overnight shift belongs to the local date it started on (`ShiftInstance.local_date`).
- Holidays and exceptions act on the date a shift starts.
- When shifts overlap (a model mistake the `find_gaps_and_overlaps` lint helper reports), the
  instant goes to the covering shift that started first, then the lower name, then the lower
  crew name: deterministic, and the same whatever order instants are asked in.

Speed: the timeline is cut, per local day, into segments [lo, hi) covered by one answer. The last
segment and the last day are kept, so most calls (messages of the current shift) cost two
comparisons, and no time zone lookup; a small LRU keeps recent days for out-of-order messages.
The resolver is for one thread (or one event loop): its caches are not locked.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Literal, NamedTuple

from uns.model.calendars import DAY_NAMES, RotationCalendar, WeeklyCalendar

__all__ = [
    "CoverageIssue",
    "ShiftInstance",
    "ShiftResolver",
    "cycle_days",
    "find_gaps_and_overlaps",
]

_DAY_S = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MIDNIGHT = time(0, 0)
# Instants outside these bounds have no shift: keeps date arithmetic (day - 2 .. day + 1) and
# the time zone conversions far from the limits of `datetime`.
_MIN_TS_MS = (date(1900, 1, 2).toordinal() - _EPOCH_ORDINAL) * _DAY_S * 1000
_MAX_TS_MS = (date(9998, 12, 30).toordinal() - _EPOCH_ORDINAL) * _DAY_S * 1000


@dataclass(frozen=True, slots=True)
class ShiftInstance:
    """One occurrence of a shift: [start_ms, end_ms) in UTC epoch milliseconds.

    `local_date` is the ISO local date the shift started on ("2026-03-28" for the night shift
    from Saturday 22:00 to Sunday 06:00); `crew` is None for weekly calendars.
    """

    name: str
    crew: str | None
    start_ms: int
    end_ms: int
    local_date: str

    def covers(self, ts_ms: int) -> bool:
        return self.start_ms <= ts_ms < self.end_ms


def _order(inst: ShiftInstance) -> tuple[int, str, str]:
    """Start order, and the tie-break when shifts overlap: start, then name, then crew."""
    return (inst.start_ms, inst.name, inst.crew or "")


class CoverageIssue(NamedTuple):
    """A hole or a double booking found by `find_gaps_and_overlaps`.

    gap: no shift covers [start_ms, end_ms); `first` ended at start_ms and `second` starts at
    end_ms (None at the edges of the checked range).
    overlap: `first` and `second` (in start order) both cover [start_ms, end_ms).
    """

    kind: Literal["gap", "overlap"]
    first: ShiftInstance | None
    second: ShiftInstance | None
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class _Spec:
    """A shift's local times, compiled from either calendar kind."""

    name: str
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class _Day:
    """A local date: the instant of its local midnight and the shifts starting on it."""

    start_ms: int
    instances: tuple[ShiftInstance, ...]


@dataclass(frozen=True, slots=True)
class _Window:
    """The instants [lo, hi) of one local date, cut into segments with one answer each."""

    lo: int
    hi: int
    bounds: tuple[int, ...]  # bounds[i] starts segment i; bounds[0] == lo
    values: tuple[ShiftInstance | None, ...]

    def segment(self, ts_ms: int) -> tuple[int, int, ShiftInstance | None]:
        i = bisect.bisect_right(self.bounds, ts_ms) - 1
        hi = self.bounds[i + 1] if i + 1 < len(self.bounds) else self.hi
        return self.bounds[i], hi, self.values[i]


_EMPTY = _Window(0, 0, (0,), (None,))


def cycle_days(calendar: WeeklyCalendar | RotationCalendar) -> int:
    """Days after which the calendar repeats (holidays and exceptions aside)."""
    if isinstance(calendar, WeeklyCalendar):
        return 7
    if calendar.pattern is not None:
        return len(calendar.pattern)
    first = next(iter(calendar.crews.values()))
    assert isinstance(first, str)  # validation: no shared pattern means a pattern per crew
    return len(first)


class ShiftResolver:
    """Shift instances of one calendar in one time zone; build once, ask many times."""

    def __init__(
        self,
        calendar: WeeklyCalendar | RotationCalendar,
        tz: tzinfo,
        *,
        cache_days: int = 16,
    ) -> None:
        self.calendar = calendar
        self.tz = tz
        self._cache_days = max(cache_days, 3)  # a window needs three days at once
        self._holidays = frozenset(d.toordinal() for d in calendar.holidays)
        self._exceptions = {e.date.toordinal(): frozenset(e.shifts) for e in calendar.exceptions}
        self._weekly: tuple[tuple[_Spec, ...], ...] = ()
        self._weekly_all: tuple[_Spec, ...] = ()
        self._rows: tuple[tuple[str, tuple[_Spec | None, ...]], ...] = ()
        self._anchor = 0
        if isinstance(calendar, WeeklyCalendar):
            self._compile_weekly(calendar)
        else:
            self._compile_rotation(calendar)
        self._days: OrderedDict[int, _Day] = OrderedDict()
        self._windows: OrderedDict[int, _Window] = OrderedDict()
        self._window = _EMPTY
        self._last: tuple[int, int, ShiftInstance | None] = (0, 0, None)

    # -- compile -------------------------------------------------------------------------------

    def _compile_weekly(self, calendar: WeeklyCalendar) -> None:
        self._weekly_all = tuple(_Spec(s.name, s.start, s.end) for s in calendar.shifts)
        self._weekly = tuple(
            tuple(
                spec
                for spec, shift in zip(self._weekly_all, calendar.shifts, strict=True)
                if day in shift.days
            )
            for day in DAY_NAMES
        )

    def _compile_rotation(self, calendar: RotationCalendar) -> None:
        by_code = {s.code: _Spec(s.name, s.start, s.end) for s in calendar.shifts}
        rows = []
        for crew, value in calendar.crews.items():
            if isinstance(value, int):
                assert calendar.pattern is not None  # validation pairs offsets with a pattern
                cycle = len(calendar.pattern)
                own = "".join(calendar.pattern[(i + value) % cycle] for i in range(cycle))
            else:
                own = value
            rows.append((crew, tuple(by_code.get(ch) for ch in own)))
        self._rows = tuple(rows)
        self._anchor = calendar.anchor.toordinal()

    def _specs_on(self, ordinal: int) -> list[tuple[_Spec, str | None]]:
        """The shifts that start on a local date, with their crews."""
        if ordinal in self._holidays:
            return []
        only = self._exceptions.get(ordinal)
        if self._rows:
            index = ordinal - self._anchor  # negative before the anchor: % still cycles
            picked = [(row[index % len(row)], crew) for crew, row in self._rows]
            return [
                (spec, crew)
                for spec, crew in picked
                if spec is not None and (only is None or spec.name in only)
            ]
        if only is not None:
            return [(spec, None) for spec in self._weekly_all if spec.name in only]
        return [(spec, None) for spec in self._weekly[(ordinal + 6) % 7]]  # ordinal 1 is a Monday

    # -- local time -> UTC ---------------------------------------------------------------------

    def _offset_at(self, epoch_s: int) -> int:
        offset = datetime.fromtimestamp(epoch_s, self.tz).utcoffset()
        assert offset is not None  # fromtimestamp with a tz gives an aware datetime
        return int(offset.total_seconds())

    def local_ms(self, day: date, at: time) -> int:
        """UTC epoch ms of local wall time `at` on `day`: first occurrence, or after the gap."""
        wall = datetime.combine(day, at)
        local_s = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_S + at.hour * 3600 + at.minute * 60
        off0 = wall.replace(tzinfo=self.tz, fold=0).utcoffset()
        off1 = wall.replace(tzinfo=self.tz, fold=1).utcoffset()
        if off0 is None or off1 is None:
            raise ValueError(f"time zone {self.tz!r} gives no UTC offset")
        before, after = int(off0.total_seconds()), int(off1.total_seconds())
        if before >= after:  # ordinary time, or a repeated time whose first occurrence is fold 0
            return (local_s - before) * 1000
        # Skipped wall time: fold 0 reads it with the offset before the jump, landing after the
        # gap by the wall time's depth into it. Search the jump instant itself instead.
        lo, hi = local_s - after, local_s - before  # offset `before` at lo, not at hi
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._offset_at(mid) == before:
                lo = mid
            else:
                hi = mid
        return hi * 1000

    def day_start_ms(self, day: date) -> int:
        """UTC epoch ms of local midnight starting `day` (after the gap if midnight is skipped)."""
        return self.local_ms(day, _MIDNIGHT)

    # -- days, windows, caches -----------------------------------------------------------------

    def _build_day(self, ordinal: int) -> _Day:
        day = date.fromordinal(ordinal)
        iso = day.isoformat()
        instances = []
        for spec, crew in self._specs_on(ordinal):
            end_day = day + timedelta(days=1) if spec.end <= spec.start else day
            start_ms = self.local_ms(day, spec.start)
            end_ms = self.local_ms(end_day, spec.end)
            instances.append(ShiftInstance(spec.name, crew, start_ms, end_ms, iso))
        instances.sort(key=_order)
        return _Day(self.day_start_ms(day), tuple(instances))

    def _day(self, ordinal: int) -> _Day:
        found = self._days.get(ordinal)
        if found is None:
            found = self._days[ordinal] = self._build_day(ordinal)
            if len(self._days) > self._cache_days:
                self._days.popitem(last=False)
        else:
            self._days.move_to_end(ordinal)
        return found

    def _build_window(self, ordinal: int) -> _Window:
        lo, hi = self._day(ordinal).start_ms, self._day(ordinal + 1).start_ms
        # A shift ends at most on the local date after its start, so only the shifts of this
        # date and of the one before can cover an instant of this date.
        candidates = [
            inst
            for inst in (*self._day(ordinal - 1).instances, *self._day(ordinal).instances)
            if inst.start_ms < hi and inst.end_ms > lo and inst.start_ms < inst.end_ms
        ]
        cuts = {lo, hi}
        for inst in candidates:
            cuts.update(p for p in (inst.start_ms, inst.end_ms) if lo < p < hi)
        bounds: list[int] = []
        values: list[ShiftInstance | None] = []
        for a, _b in pairwise(sorted(cuts)):
            covering = [inst for inst in candidates if inst.covers(a)]
            value = min(covering, key=_order) if covering else None
            if values and values[-1] is value:
                continue  # same answer as the segment before: merge
            bounds.append(a)
            values.append(value)
        if not bounds:  # the whole local date was skipped (Pacific/Apia, 2011-12-30)
            return _Window(lo, hi, (lo,), (None,))
        return _Window(lo, hi, tuple(bounds), tuple(values))

    def _window_at(self, ordinal: int) -> _Window:
        found = self._windows.get(ordinal)
        if found is None:
            found = self._windows[ordinal] = self._build_window(ordinal)
            if len(self._windows) > self._cache_days:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(ordinal)
        return found

    def _local_ordinal(self, ts_ms: int) -> int:
        return datetime.fromtimestamp(ts_ms // 1000, self.tz).toordinal()

    def _window_for(self, ts_ms: int) -> _Window:
        w = self._window
        if w.lo <= ts_ms < w.hi:
            return w
        for cached in reversed(self._windows.values()):  # out-of-order messages: recent days
            if cached.lo <= ts_ms < cached.hi:
                return cached
        ordinal = self._local_ordinal(ts_ms)
        w = self._window_at(ordinal)
        # Around a fall-back change at midnight an instant's wall date is not its window's date.
        while ts_ms < w.lo:
            ordinal -= 1
            w = self._window_at(ordinal)
        while ts_ms >= w.hi:
            ordinal += 1
            w = self._window_at(ordinal)
        return w

    # -- public --------------------------------------------------------------------------------

    def shift_at(self, ts_ms: int) -> ShiftInstance | None:
        """The shift covering the instant `ts_ms` (UTC epoch ms), or None if none does."""
        lo, hi, value = self._last
        if lo <= ts_ms < hi:
            return value
        if not _MIN_TS_MS <= ts_ms < _MAX_TS_MS:
            return None
        w = self._window = self._window_for(ts_ms)
        self._last = seg = w.segment(ts_ms)
        return seg[2]

    def iter_shifts(self, start_local: date, end_local: date) -> Iterator[ShiftInstance]:
        """Every shift instance starting on local dates [start_local, end_local), in start order.

        Holidays and exceptions apply. Instances whose start and end fall into the same skipped
        hour have no length (start_ms == end_ms) and are yielded all the same.
        """
        for ordinal in range(start_local.toordinal(), end_local.toordinal()):
            yield from self._build_day(ordinal).instances


def find_gaps_and_overlaps(
    resolver: ShiftResolver, start_local: date, end_local: date
) -> list[CoverageIssue]:
    """Holes and double bookings between local midnight of `start_local` and of `end_local`.

    Shifts that started the day before `start_local` count (a night shift spilling in). Use
    [anchor, anchor + cycle_days) of a calendar without holidays and exceptions to lint the
    plain pattern. Issues come in time order, each clipped to the range.
    """
    span_lo, span_hi = resolver.day_start_ms(start_local), resolver.day_start_ms(end_local)
    instances: Sequence[ShiftInstance] = [
        inst
        for inst in resolver.iter_shifts(start_local - timedelta(days=1), end_local)
        if inst.start_ms < span_hi and inst.end_ms > span_lo and inst.start_ms < inst.end_ms
    ]
    issues: list[CoverageIssue] = []
    covered_until, last = span_lo, None
    active: list[ShiftInstance] = []
    for inst in sorted(instances, key=_order):
        if inst.start_ms > covered_until:
            issues.append(CoverageIssue("gap", last, inst, covered_until, inst.start_ms))
        active = [a for a in active if a.end_ms > inst.start_ms]
        for other in active:
            lo, hi = max(inst.start_ms, span_lo), min(other.end_ms, inst.end_ms, span_hi)
            if lo < hi:
                issues.append(CoverageIssue("overlap", other, inst, lo, hi))
        active.append(inst)
        if inst.end_ms > covered_until:
            covered_until, last = inst.end_ms, inst
    if covered_until < span_hi:
        issues.append(CoverageIssue("gap", last, None, covered_until, span_hi))
    issues.sort(key=lambda issue: (issue.start_ms, issue.end_ms, issue.kind))
    return issues
