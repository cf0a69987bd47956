"""Shift calendars: schema validation and the shift resolver, as explicit tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from tests.shift_oracle import shift_at_uncached
from uns.context.shifts import (
    CoverageIssue,
    ShiftInstance,
    ShiftResolver,
    cycle_days,
    find_gaps_and_overlaps,
)
from uns.model.calendars import (
    Calendar,
    RotationCalendar,
    WeeklyCalendar,
    calendar_adapter,
    parse_calendar,
)

BERLIN = ZoneInfo("Europe/Berlin")
CHICAGO = ZoneInfo("America/Chicago")
HOUR_MS = 3_600_000


def cal(data: dict[str, Any]) -> Calendar:
    return calendar_adapter.validate_python(data)


def local(tz: ZoneInfo, text: str, fold: int = 0) -> int:
    """Epoch ms of a local wall time "YYYY-MM-DD HH:MM[:SS]" in `tz`."""
    wall = datetime.fromisoformat(text).replace(tzinfo=tz, fold=fold)
    return int(wall.timestamp() * 1000)


def utc(text: str) -> int:
    """Epoch ms of a UTC time "YYYY-MM-DDTHH:MM[:SS]"."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def brief(inst: ShiftInstance | None) -> tuple[str, str | None, str] | None:
    return None if inst is None else (inst.name, inst.crew, inst.local_date)


# -- calendars used below ----------------------------------------------------------------------

THREE_SHIFT = {
    "kind": "weekly",
    "shifts": [
        {
            "name": "early",
            "start": "06:00",
            "end": "14:00",
            "days": ["mon", "tue", "wed", "thu", "fri"],
        },
        {"name": "late", "start": "14:00", "end": "22:00", "days": "mon-fri"},
        {
            "name": "night",
            "start": "22:00",
            "end": "06:00",
            "days": ["sun", "mon", "tue", "wed", "thu"],
        },
    ],
    "holidays": ["2026-12-25", "2026-12-26", "2027-01-01"],
    "exceptions": [{"date": "2026-12-24", "shifts": ["early"]}],
}

ALL_WEEK = {
    "kind": "weekly",
    "shifts": [
        {"name": "early", "start": "06:00", "end": "14:00"},
        {"name": "late", "start": "14:00", "end": "22:00"},
        {"name": "night", "start": "22:00", "end": "06:00"},
    ],
}

TWELVE_HOUR = [
    {"name": "day", "code": "D", "start": "07:00", "end": "19:00"},
    {"name": "night", "code": "N", "start": "19:00", "end": "07:00"},
]

DUPONT = {
    "kind": "rotation",
    "anchor": "2026-01-05",
    "shifts": TWELVE_HOUR,
    "pattern": "NNNN--- DDD-NNN ---DDDD -------",
    "crews": {"A": 0, "B": 7, "C": 14, "D": 21},
}

PANAMA = {  # 2-2-3, crews A/B on days and C/D on nights, 14-day cycle
    "kind": "rotation",
    "anchor": "2026-01-05",
    "shifts": TWELVE_HOUR,
    "crews": {
        "A": "DD--DDD --DD---",
        "B": "--DD--- DD--DDD",
        "C": "NN--NNN --NN---",
        "D": "--NN--- NN--NNN",
    },
}

PANAMA_ROTATING = {  # 2-2-3 where crews swap between days and nights every 14 days
    "kind": "rotation",
    "anchor": "2026-01-05",
    "shifts": TWELVE_HOUR,
    "pattern": "DD--DDD --DD--- NN--NNN --NN---",
    "crews": {"A": 0, "B": 7, "C": 14, "D": 21},
}

EIGHT_HOUR = [
    {"name": "early", "code": "E", "start": "06:00", "end": "14:00"},
    {"name": "late", "code": "L", "start": "14:00", "end": "22:00"},
    {"name": "night", "code": "N", "start": "22:00", "end": "06:00"},
]

SLOW_4_CREW = {  # 3x8, a week on each shift, then a week off
    "kind": "rotation",
    "anchor": "2026-01-05",
    "shifts": EIGHT_HOUR,
    "pattern": "EEEEEEE LLLLLLL NNNNNNN -------",
    "crews": {"A": 0, "B": 7, "C": 14, "D": 21},
}

SLOW_5_CREW = {
    "kind": "rotation",
    "anchor": "2026-01-05",
    "shifts": EIGHT_HOUR,
    "pattern": "EEEEEEE LLLLLLL NNNNNNN ------- -------",
    "crews": {"A": 0, "B": 7, "C": 14, "D": 21, "E": 28},
}


# -- weekly ------------------------------------------------------------------------------------

# 2026-03-09 is a Monday; Europe/Berlin is on CET (no DST change that week).
WEEKLY_CASES = [
    ("mon early", "2026-03-09 06:00", ("early", None, "2026-03-09")),
    ("wed early", "2026-03-11 07:00", ("early", None, "2026-03-11")),
    ("last ms of early", "2026-03-11 13:59:59.999", ("early", None, "2026-03-11")),
    ("late at 14:00", "2026-03-11 14:00", ("late", None, "2026-03-11")),
    ("night at 22:00", "2026-03-11 22:00", ("night", None, "2026-03-11")),
    ("mon night seen tue 03:00", "2026-03-10 03:00", ("night", None, "2026-03-09")),
    ("sun night seen mon 03:00", "2026-03-09 03:00", ("night", None, "2026-03-08")),
    ("thu night seen fri 05:59", "2026-03-13 05:59", ("night", None, "2026-03-12")),
    ("fri late", "2026-03-13 21:59", ("late", None, "2026-03-13")),
    ("no fri night", "2026-03-13 22:00", None),
    ("weekend sat 03:00", "2026-03-14 03:00", None),
    ("weekend sat 12:00", "2026-03-14 12:00", None),
    ("weekend sun 21:59", "2026-03-15 21:59", None),
    ("sun night starts", "2026-03-15 22:00", ("night", None, "2026-03-15")),
]


@pytest.mark.parametrize(
    ("wall", "expected"), [c[1:] for c in WEEKLY_CASES], ids=[c[0] for c in WEEKLY_CASES]
)
def test_weekly_three_shift(wall: str, expected: tuple[str, None, str] | None) -> None:
    resolver = ShiftResolver(cal(THREE_SHIFT), BERLIN)
    assert brief(resolver.shift_at(local(BERLIN, wall))) == expected


def test_overnight_shift_instance_spans_midnight() -> None:
    resolver = ShiftResolver(cal(THREE_SHIFT), BERLIN)
    inst = resolver.shift_at(local(BERLIN, "2026-03-10 03:00"))
    assert inst == ShiftInstance(
        name="night",
        crew=None,
        start_ms=local(BERLIN, "2026-03-09 22:00"),
        end_ms=local(BERLIN, "2026-03-10 06:00"),
        local_date="2026-03-09",
    )


HOLIDAY_CASES = [
    ("exception keeps early", "2026-12-24 08:00", ("early", None, "2026-12-24")),
    ("exception drops late", "2026-12-24 15:00", None),
    ("exception drops night", "2026-12-24 23:00", None),
    ("holiday has no early", "2026-12-25 08:00", None),
    ("night before a holiday runs into it", "2027-01-01 03:00", ("night", None, "2026-12-31")),
    ("holiday has no late", "2027-01-01 15:00", None),
    ("ordinary day after", "2026-12-28 08:00", ("early", None, "2026-12-28")),
]


@pytest.mark.parametrize(
    ("wall", "expected"), [c[1:] for c in HOLIDAY_CASES], ids=[c[0] for c in HOLIDAY_CASES]
)
def test_holidays_and_exceptions(wall: str, expected: tuple[str, None, str] | None) -> None:
    resolver = ShiftResolver(cal(THREE_SHIFT), BERLIN)
    assert brief(resolver.shift_at(local(BERLIN, wall))) == expected


def test_weekly_exception_can_add_a_shift_on_an_off_day() -> None:
    data = {**THREE_SHIFT, "exceptions": [{"date": "2026-03-14", "shifts": ["early"]}]}
    resolver = ShiftResolver(cal(data), BERLIN)
    assert brief(resolver.shift_at(local(BERLIN, "2026-03-14 08:00"))) == (
        "early",
        None,
        "2026-03-14",
    )
    assert resolver.shift_at(local(BERLIN, "2026-03-14 15:00")) is None


def test_exception_with_no_shifts_closes_the_date() -> None:
    data = {**THREE_SHIFT, "exceptions": [{"date": "2026-03-11", "shifts": []}]}
    resolver = ShiftResolver(cal(data), BERLIN)
    assert resolver.shift_at(local(BERLIN, "2026-03-11 08:00")) is None
    assert brief(resolver.shift_at(local(BERLIN, "2026-03-11 03:00"))) == (
        "night",
        None,
        "2026-03-10",
    )


# -- DST ---------------------------------------------------------------------------------------

# The night shift 22:00-06:00 started on the evening before each change.
NIGHT_LENGTH_CASES = [
    ("berlin ordinary", BERLIN, "2026-03-21", 8),
    ("berlin spring forward", BERLIN, "2026-03-28", 7),
    ("berlin fall back", BERLIN, "2026-10-24", 9),
    ("chicago spring forward", CHICAGO, "2026-03-07", 7),
    ("chicago fall back", CHICAGO, "2026-10-31", 9),
]


@pytest.mark.parametrize(
    ("tz", "night_of", "hours"),
    [c[1:] for c in NIGHT_LENGTH_CASES],
    ids=[c[0] for c in NIGHT_LENGTH_CASES],
)
def test_night_shift_length_on_dst_nights(tz: ZoneInfo, night_of: str, hours: int) -> None:
    resolver = ShiftResolver(cal(ALL_WEEK), tz)
    day = date.fromisoformat(night_of)
    nights = [
        i
        for i in resolver.iter_shifts(day, date.fromordinal(day.toordinal() + 1))
        if i.name == "night"
    ]
    assert len(nights) == 1
    assert nights[0].end_ms - nights[0].start_ms == hours * HOUR_MS


# Instants in UTC, around and inside the hour the clocks change.
DST_INSTANT_CASES = [
    # Berlin 2026-03-29: 02:00 CET (01:00Z) jumps to 03:00 CEST
    ("berlin 01:59:59 CET", BERLIN, "2026-03-29T00:59:59", ("night", None, "2026-03-28")),
    ("berlin 03:00 CEST", BERLIN, "2026-03-29T01:00", ("night", None, "2026-03-28")),
    ("berlin 05:59 CEST", BERLIN, "2026-03-29T03:59", ("night", None, "2026-03-28")),
    ("berlin 06:00 CEST", BERLIN, "2026-03-29T04:00", ("early", None, "2026-03-29")),
    # Berlin 2026-10-25: 03:00 CEST (01:00Z) falls back to 02:00 CET
    ("berlin 02:30 CEST first", BERLIN, "2026-10-25T00:30", ("night", None, "2026-10-24")),
    ("berlin 02:30 CET second", BERLIN, "2026-10-25T01:30", ("night", None, "2026-10-24")),
    ("berlin 05:59 CET", BERLIN, "2026-10-25T04:59", ("night", None, "2026-10-24")),
    ("berlin 06:00 CET", BERLIN, "2026-10-25T05:00", ("early", None, "2026-10-25")),
    # Chicago 2026-03-08: 02:00 CST (08:00Z) jumps to 03:00 CDT
    ("chicago 01:59 CST", CHICAGO, "2026-03-08T07:59", ("night", None, "2026-03-07")),
    ("chicago 03:00 CDT", CHICAGO, "2026-03-08T08:00", ("night", None, "2026-03-07")),
    ("chicago 06:00 CDT", CHICAGO, "2026-03-08T11:00", ("early", None, "2026-03-08")),
    # Chicago 2026-11-01: 02:00 CDT (07:00Z) falls back to 01:00 CST
    ("chicago 01:30 CDT first", CHICAGO, "2026-11-01T06:30", ("night", None, "2026-10-31")),
    ("chicago 01:30 CST second", CHICAGO, "2026-11-01T07:30", ("night", None, "2026-10-31")),
    ("chicago 05:59 CST", CHICAGO, "2026-11-01T11:59", ("night", None, "2026-10-31")),
    ("chicago 06:00 CST", CHICAGO, "2026-11-01T12:00", ("early", None, "2026-11-01")),
]


@pytest.mark.parametrize(
    ("tz", "instant", "expected"),
    [c[1:] for c in DST_INSTANT_CASES],
    ids=[c[0] for c in DST_INSTANT_CASES],
)
def test_shift_at_across_dst_changes(
    tz: ZoneInfo, instant: str, expected: tuple[str, None, str]
) -> None:
    resolver = ShiftResolver(cal(ALL_WEEK), tz)
    assert brief(resolver.shift_at(utc(instant))) == expected


# A local wall time that does not exist means the jump instant; a repeated one its first occurrence.
LOCAL_TIME_CASES = [
    ("berlin skipped 02:30", BERLIN, "2026-03-29", time(2, 30), "2026-03-29T01:00"),
    ("berlin skipped 02:00", BERLIN, "2026-03-29", time(2, 0), "2026-03-29T01:00"),
    ("berlin 03:00 after gap", BERLIN, "2026-03-29", time(3, 0), "2026-03-29T01:00"),
    ("berlin 01:59 before gap", BERLIN, "2026-03-29", time(1, 59), "2026-03-29T00:59"),
    ("berlin repeated 02:30", BERLIN, "2026-10-25", time(2, 30), "2026-10-25T00:30"),
    ("berlin 03:00 after fold", BERLIN, "2026-10-25", time(3, 0), "2026-10-25T02:00"),
    ("chicago skipped 02:30", CHICAGO, "2026-03-08", time(2, 30), "2026-03-08T08:00"),
    ("chicago repeated 01:30", CHICAGO, "2026-11-01", time(1, 30), "2026-11-01T06:30"),
    ("chicago ordinary", CHICAGO, "2026-06-01", time(6, 0), "2026-06-01T11:00"),
]


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected"),
    [c[1:] for c in LOCAL_TIME_CASES],
    ids=[c[0] for c in LOCAL_TIME_CASES],
)
def test_local_wall_time_to_instant(tz: ZoneInfo, day: str, at: time, expected: str) -> None:
    resolver = ShiftResolver(cal(ALL_WEEK), tz)
    assert resolver.local_ms(date.fromisoformat(day), at) == utc(expected)


def test_shift_starting_in_the_skipped_hour_starts_at_the_jump() -> None:
    data = {
        "kind": "weekly",
        "shifts": [{"name": "maint", "start": "02:30", "end": "05:00", "days": "sun"}],
    }
    resolver = ShiftResolver(cal(data), BERLIN)
    (inst,) = resolver.iter_shifts(date(2026, 3, 29), date(2026, 3, 30))
    assert (inst.start_ms, inst.end_ms) == (utc("2026-03-29T01:00"), utc("2026-03-29T03:00"))
    assert resolver.shift_at(utc("2026-03-29T00:59:59")) is None
    assert brief(resolver.shift_at(utc("2026-03-29T01:00"))) == ("maint", None, "2026-03-29")


# -- rotations ---------------------------------------------------------------------------------

# (local date, crew on the day shift, crew on the night shift); anchor 2026-01-05 is day 0.
DUPONT_CASES = [
    ("anchor day 0", "2026-01-05", "B", "A"),
    ("day 3", "2026-01-08", "C", "A"),
    ("day 4", "2026-01-09", "C", "B"),
    ("day 27, last of cycle", "2026-02-01", "D", "C"),
    ("day 28 wraps to day 0", "2026-02-02", "B", "A"),
    ("day -1 before anchor", "2026-01-04", "D", "C"),
    ("day -28 before anchor", "2025-12-08", "B", "A"),
    ("day -29 before anchor", "2025-12-07", "D", "C"),
    ("day 83, spring-forward day", "2026-03-29", "D", "C"),
    ("day 293, fall-back day", "2026-10-25", "B", "A"),
]


@pytest.mark.parametrize(
    ("day", "day_crew", "night_crew"),
    [c[1:] for c in DUPONT_CASES],
    ids=[c[0] for c in DUPONT_CASES],
)
def test_dupont_crews(day: str, day_crew: str, night_crew: str) -> None:
    resolver = ShiftResolver(cal(DUPONT), BERLIN)
    assert brief(resolver.shift_at(local(BERLIN, f"{day} 12:00"))) == ("day", day_crew, day)
    assert brief(resolver.shift_at(local(BERLIN, f"{day} 20:00"))) == ("night", night_crew, day)


def test_dupont_night_seen_after_midnight_belongs_to_its_start_date() -> None:
    resolver = ShiftResolver(cal(DUPONT), BERLIN)
    assert brief(resolver.shift_at(local(BERLIN, "2026-01-06 03:00"))) == (
        "night",
        "A",
        "2026-01-05",
    )
    assert brief(resolver.shift_at(local(BERLIN, "2026-01-05 06:59"))) == (
        "night",
        "C",
        "2026-01-04",
    )
    assert brief(resolver.shift_at(local(BERLIN, "2026-01-05 07:00"))) == ("day", "B", "2026-01-05")


PANAMA_CASES = [
    ("fixed day 0", PANAMA, "2026-01-05", "A", "C"),
    ("fixed day 2", PANAMA, "2026-01-07", "B", "D"),
    ("fixed day 4", PANAMA, "2026-01-09", "A", "C"),
    ("fixed day 7", PANAMA, "2026-01-12", "B", "D"),
    ("fixed day 9", PANAMA, "2026-01-14", "A", "C"),
    ("fixed day 13", PANAMA, "2026-01-18", "B", "D"),
    ("fixed day 14 wraps", PANAMA, "2026-01-19", "A", "C"),
    ("fixed day -1", PANAMA, "2026-01-04", "B", "D"),
    ("rotating day 0", PANAMA_ROTATING, "2026-01-05", "A", "C"),
    ("rotating day 2", PANAMA_ROTATING, "2026-01-07", "B", "D"),
    ("rotating day 14 swaps", PANAMA_ROTATING, "2026-01-19", "C", "A"),
    ("rotating day 16", PANAMA_ROTATING, "2026-01-21", "D", "B"),
    ("rotating day 28 wraps", PANAMA_ROTATING, "2026-02-02", "A", "C"),
]


@pytest.mark.parametrize(
    ("data", "day", "day_crew", "night_crew"),
    [c[1:] for c in PANAMA_CASES],
    ids=[c[0] for c in PANAMA_CASES],
)
def test_panama_crews(data: dict[str, Any], day: str, day_crew: str, night_crew: str) -> None:
    resolver = ShiftResolver(cal(data), CHICAGO)
    assert brief(resolver.shift_at(local(CHICAGO, f"{day} 07:00"))) == ("day", day_crew, day)
    assert brief(resolver.shift_at(local(CHICAGO, f"{day} 19:00"))) == ("night", night_crew, day)


SLOW_CASES = [
    ("4 crews, week 1", SLOW_4_CREW, "2026-01-05", ("A", "B", "C")),
    ("4 crews, week 2", SLOW_4_CREW, "2026-01-12", ("D", "A", "B")),
    ("4 crews, week 4 end", SLOW_4_CREW, "2026-02-01", ("B", "C", "D")),
    ("4 crews, cycle wraps", SLOW_4_CREW, "2026-02-02", ("A", "B", "C")),
    ("5 crews, week 1", SLOW_5_CREW, "2026-01-05", ("A", "B", "C")),
    ("5 crews, week 2", SLOW_5_CREW, "2026-01-12", ("E", "A", "B")),
    ("5 crews, week 3", SLOW_5_CREW, "2026-01-19", ("D", "E", "A")),
    ("5 crews, cycle wraps", SLOW_5_CREW, "2026-02-09", ("A", "B", "C")),
]


@pytest.mark.parametrize(
    ("data", "day", "crews"), [c[1:] for c in SLOW_CASES], ids=[c[0] for c in SLOW_CASES]
)
def test_slow_three_shift_rotations(
    data: dict[str, Any], day: str, crews: tuple[str, str, str]
) -> None:
    resolver = ShiftResolver(cal(data), BERLIN)
    found = tuple(
        resolver.shift_at(local(BERLIN, f"{day} {hhmm}")) for hhmm in ("08:00", "15:00", "23:00")
    )
    assert [(i.name, i.crew) for i in found if i] == list(
        zip(("early", "late", "night"), crews, strict=True)
    )


def test_rotation_holiday_and_exception() -> None:
    data = {
        **DUPONT,
        "holidays": ["2026-12-25"],
        "exceptions": [{"date": "2026-12-24", "shifts": ["day"]}],
    }
    resolver = ShiftResolver(cal(data), BERLIN)
    assert resolver.shift_at(local(BERLIN, "2026-12-25 12:00")) is None
    assert resolver.shift_at(local(BERLIN, "2026-12-24 20:00")) is None
    day = resolver.shift_at(local(BERLIN, "2026-12-24 12:00"))
    assert day is not None
    assert (day.name, day.crew) == ("day", "A")  # day 353 = 12 cycles + day 17: A on days


# -- coverage lint helper ----------------------------------------------------------------------

COMPLETE = [
    ("dupont", DUPONT),
    ("panama", PANAMA),
    ("panama rotating", PANAMA_ROTATING),
    ("slow 4", SLOW_4_CREW),
    ("slow 5", SLOW_5_CREW),
]


@pytest.mark.parametrize("data", [c[1] for c in COMPLETE], ids=[c[0] for c in COMPLETE])
@pytest.mark.parametrize("tz", [BERLIN, CHICAGO], ids=["berlin", "chicago"])
def test_complete_rotations_have_no_gaps_or_overlaps_over_a_year(
    data: dict[str, Any], tz: ZoneInfo
) -> None:
    resolver = ShiftResolver(cal(data), tz)
    assert find_gaps_and_overlaps(resolver, date(2026, 1, 5), date(2027, 1, 4)) == []


def test_lint_finds_a_planted_gap() -> None:
    data = {
        "kind": "weekly",
        "shifts": [
            {"name": "early", "start": "06:00", "end": "14:00"},
            {"name": "late", "start": "15:00", "end": "22:00"},
            {"name": "night", "start": "22:00", "end": "06:00"},
        ],
    }
    resolver = ShiftResolver(cal(data), BERLIN)
    issues = find_gaps_and_overlaps(resolver, date(2026, 3, 11), date(2026, 3, 12))
    (gap,) = issues
    assert gap.kind == "gap"
    assert (gap.start_ms, gap.end_ms) == (
        local(BERLIN, "2026-03-11 14:00"),
        local(BERLIN, "2026-03-11 15:00"),
    )
    assert brief(gap.first) == ("early", None, "2026-03-11")
    assert brief(gap.second) == ("late", None, "2026-03-11")


def test_lint_finds_a_planted_overlap_and_shift_at_picks_the_earlier_start() -> None:
    data = {
        "kind": "weekly",
        "shifts": [
            {"name": "early", "start": "06:00", "end": "14:00"},
            {"name": "late", "start": "14:00", "end": "22:30"},
            {"name": "night", "start": "22:00", "end": "06:00"},
        ],
    }
    resolver = ShiftResolver(cal(data), BERLIN)
    issues = find_gaps_and_overlaps(resolver, date(2026, 3, 11), date(2026, 3, 12))
    (overlap,) = issues
    assert overlap == CoverageIssue(
        "overlap",
        resolver.shift_at(local(BERLIN, "2026-03-11 15:00")),
        resolver.shift_at(local(BERLIN, "2026-03-11 23:00")),
        local(BERLIN, "2026-03-11 22:00"),
        local(BERLIN, "2026-03-11 22:30"),
    )
    assert brief(resolver.shift_at(local(BERLIN, "2026-03-11 22:15"))) == (
        "late",
        None,
        "2026-03-11",
    )


def test_overlap_with_the_same_start_goes_to_the_lower_name() -> None:
    data = {
        "kind": "weekly",
        "shifts": [
            {"name": "b-shift", "start": "06:00", "end": "14:00"},
            {"name": "a-shift", "start": "06:00", "end": "10:00"},
        ],
    }
    resolver = ShiftResolver(cal(data), BERLIN)
    assert brief(resolver.shift_at(local(BERLIN, "2026-03-11 09:00"))) == (
        "a-shift",
        None,
        "2026-03-11",
    )
    assert brief(resolver.shift_at(local(BERLIN, "2026-03-11 10:00"))) == (
        "b-shift",
        None,
        "2026-03-11",
    )


def test_lint_reports_the_weekend_gap_between_named_shifts() -> None:
    resolver = ShiftResolver(cal(THREE_SHIFT), BERLIN)
    issues = find_gaps_and_overlaps(resolver, date(2026, 3, 9), date(2026, 3, 16))
    assert [(i.kind, brief(i.first), brief(i.second)) for i in issues] == [
        ("gap", ("late", None, "2026-03-13"), ("night", None, "2026-03-15")),
    ]
    assert issues[0].start_ms == local(BERLIN, "2026-03-13 22:00")  # no Friday night
    assert issues[0].end_ms == local(BERLIN, "2026-03-15 22:00")


def test_lint_range_edges_with_nothing_covering() -> None:
    data = {
        "kind": "weekly",
        "shifts": [{"name": "day", "start": "08:00", "end": "16:00", "days": "wed"}],
    }
    resolver = ShiftResolver(cal(data), BERLIN)
    issues = find_gaps_and_overlaps(resolver, date(2026, 3, 11), date(2026, 3, 12))
    assert [(i.kind, brief(i.first), brief(i.second)) for i in issues] == [
        ("gap", None, ("day", None, "2026-03-11")),
        ("gap", ("day", None, "2026-03-11"), None),
    ]
    assert issues[0].start_ms == local(BERLIN, "2026-03-11 00:00")
    assert issues[1].end_ms == local(BERLIN, "2026-03-12 00:00")


# -- iteration, cycles, caching ----------------------------------------------------------------


def test_iter_shifts_yields_start_order_over_the_range() -> None:
    resolver = ShiftResolver(cal(DUPONT), BERLIN)
    shifts = list(resolver.iter_shifts(date(2026, 1, 5), date(2026, 1, 7)))
    assert [brief(i) for i in shifts] == [
        ("day", "B", "2026-01-05"),
        ("night", "A", "2026-01-05"),
        ("day", "B", "2026-01-06"),
        ("night", "A", "2026-01-06"),
    ]
    assert [i.start_ms for i in shifts] == sorted(i.start_ms for i in shifts)


@pytest.mark.parametrize(
    ("data", "days"),
    [
        (THREE_SHIFT, 7),
        (DUPONT, 28),
        (PANAMA, 14),
        (PANAMA_ROTATING, 28),
        (SLOW_4_CREW, 28),
        (SLOW_5_CREW, 35),
    ],
    ids=["weekly", "dupont", "panama", "panama rotating", "slow 4", "slow 5"],
)
def test_cycle_days(data: dict[str, Any], days: int) -> None:
    assert cycle_days(cal(data)) == days


def test_repeated_and_out_of_order_instants_agree_with_the_uncached_path() -> None:
    resolver = ShiftResolver(cal(DUPONT), BERLIN, cache_days=3)
    walls = [
        "2026-01-05 12:00",
        "2026-01-05 12:01",
        "2026-02-20 03:00",
        "2026-01-05 12:02",
        "2026-01-06 03:00",
    ]
    for wall in walls * 2:
        ts = local(BERLIN, wall)
        assert resolver.shift_at(ts) == shift_at_uncached(resolver, ts)
    first = resolver.shift_at(local(BERLIN, "2026-01-05 12:00"))
    assert resolver.shift_at(local(BERLIN, "2026-01-05 18:59")) is first  # served from the cache


@pytest.mark.parametrize("ts", [-(2**62), utc("1899-12-31T00:00"), utc("9999-01-01T00:00"), 2**62])
def test_instants_outside_the_supported_years_have_no_shift(ts: int) -> None:
    resolver = ShiftResolver(cal(ALL_WEEK), BERLIN)
    assert resolver.shift_at(ts) is None
    assert shift_at_uncached(resolver, ts) is None


# -- validation --------------------------------------------------------------------------------


def weekly(**shift: Any) -> dict[str, Any]:
    return {
        "kind": "weekly",
        "shifts": [{"name": "early", "start": "06:00", "end": "14:00", **shift}],
    }


def rotation(**changes: Any) -> dict[str, Any]:
    return {**DUPONT, **changes}


BAD_CALENDARS: list[tuple[str, dict[str, Any], tuple[str | int, ...], str]] = [
    ("no kind", {"shifts": []}, (), "needs `kind: weekly` or `kind: rotation`"),
    (
        "unknown kind",
        {"kind": "daily", "shifts": []},
        (),
        "needs `kind: weekly` or `kind: rotation`",
    ),
    (
        "misspelt key",
        {**weekly(), "holiday": []},
        ("weekly", "holiday"),
        "Extra inputs are not permitted",
    ),
    (
        "misspelt shift key",
        weekly(day="mon"),
        ("weekly", "shifts", 0, "day"),
        "Extra inputs are not permitted",
    ),
    ("no shifts", {"kind": "weekly", "shifts": []}, ("weekly", "shifts"), "at least one shift"),
    (
        "single digit hour",
        weekly(start="6:00"),
        ("weekly", "shifts", 0, "start"),
        'time "6:00" is not "HH:MM"',
    ),
    ("hour 25", weekly(end="25:00"), ("weekly", "shifts", 0, "end"), "out of range 00:00..23:59"),
    ("minute 60", weekly(end="13:60"), ("weekly", "shifts", 0, "end"), "out of range"),
    ("24:00", weekly(end="24:00"), ("weekly", "shifts", 0, "end"), 'midnight is "00:00"'),
    ("seconds", weekly(end="14:00:00"), ("weekly", "shifts", 0, "end"), 'is not "HH:MM"'),
    ("yaml 1.1 sexagesimal", weekly(start=360), ("weekly", "shifts", 0, "start"), "quoted"),
    (
        "start equals end",
        weekly(end="06:00"),
        ("weekly", "shifts", 0, "end"),
        "a shift needs a length",
    ),
    (
        "unknown day",
        weekly(days=["mon", "tues"]),
        ("weekly", "shifts", 0, "days"),
        'unknown day "tues"',
    ),
    (
        "unknown day in range",
        weekly(days="mon-fry"),
        ("weekly", "shifts", 0, "days"),
        'unknown day "fry"',
    ),
    (
        "day twice",
        weekly(days="mon-fri, wed"),
        ("weekly", "shifts", 0, "days"),
        '"wed" is listed more than once',
    ),
    ("no days", weekly(days=[]), ("weekly", "shifts", 0, "days"), "days is empty"),
    ("days as number", weekly(days=5), ("weekly", "shifts", 0, "days"), "list of day names"),
    (
        "bad shift name",
        weekly(name="early shift"),
        ("weekly", "shifts", 0, "name"),
        "only letters, digits",
    ),
    (
        "duplicate shift name",
        {
            "kind": "weekly",
            "shifts": [weekly()["shifts"][0], {**weekly()["shifts"][0], "start": "07:00"}],
        },
        ("weekly", "shifts", 1, "name"),
        'shift name "early" is listed twice (first as item 0)',
    ),
    (
        "holiday not a date",
        {**weekly(), "holidays": ["christmas"]},
        ("weekly", "holidays", 0),
        'is not "YYYY-MM-DD"',
    ),
    (
        "holiday impossible",
        {**weekly(), "holidays": ["2026-02-30"]},
        ("weekly", "holidays", 0),
        "does not exist",
    ),
    (
        "holiday with a time",
        {**weekly(), "holidays": [datetime(2026, 12, 25, 6, 0)]},
        ("weekly", "holidays", 0),
        "has a time of day",
    ),
    (
        "holiday twice",
        {**weekly(), "holidays": ["2026-12-25", "2026-12-25"]},
        ("weekly", "holidays", 1),
        "listed twice",
    ),
    (
        "exception names unknown shift",
        {**weekly(), "exceptions": [{"date": "2026-12-24", "shifts": ["late"]}]},
        ("weekly", "exceptions", 0, "shifts", 0),
        'unknown shift "late" (declared: early)',
    ),
    (
        "exception on a holiday",
        {
            **weekly(),
            "holidays": ["2026-12-24"],
            "exceptions": [{"date": "2026-12-24", "shifts": []}],
        },
        ("weekly", "exceptions", 0, "date"),
        "is also a holiday",
    ),
    (
        "exception date twice",
        {
            **weekly(),
            "exceptions": [
                {"date": "2026-12-24", "shifts": []},
                {"date": "2026-12-24", "shifts": []},
            ],
        },
        ("weekly", "exceptions", 1),
        "exception date 2026-12-24 is listed twice",
    ),
    (
        "no anchor",
        {k: v for k, v in DUPONT.items() if k != "anchor"},
        ("rotation", "anchor"),
        "Field required",
    ),
    (
        "anchor not a date",
        rotation(anchor="05.01.2026"),
        ("rotation", "anchor"),
        'is not "YYYY-MM-DD"',
    ),
    (
        "duplicate code",
        rotation(shifts=[TWELVE_HOUR[0], {**TWELVE_HOUR[1], "code": "D"}]),
        ("rotation", "shifts", 1, "code"),
        'shift code "D" is listed twice',
    ),
    (
        "code too long",
        rotation(shifts=[{**TWELVE_HOUR[0], "code": "DA"}, TWELVE_HOUR[1]]),
        ("rotation", "shifts", 0, "code"),
        "exactly one letter or digit",
    ),
    (
        "code is off",
        rotation(shifts=[{**TWELVE_HOUR[0], "code": "-"}, TWELVE_HOUR[1]]),
        ("rotation", "shifts", 0, "code"),
        "reserved for a day off",
    ),
    (
        "undeclared code",
        rotation(pattern="NNNN---DDD-NNN---DDDD---X---"),
        ("rotation", "pattern"),
        '"X" on day 24 of the pattern is not a shift code',
    ),
    ("empty pattern", rotation(pattern="   "), ("rotation", "pattern"), "pattern is empty"),
    (
        "offset past cycle",
        rotation(crews={"A": 0, "B": 28}),
        ("rotation", "crews", "B"),
        "offset 28 is outside the 28-day cycle (0..27)",
    ),
    (
        "negative offset",
        rotation(crews={"A": -1}),
        ("rotation", "crews", "A"),
        "outside the 28-day cycle",
    ),
    (
        "same offset twice",
        rotation(crews={"A": 0, "B": 0}),
        ("rotation", "crews", "B"),
        'crews "A" and "B" both have offset 0',
    ),
    ("no crews", rotation(crews={}), ("rotation", "crews"), "at least one crew"),
    (
        "bad crew name",
        rotation(crews={"crew A": 0}),
        ("rotation", "crews", "crew A"),
        'crew name "crew A"',
    ),
    (
        "crew value not offset or pattern",
        rotation(crews={"A": 1.5}),
        ("rotation", "crews", "A"),
        "day offset into `pattern`",
    ),
    (
        "own pattern beside shared pattern",
        rotation(crews={"A": 0, "B": "DDNN"}),
        ("rotation", "crews", "B"),
        "has its own pattern",
    ),
    (
        "offset without shared pattern",
        {**PANAMA, "crews": {"A": "DD--DDD--DD---", "B": 7}},
        ("rotation", "crews", "B"),
        "no shared `pattern`",
    ),
    (
        "crew patterns of different length",
        {**PANAMA, "crews": {"A": "DD--DDD--DD---", "B": "--DD---DD--DD"}},
        ("rotation", "crews", "B"),
        'crew "B" pattern has 13 days but crew "A" has 14',
    ),
    (
        "undeclared code in crew pattern",
        {**PANAMA, "crews": {"A": "DD--DDD--DD---", "B": "--DD---DD--DDE"}},
        ("rotation", "crews", "B"),
        '"E" on day 13 of the pattern',
    ),
    (
        "rotation exception names unknown shift",
        rotation(exceptions=[{"date": "2026-12-24", "shifts": ["early"]}]),
        ("rotation", "exceptions", 0, "shifts", 0),
        'unknown shift "early" (declared: day, night)',
    ),
]


@pytest.mark.parametrize(
    ("data", "loc", "fragment"), [c[1:] for c in BAD_CALENDARS], ids=[c[0] for c in BAD_CALENDARS]
)
def test_bad_calendars_are_rejected_at_the_right_place(
    data: dict[str, Any], loc: tuple[str | int, ...], fragment: str
) -> None:
    with pytest.raises(ValidationError) as info:
        cal(data)
    errors = [(e["loc"], e["msg"]) for e in info.value.errors()]
    assert any(found_loc == loc and fragment in msg for found_loc, msg in errors), errors


@pytest.mark.parametrize(
    ("data", "loc", "fragment"), [c[1:] for c in BAD_CALENDARS], ids=[c[0] for c in BAD_CALENDARS]
)
def test_parse_calendar_reports_locations_without_the_kind_tag(
    data: dict[str, Any], loc: tuple[str | int, ...], fragment: str
) -> None:
    with pytest.raises(ValidationError) as info:
        parse_calendar(data)
    errors = [(e["loc"], e["msg"]) for e in info.value.errors()]
    # loc[0] is the kind tag in the table; () stays () for a missing or unknown kind
    assert any(found_loc == loc[1:] and fragment in msg for found_loc, msg in errors), errors


def test_parse_calendar_accepts_what_the_adapter_accepts() -> None:
    assert parse_calendar(DUPONT) == cal(DUPONT)
    assert parse_calendar(THREE_SHIFT) == cal(THREE_SHIFT)


def test_every_problem_is_reported_at_once() -> None:
    data = rotation(
        crews={"A": 0, "B": 28, "C": 0, "d d": 1}, holidays=["2026-01-01", "2026-01-01"]
    )
    with pytest.raises(ValidationError) as info:
        cal(data)
    assert sorted(str(e["loc"][-1]) for e in info.value.errors()) == ["1", "B", "C", "d d"]


def test_good_calendars_normalise_their_input() -> None:
    weekly_cal = cal(THREE_SHIFT)
    assert isinstance(weekly_cal, WeeklyCalendar)
    assert weekly_cal.shifts[2].days == ("mon", "tue", "wed", "thu", "sun")
    assert weekly_cal.shifts[0].start == time(6, 0)
    assert weekly_cal.holidays[0] == date(2026, 12, 25)
    rotation_cal = cal(DUPONT)
    assert isinstance(rotation_cal, RotationCalendar)
    assert rotation_cal.pattern == "NNNN---DDD-NNN---DDDD-------"  # whitespace dropped
    assert cal(weekly(days="FRI-mon")).shifts[0].days == ("mon", "fri", "sat", "sun")  # type: ignore[union-attr]
    assert calendar_adapter.dump_python(weekly_cal, mode="json")["shifts"][0]["start"] == "06:00"


def test_calendars_are_frozen() -> None:
    weekly_cal = cal(THREE_SHIFT)
    with pytest.raises(ValidationError, match="frozen"):
        weekly_cal.holidays = ()
