"""Timestamp parsing: every form we meet in plants, with the expected UTC instant."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Self
from zoneinfo import ZoneInfo

import pytest

from uns.errors import DecodeError
from uns.normalize import timestamps
from uns.normalize.timestamps import compile_timestamp_parser, format_utc_ms

BERLIN = ZoneInfo("Europe/Berlin")
NOW_MS = 1_796_083_200_000  # 2026-12-01T00:00:00Z, fixed for every test
TARGET = "2026-03-29T01:59:59.999Z"  # an instant a few seconds before Berlin's spring change
TARGET_S = 1_774_749_599  # 2026-03-29T01:59:59Z worked out by hand: 20541 days + 7199 s
TICKS_AT_1970 = 116_444_736_000_000_000


def parse(fmt: str | None, raw: object, **window: int) -> str | None:
    ts = compile_timestamp_parser(fmt, BERLIN, **window)(raw, NOW_MS)
    return None if ts is None else format_utc_ms(ts)


def test_now_constant_is_what_it_claims() -> None:
    assert datetime(2026, 12, 1, tzinfo=UTC).timestamp() * 1000 == NOW_MS
    assert datetime(2026, 3, 29, 1, 59, 59, tzinfo=UTC).timestamp() == TARGET_S


# (format, raw, expected UTC) -----------------------------------------------------------
AUTO_AND_EXPLICIT = [
    # epoch seconds
    pytest.param(None, TARGET_S, "2026-03-29T01:59:59.000Z", id="auto-s-int"),
    pytest.param(None, TARGET_S + 0.999, TARGET, id="auto-s-float"),
    pytest.param(None, str(TARGET_S), "2026-03-29T01:59:59.000Z", id="auto-s-str"),
    pytest.param(None, f"{TARGET_S}.999", TARGET, id="auto-s-str-fraction"),
    pytest.param(None, f"  {TARGET_S}\n", "2026-03-29T01:59:59.000Z", id="auto-s-str-spaces"),
    pytest.param(None, "1.774749599999e9", TARGET, id="auto-s-str-exponent"),
    pytest.param("epoch_s", TARGET_S, "2026-03-29T01:59:59.000Z", id="epoch_s-int"),
    pytest.param("epoch_s", TARGET_S + 0.5, "2026-03-29T01:59:59.500Z", id="epoch_s-float"),
    pytest.param("epoch_s", f"{TARGET_S}.9999", TARGET, id="epoch_s-str-truncates"),
    # epoch milliseconds
    pytest.param(None, TARGET_S * 1000 + 999, TARGET, id="auto-ms-int"),
    pytest.param(None, TARGET_S * 1000 + 999.0, TARGET, id="auto-ms-float"),
    pytest.param(None, TARGET_S * 1000 + 999.9, TARGET, id="auto-ms-float-truncates"),
    pytest.param(None, str(TARGET_S * 1000 + 999), TARGET, id="auto-ms-str"),
    pytest.param("epoch_ms", TARGET_S * 1000 + 999, TARGET, id="epoch_ms-int"),
    pytest.param("epoch_ms", f"{TARGET_S * 1000 + 999}", TARGET, id="epoch_ms-str"),
    pytest.param("epoch_ms", float(TARGET_S * 1000 + 999), TARGET, id="epoch_ms-float"),
    # epoch microseconds
    pytest.param(None, TARGET_S * 10**6 + 999_999, TARGET, id="auto-us-int"),
    pytest.param(None, float(TARGET_S * 10**6 + 999_999), TARGET, id="auto-us-float"),
    pytest.param(None, str(TARGET_S * 10**6 + 999_999), TARGET, id="auto-us-str"),
    pytest.param("epoch_us", TARGET_S * 10**6 + 999_000, TARGET, id="epoch_us-int"),
    # epoch nanoseconds
    pytest.param(None, TARGET_S * 10**9 + 999_999_999, TARGET, id="auto-ns-int"),
    pytest.param(None, 1.774749599999e18, TARGET, id="auto-ns-float"),
    pytest.param(None, str(TARGET_S * 10**9 + 999_999_999), TARGET, id="auto-ns-str"),
    pytest.param("epoch_ns", TARGET_S * 10**9 + 999_000_001, TARGET, id="epoch_ns-int"),
    # OPC UA ticks (100 ns since 1601)
    pytest.param(
        None, TICKS_AT_1970 + (TARGET_S * 1000 + 999) * 10_000, TARGET, id="auto-opcua-ticks"
    ),
    pytest.param(
        "opcua_ticks", TICKS_AT_1970 + TARGET_S * 10**7 + 9_999_999, TARGET, id="opcua-ticks"
    ),
    pytest.param(
        "opcua_ticks", str(TICKS_AT_1970 + TARGET_S * 10**7), TARGET[:-5] + ".000Z", id="ticks-str"
    ),
    # ISO-8601 with zone
    pytest.param(None, TARGET, TARGET, id="iso-z-3"),
    pytest.param(None, "2026-03-29T01:59:59Z", "2026-03-29T01:59:59.000Z", id="iso-z-0"),
    pytest.param(None, "2026-03-29T01:59:59.999999Z", TARGET, id="iso-z-6"),
    pytest.param(None, "2026-03-29T01:59:59.9999999Z", TARGET, id="iso-z-7"),
    pytest.param(None, "2026-03-29T01:59:59.12345678Z", "2026-03-29T01:59:59.123Z", id="iso-z-8"),
    pytest.param(None, "2026-03-29T01:59:59.123456789Z", "2026-03-29T01:59:59.123Z", id="iso-z-9"),
    pytest.param(None, "2026-03-29T01:59:59.5Z", "2026-03-29T01:59:59.500Z", id="iso-z-1"),
    pytest.param(None, "2026-03-29T03:59:59.999+02:00", TARGET, id="iso-plus-0200"),
    pytest.param(None, "2026-03-28T20:59:59.999-05:00", TARGET, id="iso-minus-0500"),
    pytest.param(None, "2026-03-29T07:29:59.999+0530", TARGET, id="iso-basic-offset"),
    pytest.param(None, "2026-03-29 01:59:59.999Z", TARGET, id="iso-space-z"),
    pytest.param(None, "2026-03-29 01:59:59.999+00:00", TARGET, id="iso-space-offset"),
    pytest.param(None, f" {TARGET} ", TARGET, id="iso-padded"),
    pytest.param("iso8601", "2026-03-29T03:59:59.999+02:00", TARGET, id="iso-explicit"),
    pytest.param(None, datetime(2026, 3, 29, 1, 59, 59, 999_999, UTC), TARGET, id="datetime"),
    # ISO-8601 naive = Berlin wall clock: CET (+01) in winter, CEST (+02) in summer
    pytest.param(None, "2026-01-15T14:30:00", "2026-01-15T13:30:00.000Z", id="naive-winter"),
    pytest.param(None, "2026-07-15T14:30:00", "2026-07-15T12:30:00.000Z", id="naive-summer"),
    pytest.param(None, "2026-01-15 14:30:00.5", "2026-01-15T13:30:00.500Z", id="naive-sql-1"),
    pytest.param(
        None, "2026-07-15 14:30:00.123456789", "2026-07-15T12:30:00.123Z", id="naive-sql-9"
    ),
    pytest.param(None, "2026-07-15 14:30:00.1234567", "2026-07-15T12:30:00.123Z", id="naive-sql-7"),
    pytest.param(
        "iso8601", "2026-01-15 14:30:00.000", "2026-01-15T13:30:00.000Z", id="naive-explicit"
    ),
    # strptime patterns (naive = Berlin)
    pytest.param(
        "%m/%d/%Y %I:%M:%S %p", "3/29/2026 3:59:59 AM", "2026-03-29T01:59:59.000Z", id="us-am"
    ),
    pytest.param(
        "%m/%d/%Y %I:%M:%S %p", "12/31/2025 11:59:59 PM", "2025-12-31T22:59:59.000Z", id="us-pm"
    ),
    pytest.param(
        "%m/%d/%Y %I:%M:%S %p", "1/1/2026 12:00:00 AM", "2025-12-31T23:00:00.000Z", id="12-am"
    ),
    pytest.param(
        "%m/%d/%Y %I:%M:%S %p", "1/1/2026 12:00:00 pm", "2026-01-01T11:00:00.000Z", id="12-pm"
    ),
    pytest.param(
        "%d.%m.%Y %H:%M:%S", "29.03.2026 03:59:59", "2026-03-29T01:59:59.000Z", id="day-first"
    ),
    pytest.param(
        "%d.%m.%Y %H:%M:%S", "05.01.2026 08:00:00", "2026-01-05T07:00:00.000Z", id="5-jan-not-1-may"
    ),
    pytest.param(
        "%d/%m/%y %H:%M", "29/03/26 03:30", "2026-03-29T01:30:00.000Z", id="two-digit-year"
    ),
    pytest.param(
        "%d %b %Y %H:%M", "29 Mar 2026 03:30", "2026-03-29T01:30:00.000Z", id="month-abbr"
    ),
    pytest.param(
        "%B %d, %Y %H:%M", "March 29, 2026 03:30", "2026-03-29T01:30:00.000Z", id="month-name"
    ),
    pytest.param(
        "%d.%m.%Y %I:%M", "29.03.2026 12:30", "2026-03-28T23:30:00.000Z", id="no-meridiem-is-am"
    ),
    pytest.param("%Y-%m-%dT%H:%M:%S.%f%z", "2026-03-29T01:59:59.999123456Z", TARGET, id="f-9-z"),
    pytest.param(
        "%Y%m%d %H%M%S%z", "20260329 035959+02:00", "2026-03-29T01:59:59.000Z", id="compact-z"
    ),
    pytest.param(
        "%a %d %b %Y %H:%M:%S", "Sun 29 Mar 2026 03:30:00", "2026-03-29T01:30:00.000Z", id="slow"
    ),
]


@pytest.mark.parametrize(("fmt", "raw", "expected"), AUTO_AND_EXPLICIT)
def test_parses_to_expected_utc(fmt: str | None, raw: object, expected: str) -> None:
    assert parse(fmt, raw) == expected


# Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
DST = [
    pytest.param("2026-03-29 01:59:59.999", "2026-03-29T00:59:59.999Z", id="spring-before"),
    pytest.param("2026-03-29 03:00:00", "2026-03-29T01:00:00.000Z", id="spring-after"),
    # 02:30 does not exist; fold=0 reads it with the old offset (+01), i.e. as 03:30 CEST.
    pytest.param("2026-03-29 02:30:00", "2026-03-29T01:30:00.000Z", id="spring-gap"),
    pytest.param("2026-10-25 01:59:59", "2026-10-24T23:59:59.000Z", id="autumn-before"),
    # 02:30 happens twice; fold=0 takes the first one, still on summer time (+02).
    pytest.param("2026-10-25 02:30:00", "2026-10-25T00:30:00.000Z", id="autumn-ambiguous"),
    pytest.param("2026-10-25 03:00:00", "2026-10-25T02:00:00.000Z", id="autumn-after"),
]


@pytest.mark.parametrize(("raw", "expected"), DST)
def test_naive_times_across_dst(raw: str, expected: str) -> None:
    assert parse(None, raw) == expected
    assert parse("%Y-%m-%d %H:%M:%S" + (".%f" if "." in raw else ""), raw) == expected


def test_dst_answers_do_not_depend_on_cache_order() -> None:
    parser = compile_timestamp_parser(None, BERLIN)
    forward = [parser(raw.values[0], NOW_MS) for raw in DST]
    backward = [parser(raw.values[0], NOW_MS) for raw in reversed(DST)]
    assert forward == backward[::-1]


SENTINELS = [
    pytest.param(None, 0, id="zero"),
    pytest.param(None, 0.0, id="zero-float"),
    pytest.param(None, "0", id="zero-str"),
    pytest.param("epoch_ms", 0, id="zero-ms"),
    pytest.param("opcua_ticks", 0, id="opcua-min-ticks"),
    pytest.param("opcua_ticks", 0x7FFF_FFFF_FFFF_FFFF, id="opcua-max-ticks"),
    pytest.param("opcua_ticks", 2_650_467_743_990_000_000, id="opcua-max-datetime"),
    pytest.param(None, 0x7FFF_FFFF_FFFF_FFFF, id="opcua-max-ticks-auto"),
    pytest.param(None, "1601-01-01T00:00:00Z", id="iso-1601"),
    pytest.param(None, "1900-01-01T00:00:00Z", id="iso-1900"),
    pytest.param(None, "1900-01-01 00:00:00", id="naive-1900"),
    pytest.param(None, "1900-01-01", id="date-1900"),
    pytest.param(None, "9999-12-31T23:59:59.999Z", id="iso-9999"),
    pytest.param(None, "9999-12-31 23:59:59", id="naive-9999"),
    pytest.param("%m/%d/%Y %I:%M:%S %p", "1/1/1900 12:00:00 AM", id="pattern-1900"),
    pytest.param(None, None, id="none"),
    pytest.param("epoch_ms", None, id="none-explicit"),
]


@pytest.mark.parametrize(("fmt", "raw"), SENTINELS)
def test_sentinels_mean_no_source_time(fmt: str | None, raw: object) -> None:
    assert parse(fmt, raw) is None


@pytest.mark.parametrize(("fmt", "raw"), SENTINELS)
def test_sentinels_stay_none_with_a_wide_window(fmt: str | None, raw: object) -> None:
    wide = {"not_before_ms": -(10**16), "max_ahead_ms": 10**16}
    assert parse(fmt, raw, **wide) is None


def test_wide_window_accepts_old_but_real_times() -> None:
    assert parse(None, "1995-05-05T00:00:00Z") is None
    wide = parse(None, "1995-05-05T00:00:00Z", not_before_ms=0)
    assert wide == "1995-05-05T00:00:00.000Z"


IMPLAUSIBLE = [
    pytest.param(None, "1999-12-31T23:59:59.999Z", id="before-2000"),
    pytest.param(None, NOW_MS + 86_400_000 + 1, id="beyond-one-day-ahead"),
    pytest.param("epoch_ms", TARGET_S, id="seconds-in-an-ms-field"),
    pytest.param("epoch_s", TARGET_S * 1000, id="ms-in-an-s-field"),
    pytest.param(None, -5, id="negative"),
    pytest.param(None, 50_000_000_000, id="seconds-band-year-3554"),
    pytest.param(None, 10**30, id="huge-int"),
    pytest.param(None, 1e300, id="huge-float"),
    pytest.param(None, "1e400", id="huge-str"),
    pytest.param(None, "2040-01-01T00:00:00Z", id="far-future"),
    pytest.param("%H:%M:%S", "12:00:00", id="pattern-without-date-is-1900"),
]


@pytest.mark.parametrize(("fmt", "raw"), IMPLAUSIBLE)
def test_implausible_is_none(fmt: str | None, raw: object) -> None:
    assert parse(fmt, raw) is None


def test_window_edges_are_inclusive() -> None:
    assert parse(None, "2000-01-01T00:00:00Z") == "2000-01-01T00:00:00.000Z"
    assert parse(None, NOW_MS + 86_400_000) == "2026-12-02T00:00:00.000Z"


GARBAGE = [
    pytest.param(None, "garbage", id="word"),
    pytest.param(None, "", id="empty"),
    pytest.param(None, "   ", id="blank"),
    pytest.param(None, True, id="true"),
    pytest.param(None, False, id="false"),
    pytest.param(None, {}, id="dict"),
    pytest.param(None, [TARGET_S], id="list"),
    pytest.param(None, b"1774749599", id="bytes"),
    pytest.param(None, float("nan"), id="nan"),
    pytest.param(None, float("inf"), id="inf"),
    pytest.param(None, "nan", id="nan-str"),
    pytest.param(None, "1_774_749_599", id="underscores"),
    pytest.param(None, "1774749599,999", id="decimal-comma"),
    pytest.param(None, "2026-13-01T00:00:00Z", id="month-13"),
    pytest.param(None, "2026-02-30T00:00:00Z", id="feb-30"),
    pytest.param(None, "2026-03-29T25:00:00Z", id="hour-25"),
    pytest.param(None, "12:30", id="time-only"),
    pytest.param("epoch_ms", "abc", id="epoch-word"),
    pytest.param("epoch_ms", TARGET, id="epoch-given-iso"),
    pytest.param("epoch_s", True, id="epoch-bool"),
    pytest.param("iso8601", TARGET_S, id="iso-given-int"),
    pytest.param("iso8601", "yesterday", id="iso-word"),
    pytest.param("%d.%m.%Y %H:%M:%S", "2026-03-29 03:59:59", id="pattern-mismatch"),
    pytest.param("%d.%m.%Y %H:%M:%S", "31.02.2026 03:59:59", id="pattern-feb-31"),
    pytest.param("%d.%m.%Y %H:%M:%S", 1774749599, id="pattern-given-int"),
    pytest.param("%d %b %Y", "29 Foo 2026", id="pattern-bad-month"),
    pytest.param("%Y-%m-%d %H:%M%z", "2026-03-29 03:30+99:00", id="pattern-bad-offset"),
    pytest.param("%a %d %b %Y %H:%M:%S", "nonsense", id="slow-mismatch"),
]


@pytest.mark.parametrize(("fmt", "raw"), GARBAGE)
def test_garbage_raises_bad_timestamp(fmt: str | None, raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        parse(fmt, raw)
    assert info.value.reason == "bad_timestamp"


@pytest.mark.parametrize(
    ("fmt", "fragment"),
    [
        pytest.param("epoch_days", "unknown timestamp format", id="unknown-name"),
        pytest.param("%Y-%Q", "unknown directive %Q", id="unknown-directive"),
        pytest.param("%Y-%m-%", "lone '%'", id="lone-percent"),
        pytest.param("%Y %Y", "repeats %Y", id="repeated"),
    ],
)
def test_bad_format_fails_at_compile_time(fmt: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        compile_timestamp_parser(fmt, BERLIN)


@pytest.mark.parametrize(
    ("ts_ms", "expected"),
    [
        pytest.param(0, "1970-01-01T00:00:00.000Z", id="epoch"),
        pytest.param(-1, "1969-12-31T23:59:59.999Z", id="before-epoch"),
        pytest.param(TARGET_S * 1000 + 999, TARGET, id="target"),
        pytest.param(TARGET_S * 1000 + 7, "2026-03-29T01:59:59.007Z", id="zero-padded-ms"),
        pytest.param(946_684_800_000, "2000-01-01T00:00:00.000Z", id="y2k"),
        pytest.param(253_402_300_799_999, "9999-12-31T23:59:59.999Z", id="last-ms"),
    ],
)
def test_format_utc_ms(ts_ms: int, expected: str) -> None:
    assert format_utc_ms(ts_ms) == expected
    assert format_utc_ms(ts_ms) == expected  # second call comes from the prefix cache


def test_format_utc_ms_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside years"):
        format_utc_ms(253_402_300_800_000)


class _StrictFromIsoformat(datetime):
    """A `datetime` whose fromisoformat refuses more than 6 fraction digits, like some 3.11s."""

    @classmethod
    def fromisoformat(cls, text: str) -> Self:
        fraction = text.partition(".")[2]
        if sum(1 for _ in itertools.takewhile(str.isdigit, fraction)) > 6:
            raise ValueError(f"Invalid isoformat string: {text!r}")
        return super().fromisoformat(text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("2026-03-29T01:59:59.9999999Z", TARGET, id="7-digits"),
        pytest.param("2026-03-29T01:59:59.123456789+00:00", "2026-03-29T01:59:59.123Z", id="9"),
        pytest.param("2026-07-15 14:30:00.12345678", "2026-07-15T12:30:00.123Z", id="naive-8"),
    ],
)
def test_long_fractions_work_when_fromisoformat_refuses_them(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: str
) -> None:
    monkeypatch.setattr(timestamps, "datetime", _StrictFromIsoformat)
    with pytest.raises(ValueError, match="Invalid isoformat"):
        _StrictFromIsoformat.fromisoformat(raw)  # the stand-in really refuses
    assert parse(None, raw) == expected
    assert parse("iso8601", raw) == expected
