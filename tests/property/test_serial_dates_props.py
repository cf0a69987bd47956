"""LabVIEW and Excel serial dates round-trip against plain datetime arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from uns.normalize.timestamps import compile_timestamp_parser

UNIX = datetime(1970, 1, 1, tzinfo=UTC)
LABVIEW_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
EXCEL_EPOCH = datetime(1899, 12, 30)  # naive: Excel dates are wall-clock
ONE_MS = timedelta(milliseconds=1)
ZONES = [ZoneInfo(name) for name in ("UTC", "Europe/Berlin", "America/Chicago", "Asia/Kolkata")]
NOW_MS = 4_102_444_800_000  # 2100-01-01Z: every generated instant is plausible

# Millisecond instants in the plausibility window (2000..2099).
instants = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)).map(
    lambda dt: dt.replace(microsecond=dt.microsecond // 1000 * 1000)
)


@given(instants)
def test_labview_seconds_round_trip(naive: datetime) -> None:
    instant = naive.replace(tzinfo=UTC)
    ms = (instant - LABVIEW_EPOCH) // ONE_MS
    expected = (instant - UNIX) // ONE_MS
    parse = compile_timestamp_parser("labview", ZoneInfo("Europe/Berlin"))
    assert parse(f"{ms // 1000}.{ms % 1000:03d}", NOW_MS) == expected  # exact text
    assert parse(ms / 1000, NOW_MS) == expected  # a double of seconds
    if ms % 1000 == 0:
        assert parse(ms // 1000, NOW_MS) == expected


@given(instants, st.sampled_from(ZONES))
def test_excel_days_round_trip(local: datetime, zone: ZoneInfo) -> None:
    ms = (local - EXCEL_EPOCH) // ONE_MS
    with localcontext() as ctx:
        ctx.prec = 40
        days = Decimal(ms) / Decimal(86_400_000)
    # The independent answer: the wall-clock time in the zone (fold=0), as UTC.
    expected = (local.replace(tzinfo=zone) - UNIX) // ONE_MS
    parse = compile_timestamp_parser("excel", zone)
    assert parse(str(days), NOW_MS) == expected  # decimal text, as a CSV or OPC bridge writes it
    assert parse(float(days), NOW_MS) == expected  # a double, as Excel stores it
