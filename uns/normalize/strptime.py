"""strptime patterns (`timestamp_format: "%m/%d/%Y %I:%M:%S %p"`) compiled to one regex.

The common directives (`%Y %y %m %d %H %I %M %S %f %p %z %b %B %%`) become named groups
resolved once per pattern; any other directive falls back to `datetime.strptime` (slower,
C locale). Used by `uns.normalize.timestamps`; absent fields default as in strptime.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Final

from uns.errors import DecodeError, excerpt


def bad_timestamp(raw: object, why: str) -> DecodeError:
    """The DecodeError for a raw timestamp that is not a time (shortened in the detail)."""
    return DecodeError("bad_timestamp", f"{why}: {excerpt(raw)}")


_MONTHS: Final = (
    *("january", "february", "march", "april", "may", "june"),
    *("july", "august", "september", "october", "november", "december"),
)
_MONTH_BY_NAME: Final = {name: i for i, name in enumerate(_MONTHS, 1)} | {
    name[:3]: i for i, name in enumerate(_MONTHS, 1)
}
_DIRECTIVES: Final[dict[str, str]] = {
    "Y": r"(?P<Y>\d{4})",
    "y": r"(?P<y>\d{2})",
    "m": r"(?P<m>1[0-2]|0?[1-9])",
    "d": r"(?P<d>3[01]|[12]\d|0?[1-9])",
    "H": r"(?P<H>2[0-3]|[01]?\d)",
    "I": r"(?P<I>1[0-2]|0?[1-9])",
    "M": r"(?P<M>[0-5]?\d)",
    "S": r"(?P<S>[0-5]?\d)",
    "f": r"(?P<f>\d{1,9})",
    "p": r"(?P<p>[AaPp]\.?[Mm]\.?)",
    "z": r"(?P<z>[Zz]|[+-]\d{2}(?::?\d{2})?)",
    "b": r"(?P<b>[A-Za-z]{3})",
    "h": r"(?P<b>[A-Za-z]{3})",
    "B": r"(?P<B>[A-Za-z]{3,9})",
}
# Directives datetime.strptime knows; those not in _DIRECTIVES use it as a slow fallback.
_STRPTIME_DIRECTIVES: Final = frozenset("aAbBcdfGhHIjmMpSuUVwWxXyYzZ%")


def _translate_strptime(fmt: str) -> re.Pattern[str] | None:
    """Regex for `fmt`, or None when it needs a directive only `strptime` handles."""
    parts: list[str] = []
    seen: set[str] = set()
    fast = True
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%":
            if i + 1 >= len(fmt):
                raise ValueError(f"timestamp format {fmt!r} ends with a lone '%'")
            code = fmt[i + 1]
            if code not in _STRPTIME_DIRECTIVES:
                raise ValueError(f"timestamp format {fmt!r} has unknown directive %{code}")
            if code == "%":
                parts.append("%")
            elif code in _DIRECTIVES:
                group = "b" if code == "h" else code
                if group in seen:
                    raise ValueError(f"timestamp format {fmt!r} repeats %{code}")
                seen.add(group)
                parts.append(_DIRECTIVES[code])
            else:
                fast = False
            i += 2
        elif ch.isspace():
            while i < len(fmt) and fmt[i].isspace():
                i += 1
            parts.append(r"\s+")  # strptime also matches any run of whitespace
        else:
            parts.append(re.escape(ch))
            i += 1
    return re.compile("".join(parts)) if fast else None


def _offset(zone: str, raw: object) -> tzinfo:
    if zone in "Zz":
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:]) if len(digits) > 2 else 0)
    if minutes == 0:
        return UTC
    try:
        return timezone(timedelta(minutes=sign * minutes))
    except ValueError as exc:
        raise bad_timestamp(raw, "offset out of range") from exc


def _compile_fields(rx: re.Pattern[str]) -> Callable[[re.Match[str], object], datetime]:
    """Match -> datetime, with every group position resolved here rather than per call.

    Absent fields default as in strptime (1900-01-01 00:00:00); naive unless `%z`.
    """
    at = {name: number - 1 for name, number in rx.groupindex.items()}  # index in .groups()
    year4, year2, month_num, day_num = (at.get(k, -1) for k in "Yymd")
    hour24, hour12, meridiem, minute_num, second_num = (at.get(k, -1) for k in "HIpMS")
    fraction, zone = at.get("f", -1), at.get("z", -1)
    month_name = at.get("b", at.get("B", -1))

    def assemble(match: re.Match[str], raw: object) -> datetime:
        g = match.groups()
        if year4 >= 0:
            year = int(g[year4])
        elif year2 >= 0:
            short = int(g[year2])
            year = short + (2000 if short < 69 else 1900)  # the POSIX pivot strptime uses
        else:
            year = 1900  # strptime's default; implausible, so the parser returns None
        if month_num >= 0:
            month = int(g[month_num])
        elif month_name >= 0:
            month = _MONTH_BY_NAME.get(g[month_name].lower(), 0)
            if not month:
                raise bad_timestamp(raw, f"unknown month name {g[month_name]!r}")
        else:
            month = 1
        if hour12 >= 0:
            hour = int(g[hour12]) % 12  # 12 AM is 00, 12 PM is 12; no %p reads as AM
            if meridiem >= 0 and g[meridiem][0] in "Pp":
                hour += 12
        else:
            hour = int(g[hour24]) if hour24 >= 0 else 0
        try:
            return datetime(
                year,
                month,
                int(g[day_num]) if day_num >= 0 else 1,
                hour,
                int(g[minute_num]) if minute_num >= 0 else 0,
                int(g[second_num]) if second_num >= 0 else 0,
                int(g[fraction][:6].ljust(6, "0")) if fraction >= 0 else 0,
                _offset(g[zone], raw) if zone >= 0 else None,
            )
        except ValueError as exc:  # 31 February and friends
            raise bad_timestamp(raw, str(exc)) from exc

    return assemble


def compile_strptime(fmt: str) -> Callable[[str, object], datetime]:
    """`(text, raw) -> datetime` for a strptime pattern; naive unless it has `%z`.

    Bad patterns raise ValueError; text that does not match raises `bad_timestamp`.
    """
    rx = _translate_strptime(fmt)
    if rx is None:

        def slow(text: str, raw: object) -> datetime:
            try:
                return datetime.strptime(text, fmt)  # naive means site-local
            except ValueError as exc:
                raise bad_timestamp(raw, f"does not match {fmt!r}") from exc

        return slow

    assemble = _compile_fields(rx)

    def fast(text: str, raw: object) -> datetime:
        match = rx.fullmatch(text)
        if match is None:
            raise bad_timestamp(raw, f"does not match {fmt!r}")
        return assemble(match, raw)

    return fast
