"""Raw timestamps, field paths and quality as the simulator writes them."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from uns.simulator.encoding import iso, set_path, timestamp_writer

TS = int(datetime(2026, 3, 24, 10, 15, 30, 123000, tzinfo=UTC).timestamp() * 1000)


def test_iso_in_utc_with_fraction_digits() -> None:
    assert iso(TS, None, 3) == "2026-03-24T10:15:30.123Z"
    assert iso(TS, None, 7) == "2026-03-24T10:15:30.1230000Z"
    assert iso(TS, None, 0) == "2026-03-24T10:15:30Z"


def test_iso_with_a_local_offset() -> None:
    assert iso(TS, ZoneInfo("Europe/Berlin"), 3) == "2026-03-24T11:15:30.123+01:00"


def test_set_path_creates_objects_on_the_way() -> None:
    doc: dict[str, object] = {}
    set_path(doc, "$.data.value", 4.2)
    set_path(doc, "data.ts", 1)
    set_path(doc, "q", "Good")
    assert doc == {"data": {"value": 4.2, "ts": 1}, "q": "Good"}


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("epoch_ms", TS),
        ("epoch_s", round(TS / 1000, 3)),
        ("epoch_us", TS * 1000),
        ("epoch_ns", TS * 1_000_000),
        ("opcua_ticks", (TS + 11_644_473_600_000) * 10_000),
        ("%Y-%m-%d %H:%M:%S", "2026-03-24 11:15:30"),
    ],
)
def test_timestamp_writer_formats(fmt: str, expected: object) -> None:
    write = timestamp_writer(fmt, ZoneInfo("Europe/Berlin"))
    assert write(TS, random.Random(0)) == expected


def test_iso8601_writer_varies_between_accepted_spellings() -> None:
    write = timestamp_writer("iso8601", ZoneInfo("Europe/Berlin"))
    rng = random.Random(1)
    seen = {write(TS, rng) for _ in range(200)}
    assert seen == {
        "2026-03-24T10:15:30.1230000Z",
        "2026-03-24T10:15:30.123Z",
        "2026-03-24T11:15:30.123+01:00",
    }
