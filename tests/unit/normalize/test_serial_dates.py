"""LabVIEW and Excel / OLE serial dates as named timestamp formats (issue 12).

Reference values are worked out from the date systems' definitions: LabVIEW counts seconds
from 1904-01-01T00:00:00Z (2_082_844_800 s before the Unix epoch); Excel's 1900 date system
and OLE Automation dates count days from 1899-12-30 (25_569 days before the Unix epoch) in
local wall-clock time, so that 1900-03-01 is serial 61 and 2026-03-24 is serial 46_105.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from uns.errors import DecodeError
from uns.normalize.timestamps import compile_timestamp_parser, format_utc_ms

BERLIN = ZoneInfo("Europe/Berlin")
CHICAGO = ZoneInfo("America/Chicago")
NOW_MS = 1_796_083_200_000  # 2026-12-01T00:00:00Z


def parse(fmt: str, raw: object, tz: ZoneInfo = BERLIN) -> str | None:
    ts = compile_timestamp_parser(fmt, tz)(raw, NOW_MS)
    return None if ts is None else format_utc_ms(ts)


LABVIEW = [
    pytest.param(2_082_844_800, None, id="unix-epoch-is-implausible"),
    pytest.param(3_857_155_200, "2026-03-24T00:00:00.000Z", id="int"),
    pytest.param(3_857_155_200.25, "2026-03-24T00:00:00.250Z", id="float"),
    pytest.param(3_857_191_199.999, "2026-03-24T09:59:59.999Z", id="float-ms"),
    pytest.param("3857155200.001", "2026-03-24T00:00:00.001Z", id="decimal-string"),
    pytest.param(" 3857155200 ", "2026-03-24T00:00:00.000Z", id="string-spaces"),
    pytest.param(0, None, id="1904-is-implausible"),
    pytest.param(None, None, id="absent"),
]


@pytest.mark.parametrize(("raw", "expected"), LABVIEW)
def test_labview_reference_values(raw: object, expected: str | None) -> None:
    assert parse("labview", raw) == expected


def test_labview_is_utc_whatever_the_site_zone() -> None:
    assert parse("labview", 3_857_155_200, CHICAGO) == "2026-03-24T00:00:00.000Z"


EXCEL = [
    # 2026-03-24 is a Tuesday in CET (UTC+1): local 10:30 is 09:30Z
    pytest.param(46_105.4375, BERLIN, "2026-03-24T09:30:00.000Z", id="cet"),
    pytest.param(46_105, BERLIN, "2026-03-23T23:00:00.000Z", id="midnight-int"),
    pytest.param("46105.4375", BERLIN, "2026-03-24T09:30:00.000Z", id="string"),
    # ... and in Chicago (CDT, UTC-5) the same wall-clock time is 15:30Z
    pytest.param(46_105.4375, CHICAGO, "2026-03-24T15:30:00.000Z", id="cdt"),
    # summer time in Berlin (CEST, UTC+2): 2026-07-01 12:00 local
    pytest.param(46_204.5, BERLIN, "2026-07-01T10:00:00.000Z", id="cest"),
    # one millisecond past 10:30 as a double carries noise; it is rounded, not truncated
    pytest.param(46_105.4375 + 1 / 86_400_000, BERLIN, "2026-03-24T09:30:00.001Z", id="one-ms"),
    pytest.param(61, BERLIN, None, id="1900-03-01-implausible"),
    pytest.param(-1, BERLIN, None, id="before-the-epoch"),
    pytest.param(1e300, BERLIN, None, id="astronomical"),
    pytest.param("1e40", BERLIN, None, id="astronomical-string"),
]


@pytest.mark.parametrize(("raw", "tz", "expected"), EXCEL)
def test_excel_reference_values(raw: object, tz: ZoneInfo, expected: str | None) -> None:
    assert parse("excel", raw, tz) == expected


@pytest.mark.parametrize("fmt", ["labview", "excel"])
@pytest.mark.parametrize("raw", ["yesterday", True, [1], float("nan"), float("inf"), "NaN"])
def test_garbage_is_bad_timestamp(fmt: str, raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        parse(fmt, raw)
    assert info.value.reason == "bad_timestamp"


def test_unknown_format_names_the_serial_formats() -> None:
    with pytest.raises(ValueError, match=r"excel.*labview"):
        compile_timestamp_parser("lotus123", BERLIN)
