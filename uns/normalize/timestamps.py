"""Source timestamps: parse whatever a device sends into UTC epoch milliseconds.

`compile_timestamp_parser(fmt, tz)` is called once per binding and returns a parser
`(raw, now_ms) -> ts_ms | None`. `None` means "the source sent no usable time" (no field,
a sentinel or an implausible value); the pipeline then falls back to receive time. Input
that is not a timestamp at all raises `DecodeError("bad_timestamp", ...)`.

Formats (`fmt`):

- `None`: auto-detect (below).
- `"epoch_s"`, `"epoch_ms"`, `"epoch_us"`, `"epoch_ns"`: numbers or numeric strings.
- `"opcua_ticks"`: OPC UA DateTime, 100 ns ticks since 1601-01-01T00:00Z.
- `"iso8601"`: ISO-8601 strings, with an offset, with `Z`, or naive.
- `"labview"`: seconds since 1904-01-01 UTC; `"excel"`: Excel / OLE Automation serial days
  since 1899-12-30, site-local (`uns.normalize.serial_dates`).
- anything containing `%`: a strptime pattern such as `"%m/%d/%Y %I:%M:%S %p"`. The common
  directives (`%Y %y %m %d %H %I %M %S %f %p %z %b %B %%`) are compiled to one regex here
  (`%f` takes 1-9 digits, `%p` and month names are English only); other directives fall
  back to `datetime.strptime`, which is slower and follows the C locale.

Auto-detection:

- Numbers (int, float, numeric strings) are told apart by magnitude. A plausible time
  (2000..2100) is ~1e9 in seconds, ~1e12 in ms, ~1e15 in us, ~1.3e17 in OPC UA ticks and
  ~1e18 in ns, so the bands below never meet inside the plausibility window:

  ==================  ==============  ==========================================
  value v             read as         band edges as dates
  ==================  ==============  ==========================================
  v < 1e11            seconds         1e11 s = year 5138
  1e11 <= v < 1e14    milliseconds    1e11 ms = 1973, 1e14 ms = year 5138
  1e14 <= v < 1e17    microseconds    1e14 us = 1973, 1e17 us = year 5138
  1e17 <= v < 5e17    OPC UA ticks    1e17 ticks = 1917, 5e17 ticks = year 3185
  v >= 5e17           nanoseconds     5e17 ns = 1985
  ==================  ==============  ==========================================

  A value in a band but outside the window (say 5e10 seconds) is implausible, so None.
- Strings that are not numbers are ISO-8601 (`T` or space separator, 0-9 fraction digits,
  `Z`, `+hh:mm`, `+hhmm` or no offset). `datetime` objects are accepted as they are.

Precision: integers and digit strings are exact; sub-millisecond parts are truncated (like
`datetime.isoformat`), never rounded up. Floats are first rounded to the nearest microsecond
(to undo binary noise such as 1711670399.999 -> ...398.99999) and then truncated.

Naive times are wall-clock time in the site's `tz`. Around DST changes we follow PEP 495
`fold=0`, deliberately: an ambiguous time (autumn, 02:30 happens twice in Berlin) is the
*first* occurrence, still on summer time; a non-existent time (spring, 02:30 is skipped)
is read with the offset in force *before* the change, so it lands after the gap (02:30
-> 01:30Z, i.e. 03:30 summer time). A device that sends naive local times across a DST
change cannot be disambiguated; a binding that can should send an offset or UTC.

Sentinels and plausibility: 0, Int64 max (OPC UA max ticks) in any unit, anything on
1601-01-01 (OPC UA min) or 1900-01-01, anything from 9999-12-30 on (9999-12-31), anything
before `not_before_ms` (default 2000-01-01Z) and anything later than `max_ahead_ms`
(default one day) after `now_ms` mean "no source time": None.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Final

from uns.normalize.serial_dates import EXCEL_EPOCH_MS, excel_local_ms, labview_ms
from uns.normalize.strptime import bad_timestamp as _bad
from uns.normalize.strptime import compile_strptime

__all__ = [
    "DEFAULT_MAX_AHEAD_MS",
    "DEFAULT_NOT_BEFORE_MS",
    "EPOCH_FORMATS",
    "TimestampParser",
    "compile_timestamp_parser",
    "format_utc_ms",
]

TimestampParser = Callable[[object, int], int | None]

DEFAULT_NOT_BEFORE_MS: Final = 946_684_800_000  # 2000-01-01T00:00:00Z
DEFAULT_MAX_AHEAD_MS: Final = 86_400_000  # one day of clock skew

_DAY_MS: Final = 86_400_000
_HOUR_MS: Final = 3_600_000
_EPOCH_UTC: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE: Final = datetime(1970, 1, 1)  # naive on purpose: wall-clock math

# OPC UA DateTime: 100 ns ticks since 1601-01-01T00:00Z.
_TICKS_AT_UNIX_EPOCH: Final = 116_444_736_000_000_000
_TICKS_PER_MS: Final = 10_000
_INT64_MAX: Final = 2**63 - 1

# Sentinel days, checked with two days of slack so local-time spellings in any zone match.
_SENTINEL_1601_MS: Final = -11_644_473_600_000
_SENTINEL_1900_MS: Final = -2_208_988_800_000
_SENTINEL_HIGH_MS: Final = 253_402_041_600_000  # 9999-12-30T00:00:00Z and anything later
_SENTINEL_SLACK_MS: Final = 2 * _DAY_MS

# Auto-detection bands (see the module docstring).
_BAND_S: Final = 10**11
_BAND_MS: Final = 10**14
_BAND_US: Final = 10**17
_BAND_TICKS: Final = 5 * 10**17

# Multipliers from one unit to microseconds, used for floats and decimal strings.
_US_PER_UNIT: Final[dict[str, int]] = {"s": 1_000_000, "ms": 1_000, "us": 1}

EPOCH_FORMATS: Final = frozenset({"epoch_s", "epoch_ms", "epoch_us", "epoch_ns", "opcua_ticks"})

_NUMERIC_RX: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_LONG_FRACTION_RX: Final = re.compile(r"([.,]\d{6})\d+")


# --------------------------------------------------------------------------- numbers to ms


def _int_to_ms(value: int, unit: str) -> int | None:
    """Exact integer conversion; sub-millisecond parts are truncated (floored)."""
    if value >= _INT64_MAX:
        return None  # "max" sentinel in any unit (OPC UA max ticks, Int64.MaxValue)
    if unit == "ms":
        return value
    if unit == "s":
        return value * 1000
    if unit == "us":
        return value // 1000
    if unit == "ns":
        return value // 1_000_000
    return (value - _TICKS_AT_UNIX_EPOCH) // _TICKS_PER_MS  # ticks


def _float_to_ms(value: float, unit: str) -> int | None:
    per_us = _US_PER_UNIT.get(unit)
    try:
        if per_us is None:
            # ns and ticks: a double near 1e18 has no sub-microsecond digits left anyway.
            return _int_to_ms(int(value), unit)
        return round(value * per_us) // 1000
    except OverflowError:  # finite but astronomically large: implausible, not garbage
        return None


def _decimal_to_ms(text: str, unit: str, raw: object) -> int | None:
    """Exact conversion of a non-integer numeric string (`"1711670399.999"`, `"1.7e9"`)."""
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise _bad(raw, "not a number") from exc
    if value.adjusted() > 30:  # implausible; also keeps int() from building huge integers
        return None
    per_us = _US_PER_UNIT.get(unit)
    if per_us is None:
        return _int_to_ms(int(value), unit)
    return int(value * per_us) // 1000  # int() truncates: exact input, no rounding up


def _auto_unit(value: float) -> str:
    if value < _BAND_S:
        return "s"
    if value < _BAND_MS:
        return "ms"
    if value < _BAND_US:
        return "us"
    if value < _BAND_TICKS:
        return "ticks"
    return "ns"


def _number_to_ms(raw: object, unit: str | None) -> int | None:
    """Convert an int, float or numeric string in `unit` (None: by magnitude) to ms."""
    if type(raw) is int:
        return _int_to_ms(raw, unit or _auto_unit(raw))
    if type(raw) is float:
        if not math.isfinite(raw):
            raise _bad(raw, "not a finite number")
        return _float_to_ms(raw, unit or _auto_unit(raw))
    if isinstance(raw, str):
        text = raw.strip()
        if text.isascii() and text.isdigit():
            value = int(text)
            return _int_to_ms(value, unit or _auto_unit(value))
        if _NUMERIC_RX.fullmatch(text) is None:
            raise _bad(raw, "not a number")
        return _decimal_to_ms(text, unit or _auto_unit(float(text)), raw)
    if isinstance(raw, bool):
        raise _bad(raw, "a boolean is not a time")
    if isinstance(raw, int):  # int subclasses other than bool (IntEnum, numpy ints cast)
        return _number_to_ms(int(raw), unit)
    if isinstance(raw, float):
        return _number_to_ms(float(raw), unit)
    raise _bad(raw, f"expected a number, got {type(raw).__name__}")


# --------------------------------------------------------------------------- local time


class _LocalClock:
    """Naive wall-clock ms in one zone -> UTC ms, with a per-hour offset cache.

    `ZoneInfo.utcoffset` plus datetime arithmetic costs a few microseconds per call; the
    offset is constant for a whole local hour except in the hour of a DST change, so cache
    it per hour when the offset at the start and at the end of the hour agree.
    """

    __slots__ = ("_cache", "_tz")

    _MAX_ENTRIES: Final = 8192  # about a year of distinct hours

    def __init__(self, tz: tzinfo) -> None:
        self._tz = tz
        self._cache: dict[int, int] = {}

    def _offset_ms(self, local: datetime) -> int:
        off = self._tz.utcoffset(local)  # naive `local` = wall time with fold=0
        if off is None:
            return 0
        return off.days * _DAY_MS + off.seconds * 1000 + off.microseconds // 1000

    def to_utc_ms(self, local_ms: int) -> int:
        hour = local_ms // _HOUR_MS
        offset = self._cache.get(hour)
        if offset is None:
            offset = self._offset_ms(_EPOCH_NAIVE + timedelta(milliseconds=local_ms))
            try:
                start = _EPOCH_NAIVE + timedelta(milliseconds=hour * _HOUR_MS)
                end = start + timedelta(milliseconds=_HOUR_MS - 1)
            except OverflowError:  # the last hour of year 9999: not worth caching
                return local_ms - offset
            if self._offset_ms(start) == self._offset_ms(end) == offset:
                if len(self._cache) >= self._MAX_ENTRIES:
                    self._cache.clear()
                self._cache[hour] = offset
        return local_ms - offset

    def datetime_to_ms(self, dt: datetime) -> int:
        if dt.tzinfo is None:
            td = dt - _EPOCH_NAIVE
            local_ms = td.days * _DAY_MS + td.seconds * 1000 + td.microseconds // 1000
            return self.to_utc_ms(local_ms)
        td = dt - _EPOCH_UTC
        return td.days * _DAY_MS + td.seconds * 1000 + td.microseconds // 1000


# --------------------------------------------------------------------------- ISO-8601


def _parse_iso(text: str, raw: object) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    # Some 3.11 builds reject more than 6 fraction digits: keep 6 (truncation) and retry.
    trimmed = _LONG_FRACTION_RX.sub(r"\1", text, count=1)
    if trimmed != text:
        try:
            return datetime.fromisoformat(trimmed)
        except ValueError:
            pass
    raise _bad(raw, "not an ISO-8601 time")


# --------------------------------------------------------------------------- compile


def compile_timestamp_parser(
    fmt: str | None,
    tz: tzinfo,
    *,
    not_before_ms: int = DEFAULT_NOT_BEFORE_MS,
    max_ahead_ms: int = DEFAULT_MAX_AHEAD_MS,
) -> TimestampParser:
    """Build a parser `(raw, now_ms) -> ts_ms | None` for one binding.

    `tz` is the site's zone for naive times. Times before `not_before_ms` or later than
    `now_ms + max_ahead_ms`, and sentinels, give None. Garbage raises
    `DecodeError("bad_timestamp")`. A bad `fmt` raises ValueError here, at setup.
    """
    clock = _LocalClock(tz)
    # The low sentinels (0, 1601, 1900) only need a look when the window reaches them.
    check_low = not_before_ms <= _SENTINEL_SLACK_MS

    def finish(ts: int | None, now_ms: int) -> int | None:
        if ts is None or ts < not_before_ms or ts > now_ms + max_ahead_ms:
            return None
        if ts >= _SENTINEL_HIGH_MS:
            return None
        if check_low and (
            ts == 0
            or abs(ts - _SENTINEL_1601_MS) < _SENTINEL_SLACK_MS
            or abs(ts - _SENTINEL_1900_MS) < _SENTINEL_SLACK_MS
        ):
            return None
        return ts

    if fmt is None:
        return _compile_auto(clock, finish, not_before_ms, max_ahead_ms)
    if fmt in EPOCH_FORMATS:
        unit = "ticks" if fmt == "opcua_ticks" else fmt.removeprefix("epoch_")

        def parse_epoch(raw: object, now_ms: int) -> int | None:
            if raw is None:
                return None
            return finish(_number_to_ms(raw, unit), now_ms)

        return parse_epoch
    if fmt in ("labview", "excel"):
        return _compile_serial(fmt, clock, finish)
    if fmt == "iso8601":

        def parse_iso(raw: object, now_ms: int) -> int | None:
            if raw is None:
                return None
            if isinstance(raw, str):
                return finish(clock.datetime_to_ms(_parse_iso(raw.strip(), raw)), now_ms)
            if isinstance(raw, datetime):
                return finish(clock.datetime_to_ms(raw), now_ms)
            raise _bad(raw, f"expected an ISO-8601 string, got {type(raw).__name__}")

        return parse_iso
    if "%" in fmt:
        to_datetime = compile_strptime(fmt)

        def parse_pattern(raw: object, now_ms: int) -> int | None:
            if raw is None:
                return None
            if not isinstance(raw, str):
                raise _bad(raw, f"expected a string for {fmt!r}, got {type(raw).__name__}")
            return finish(clock.datetime_to_ms(to_datetime(raw.strip(), raw)), now_ms)

        return parse_pattern
    known = ", ".join(sorted(EPOCH_FORMATS | {"iso8601", "labview", "excel"}))
    raise ValueError(f"unknown timestamp format {fmt!r}: use {known} or a strptime pattern")


def _compile_serial(
    fmt: str, clock: _LocalClock, finish: Callable[[int | None, int], int | None]
) -> TimestampParser:
    if fmt == "labview":

        def parse_labview(raw: object, now_ms: int) -> int | None:
            return None if raw is None else finish(labview_ms(raw), now_ms)

        return parse_labview

    def parse_excel(raw: object, now_ms: int) -> int | None:
        if raw is None:
            return None
        local = excel_local_ms(raw)
        # Excel has no dates before its epoch; beyond year 9999 is a sentinel: no source time.
        if local is None or not EXCEL_EPOCH_MS <= local < _SENTINEL_HIGH_MS:
            return None
        return finish(clock.to_utc_ms(local), now_ms)

    return parse_excel


def _compile_auto(
    clock: _LocalClock,
    finish: Callable[[int | None, int], int | None],
    not_before_ms: int,
    max_ahead_ms: int,
) -> TimestampParser:
    fromisoformat = datetime.fromisoformat
    # Above this and below the high sentinel no sentinel can match: only the window counts.
    fast_low = max(not_before_ms, _SENTINEL_SLACK_MS + 1)

    def parse_auto(raw: object, now_ms: int) -> int | None:
        if type(raw) is int:
            if _BAND_S <= raw < _BAND_MS:
                # Hot path, epoch ms from a JSON number: no sentinel lies in this band.
                return raw if not_before_ms <= raw <= now_ms + max_ahead_ms else None
            return finish(_number_to_ms(raw, None), now_ms)
        if type(raw) is str:
            text = raw.strip()
            # Extended ISO dates have '-' at index 4; no numeric spelling does.
            if len(text) > 4 and text[4] == "-":
                try:
                    dt = fromisoformat(text)
                except ValueError:
                    dt = _parse_iso(text, raw)
                if dt.tzinfo is None:
                    ts = clock.datetime_to_ms(dt)
                else:  # inlined: fromisoformat only makes fixed offsets
                    td = dt - _EPOCH_UTC
                    ts = td.days * _DAY_MS + td.seconds * 1000 + td.microseconds // 1000
                if fast_low <= ts <= now_ms + max_ahead_ms and ts < _SENTINEL_HIGH_MS:
                    return ts
                return finish(ts, now_ms)
            if (text.isascii() and text.isdigit()) or _NUMERIC_RX.fullmatch(text):
                return finish(_number_to_ms(text, None), now_ms)
            if not text:
                raise _bad(raw, "empty string")
            return finish(clock.datetime_to_ms(_parse_iso(text, raw)), now_ms)
        if type(raw) is float:
            return finish(_number_to_ms(raw, None), now_ms)
        if raw is None:
            return None
        if isinstance(raw, datetime):
            return finish(clock.datetime_to_ms(raw), now_ms)
        return finish(_number_to_ms(raw, None), now_ms)  # raises for non-numbers

    return parse_auto


# --------------------------------------------------------------------------- formatting

_PREFIX_CACHE: dict[int, str] = {}  # epoch second -> "YYYY-MM-DDTHH:MM:SS"
_PREFIX_CACHE_MAX: Final = 4096
_DATE_CACHE: dict[int, str] = {}  # epoch day -> "YYYY-MM-DD"
_DATE_CACHE_MAX: Final = 4096
_EPOCH_DATE: Final = date(1970, 1, 1)
_HOURS: Final = tuple(f"T{hour:02d}:" for hour in range(24))
_MINUTES_SECONDS: Final = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))
_MS_SUFFIX: Final = tuple(f".{ms:03d}Z" for ms in range(1000))


def _second_prefix(sec: int) -> str:
    day, in_day = divmod(sec, 86_400)
    day_text = _DATE_CACHE.get(day)
    if day_text is None:
        try:
            day_text = (_EPOCH_DATE + timedelta(days=day)).isoformat()
        except OverflowError:
            raise ValueError(f"epoch second {sec} is outside years 1..9999") from None
        if len(_DATE_CACHE) >= _DATE_CACHE_MAX:
            _DATE_CACHE.clear()
        _DATE_CACHE[day] = day_text
    hour, minute_second = divmod(in_day, 3600)
    prefix = day_text + _HOURS[hour] + _MINUTES_SECONDS[minute_second]
    if len(_PREFIX_CACHE) >= _PREFIX_CACHE_MAX:
        _PREFIX_CACHE.clear()
    _PREFIX_CACHE[sec] = prefix
    return prefix


def format_utc_ms(ts_ms: int) -> str:
    """`ts_ms` as UTC ISO-8601 with exactly 3 fraction digits and `Z`.

    Per message this is one dict lookup and one concat: the `YYYY-MM-DDTHH:MM:SS` prefix
    is cached per second (consecutive messages fall in the same few seconds), and a new
    second is built from a per-day date cache and precomputed `HH:` / `MM:SS` tables.
    Years outside 1..9999 raise ValueError.
    """
    sec = ts_ms // 1000
    prefix = _PREFIX_CACHE.get(sec)
    if prefix is None:
        prefix = _second_prefix(sec)
    return prefix + _MS_SUFFIX[ts_ms - sec * 1000]
