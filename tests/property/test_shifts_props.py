"""Properties of the shift resolver and of the calendar parsers (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.shift_oracle import shift_at_uncached
from uns.context.shifts import ShiftResolver
from uns.model.calendars import WeeklyShift, calendar_adapter

DAY_MS = 86_400_000
YEAR_2026 = (
    int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000),
    int(datetime(2027, 1, 1, tzinfo=UTC).timestamp() * 1000),
)

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
PANAMA = {
    "kind": "rotation",
    "anchor": "2026-01-05",
    "shifts": TWELVE_HOUR,
    "crews": {
        "A": "DD--DDD--DD---",
        "B": "--DD---DD--DDD",
        "C": "NN--NNN--NN---",
        "D": "--NN---NN--NNN",
    },
}
# Gaps, an overlap, a shift starting in the small hours, holidays and exceptions: every branch.
MESSY_WEEKLY = {
    "kind": "weekly",
    "shifts": [
        {"name": "early", "start": "06:00", "end": "14:00", "days": "mon-fri"},
        {"name": "late", "start": "14:00", "end": "22:30", "days": "mon-fri"},
        {"name": "night", "start": "22:00", "end": "06:00", "days": "sun-thu"},
        {"name": "maint", "start": "00:00", "end": "02:30", "days": "sat"},
        {"name": "odd", "start": "02:30", "end": "01:00", "days": "sun"},
    ],
    "holidays": ["2011-12-30", "2026-12-25"],
    "exceptions": [{"date": "2026-12-24", "shifts": ["early"]}],
}

COMPLETE: dict[str, dict[str, Any]] = {"dupont": DUPONT, "panama": PANAMA}
# DST in both hemispheres, a 30-minute DST, changes at midnight, a skipped day (Apia 2011-12-30).
ZONES = [
    "Europe/Berlin",
    "America/Chicago",
    "Australia/Lord_Howe",
    "America/Havana",
    "America/Santiago",
    "Pacific/Apia",
    "Asia/Kathmandu",
]


def _resolver(data: dict[str, Any], zone: str) -> ShiftResolver:
    return ShiftResolver(calendar_adapter.validate_python(data), ZoneInfo(zone), cache_days=3)


def _offset_changes(zone: str, first_year: int, last_year: int) -> list[int]:
    """Epoch ms of the hours in which `zone` changes its UTC offset (hourly scan)."""
    tz = ZoneInfo(zone)
    start = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp())
    changes, before = [], datetime.fromtimestamp(start, tz).utcoffset()
    for s in range(start, end, 3600):
        now = datetime.fromtimestamp(s, tz).utcoffset()
        if now != before:
            changes.append(s * 1000)
        before = now
    return changes


CHANGES = {
    zone: _offset_changes(zone, 2011, 2011) + _offset_changes(zone, 2026, 2026) for zone in ZONES
}


def near_a_change(zone: str) -> st.SearchStrategy[int]:
    """Instants within a day of one of the zone's offset changes, where DST bugs live."""
    changes = CHANGES[zone]
    assert changes or zone == "Asia/Kathmandu"
    if not changes:
        return st.integers(*YEAR_2026)
    return st.sampled_from(changes).flatmap(lambda t: st.integers(t - DAY_MS, t + DAY_MS))


# Shared across examples so the caches carry state from one example into the next.
RESOLVERS = {
    (name, zone): _resolver(data, zone)
    for name, data in {**COMPLETE, "messy": MESSY_WEEKLY}.items()
    for zone in ZONES
}


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("name", sorted(COMPLETE))
@settings(max_examples=50, deadline=None)
@given(ts=st.integers(*YEAR_2026))
def test_complete_rotation_has_exactly_one_shift_at_every_instant(
    name: str, zone: str, ts: int
) -> None:
    resolver = RESOLVERS[(name, zone)]
    day = datetime.fromtimestamp(ts / 1000, ZoneInfo(zone)).date()
    covering = [
        inst
        for inst in resolver.iter_shifts(day - timedelta(days=2), day + timedelta(days=2))
        if inst.start_ms <= ts < inst.end_ms
    ]
    assert len(covering) == 1
    assert resolver.shift_at(ts) == covering[0]


def instants(zone: str) -> st.SearchStrategy[list[int]]:
    """Bursts of nearby instants (cache hits) and jumps (misses, LRU evictions, old days)."""
    base = st.one_of(
        st.integers(*YEAR_2026),
        st.integers(1_293_840_000_000, 1_900_000_000_000),  # 2011 .. 2030
        near_a_change(zone),
    )
    burst = base.flatmap(
        lambda b: st.lists(st.integers(-DAY_MS, DAY_MS).map(lambda d: b + d), max_size=8)
    )
    return st.lists(burst, min_size=1, max_size=8).map(lambda bs: [ts for b in bs for ts in b])


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("name", ["dupont", "panama", "messy"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_cached_and_uncached_paths_agree(name: str, zone: str, data: st.DataObject) -> None:
    stream = data.draw(instants(zone))
    resolver = RESOLVERS[(name, zone)]
    for ts in stream:
        found = resolver.shift_at(ts)
        assert found == shift_at_uncached(resolver, ts)
        assert found is None or found.start_ms <= ts < found.end_ms


@settings(max_examples=200, deadline=None)
@given(ts=st.integers(-(2**63), 2**63))
def test_shift_at_never_raises(ts: int) -> None:
    found = RESOLVERS[("messy", "Europe/Berlin")].shift_at(ts)
    assert found is None or found.start_ms <= ts < found.end_ms


# -- parsers -----------------------------------------------------------------------------------


def _shift(**fields: object) -> WeeklyShift:
    return WeeklyShift.model_validate({"name": "s", "start": "06:00", "end": "14:00", **fields})


@given(st.one_of(st.text(max_size=8), st.integers(), st.none(), st.floats()))
def test_time_parser_fails_only_with_validation_error(raw: object) -> None:
    try:
        shift = _shift(end=raw)
    except ValidationError:
        return
    assert isinstance(raw, str)
    assert f"{shift.end:%H:%M}" == raw.strip()


@given(st.integers(0, 23), st.integers(0, 59))
def test_time_round_trip(hour: int, minute: int) -> None:
    text = f"{hour:02d}:{minute:02d}"
    if text == "06:00":  # equal to the start: rejected, tested in the unit table
        return
    dumped = calendar_adapter.dump_python(
        calendar_adapter.validate_python(
            {"kind": "weekly", "shifts": [{"name": "s", "start": "06:00", "end": text}]}
        ),
        mode="json",
    )
    assert dumped["shifts"][0]["end"] == text


DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@given(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True), st.booleans())
def test_day_lists_parse_to_week_order(days: list[str], as_string: bool) -> None:
    shift = _shift(days=", ".join(days) if as_string else days)
    assert list(shift.days) == sorted(days, key=DAYS.index)


@given(st.sampled_from(DAYS), st.sampled_from(DAYS))
def test_day_ranges_wrap_round_the_week(first: str, last: str) -> None:
    shift = _shift(days=f"{first}-{last}")
    length = (DAYS.index(last) - DAYS.index(first)) % 7 + 1
    assert len(shift.days) == length
    assert first in shift.days
    assert last in shift.days


@given(st.one_of(st.text(max_size=12), st.dates().map(date.isoformat), st.integers()))
def test_dates_fail_only_with_validation_error(raw: object) -> None:
    data = {
        "kind": "weekly",
        "shifts": [{"name": "s", "start": "06:00", "end": "14:00"}],
        "holidays": [raw],
    }
    try:
        parsed = calendar_adapter.validate_python(data)
    except ValidationError:
        return
    assert parsed.holidays[0].isoformat() == str(raw).strip()
