"""Shift calendars neither leave gaps nor overlap, over one full cycle, at every site.

Each site resolves its calendar in its own time zone; the rule walks one full cycle (a week
for `weekly`, the pattern length from `anchor` for `rotation`), without holidays and
exceptions (those close dates on purpose), and reports in local time:

- overlaps: two shifts (or two crews) cover the same instant; the service then picks one by a
  tie-break and shift KPIs double count. Always reported.
- gaps: no shift covers an instant. A weekly calendar with two or more shifts a day sets out
  to cover the day, so every gap shorter than a whole day is reported, however long (22:00 to
  06:00 in a two-shift plan: data at night gets no shift); a longer one (a free weekend) is a
  closure. A one-shift calendar (day work) stops on purpose every night, so only its gaps up
  to 240 minutes count. `max-gap-minutes` set explicitly reports, for every weekly calendar,
  exactly the gaps up to that length. Rotations crew a plant around the clock, so with
  `rotation-gaps` (default true) every gap counts.

Reported at the shift after the gap (or the later of two overlapping shifts), once per
calendar and finding, naming the sites and time zones it was found at.

Options: `max-gap-minutes` (default: as above; 0 = no gap reports for weekly calendars),
`rotation-gaps` (default true).

PASS:

    calendars:
      three-shift:
        kind: weekly
        shifts:
          - {name: early, start: "06:00", end: "14:00"}
          - {name: late, start: "14:00", end: "22:00"}
          - {name: night, start: "22:00", end: "06:00"}

FAIL:

    calendars:
      three-shift:
        kind: weekly
        shifts:
          - {name: early, start: "06:00", end: "14:00"}
          - {name: late, start: "14:30", end: "22:00"}    # gap 14:00-14:30
          - {name: night, start: "21:45", end: "06:00"}   # overlaps late 21:45-22:00
      two-shift:
        kind: weekly
        shifts:
          - {name: early, start: "06:00", end: "14:00"}
          - {name: late, start: "14:00", end: "22:00"}    # gap 22:00-06:00 every night
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field

from uns.context.shifts import (
    CoverageIssue,
    ShiftInstance,
    ShiftResolver,
    cycle_days,
    find_gaps_and_overlaps,
)
from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.calendars import DAY_NAMES, RotationCalendar, WeeklyCalendar
from uns.model.problem import Level, Position, Problem

ID = "calendar-coverage"
DEFAULT_LEVEL: Level = "error"
WEEKLY_START = date(2024, 1, 8)  # a Monday: weekly calendars are checked Monday to Sunday


DAY_WORK_MAX_GAP_MINUTES = 240  # a one-shift calendar: longer gaps are its nights off
WHOLE_DAY_MS = 24 * 3_600_000


class Options(RuleOptions):
    max_gap_minutes: int | None = Field(default=None, ge=0)
    rotation_gaps: bool = True


def shifts_a_day(cal: WeeklyCalendar) -> int:
    """The most shifts the calendar starts on one weekday."""
    return max((sum(day in s.days for s in cal.shifts) for day in DAY_NAMES), default=0)


def _reported_gap(cal: WeeklyCalendar | RotationCalendar, gap_ms: int, opts: Options) -> bool:
    if isinstance(cal, RotationCalendar) and opts.rotation_gaps:
        return True
    if opts.max_gap_minutes is not None:
        return gap_ms <= opts.max_gap_minutes * 60_000
    if isinstance(cal, WeeklyCalendar) and shifts_a_day(cal) >= 2:
        return gap_ms < WHOLE_DAY_MS
    return gap_ms <= DAY_WORK_MAX_GAP_MINUTES * 60_000


def cycle_start(cal: WeeklyCalendar | RotationCalendar) -> date:
    return cal.anchor if isinstance(cal, RotationCalendar) else WEEKLY_START


def coverage_issues(
    cal: WeeklyCalendar | RotationCalendar, tz: ZoneInfo
) -> list[tuple[CoverageIssue, date]]:
    """Issues of one plain cycle (each found once, also across the cycle's wrap-around),
    with the local start date of the checked cycle."""
    plain = cal.model_copy(update={"holidays": (), "exceptions": ()})
    days = cycle_days(plain)
    start = cycle_start(plain)
    resolver = ShiftResolver(plain, tz)
    lo, hi = resolver.day_start_ms(start), resolver.day_start_ms(start + timedelta(days=days))
    found = find_gaps_and_overlaps(
        resolver, start - timedelta(days=days), start + timedelta(days=2 * days)
    )
    return [(i, start) for i in found if lo <= i.start_ms < hi]


def _clock(ms: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz)


def _duration(ms: int) -> str:
    minutes = ms // 60_000
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _who(shift: ShiftInstance | None, crew: bool = True) -> str:
    if shift is None:
        return "?"
    return f"{shift.name} (crew {shift.crew})" if shift.crew and crew else shift.name


def describe(issue: CoverageIssue, tz: ZoneInfo) -> str:
    """The finding in local wall-clock time, without its date (it may recur)."""
    lo, hi = _clock(issue.start_ms, tz), _clock(issue.end_ms, tz)
    when = f"{lo:%H:%M} to {hi:%H:%M} ({_duration(issue.end_ms - issue.start_ms)})"
    if issue.kind == "gap":
        # Crews left out: the same hole recurs with different crews around it.
        after = f" after {_who(issue.first, False)}" if issue.first else ""
        before = f" before {_who(issue.second, False)}" if issue.second else ""
        return f"gap {when}{after}{before}"
    return f"{_who(issue.first)} and {_who(issue.second)} overlap {when}"


def _day(issue: CoverageIssue, tz: ZoneInfo, start: date, rotation: bool) -> str:
    local = _clock(issue.start_ms, tz).date()
    return str((local - start).days) if rotation else f"{local:%a}"


def _shift_position(model: ModelGraph, cal_pos: Position, shift: str) -> Position:
    lines = model.sources.get(cal_pos.path, ())
    rx = re.compile(r"""name:\s*['"]?""" + re.escape(shift) + r"""['"]?\s*(?:[,}#]|$)""")
    for i in range(cal_pos.line - 1, min(len(lines), cal_pos.line + 400)):
        m = rx.search(lines[i])
        if m is not None:
            return Position(cal_pos.path, i + 1, m.start() + 1)
    return cal_pos


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    cache: dict[tuple[str, str], list[tuple[CoverageIssue, date]]] = {}
    # (calendar, position, finding) -> days it recurs on, sites (with zone) it was found at
    found: dict[tuple[str, Position, str], tuple[list[str], list[str]]] = {}
    for site_name, site in sorted(ns.sites.items()):
        name = site.calendar
        if name is None or name not in ns.calendars:
            continue
        cal = ns.calendars[name]
        tz = ZoneInfo(site.timezone)
        if (name, site.timezone) not in cache:
            cache[(name, site.timezone)] = coverage_issues(cal, tz)
        rotation = isinstance(cal, RotationCalendar)
        cal_pos = ns.calendar_pos.get(name, ns.enterprise_pos)
        for issue, start in cache[(name, site.timezone)]:
            if issue.kind == "gap" and not _reported_gap(cal, issue.end_ms - issue.start_ms, opts):
                continue
            anchor = issue.second or issue.first
            pos = _shift_position(model, cal_pos, anchor.name) if anchor else cal_pos
            days, sites = found.setdefault((name, pos, describe(issue, tz)), ([], []))
            day = _day(issue, tz, start, rotation)
            if day not in days:
                days.append(day)
            where = f"{site_name} ({site.timezone})"
            if where not in sites:
                sites.append(where)
    for (name, pos, text), (days, sites) in sorted(found.items(), key=lambda kv: kv[0][1:]):
        cal = ns.calendars[name]
        on = (
            f"cycle days {', '.join(days)} of {cycle_days(cal)}"
            if isinstance(cal, RotationCalendar)
            else ("every day" if len(days) == 7 else ", ".join(days))
        )
        yield Problem.at(pos, f"calendar {name}: {text}, {on}; local time at {', '.join(sites)}")
