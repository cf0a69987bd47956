"""The scalar pieces of a shift calendar: day names, "HH:MM" times, dates, names, patterns,
and reporting cross-field problems at their own place (see `uns.model.calendars`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError
from pydantic_core import InitErrorDetails

DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Index = datetime.date.weekday(): Monday is 0.
DAY_NAMES: tuple[DayName, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OFF = "-"
"""The pattern character for a day off."""

_TIME_RX = re.compile(r"(\d{2}):(\d{2})")
_DATE_RX = re.compile(r"\d{4}-\d{2}-\d{2}")
_NAME_RX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CODE_RX = re.compile(r"[A-Za-z0-9]")
_DAY_INDEX: dict[str, int] = {name: i for i, name in enumerate(DAY_NAMES)}
MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True)

Loc = tuple[str | int, ...]


# -- scalar parsers (BeforeValidators: they see the raw YAML value) ---------------------------


def parse_time(value: object) -> time:
    """A local time of day written "HH:MM" (24-hour clock)."""
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 parsers read an unquoted 06:00 as the base-60 number 360.
        raise ValueError(f'time {value} is a number; write it as a quoted "HH:MM" string')
    if not isinstance(value, str):
        raise ValueError(f'time must be a "HH:MM" string, not {type(value).__name__}')
    m = _TIME_RX.fullmatch(value.strip())
    if m is None:
        raise ValueError(
            f'time "{value}" is not "HH:MM" (two-digit hour and minute, 24-hour clock)'
        )
    hour, minute = int(m[1]), int(m[2])
    if hour == 24 and minute == 0:
        raise ValueError('time "24:00" does not exist; midnight is "00:00"')
    if hour > 23 or minute > 59:
        raise ValueError(f'time "{value}" is out of range 00:00..23:59')
    return time(hour, minute)


def parse_date(value: object) -> date:
    """A local calendar date written "YYYY-MM-DD" (YAML may already have made it a date)."""
    if isinstance(value, datetime):  # a datetime is a date subclass: reject it explicitly
        raise ValueError(f'"{value}" has a time of day; write the date only, as "YYYY-MM-DD"')
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or _DATE_RX.fullmatch(value.strip()) is None:
        raise ValueError(f'date "{value}" is not "YYYY-MM-DD"')
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f'date "{value}" does not exist: {exc}') from None


def _parse_day(token: str) -> int:
    index = _DAY_INDEX.get(token.strip().lower())
    if index is None:
        raise ValueError(f'unknown day "{token.strip()}"; use {", ".join(DAY_NAMES)}')
    return index


def parse_days(value: object) -> tuple[DayName, ...]:
    """Day names and ranges ("mon-fri", "fri-mon" wraps) as a list or one comma-separated string.

    Returns the days in week order; a day named twice (directly or through ranges) is an error
    because it is almost always a typo for another day.
    """
    if isinstance(value, str):
        tokens = value.split(",")
    elif isinstance(value, list | tuple) and all(isinstance(t, str) for t in value):
        tokens = list(value)
    else:
        raise ValueError('days must be a list of day names or ranges, like [mon, wed] or "mon-fri"')
    if not any(t.strip() for t in tokens):
        raise ValueError("days is empty; list at least one day or remove the shift")
    seen: list[int] = []
    for token in tokens:
        first, sep, last = token.partition("-")
        if sep:
            lo, hi = _parse_day(first), _parse_day(last)
            span = [(lo + k) % 7 for k in range((hi - lo) % 7 + 1)]
        else:
            span = [_parse_day(token)]
        for day in span:
            if day in seen:
                raise ValueError(f'day "{DAY_NAMES[day]}" is listed more than once')
            seen.append(day)
    return tuple(DAY_NAMES[d] for d in sorted(seen))


def name_error(value: str, what: str) -> str | None:
    if _NAME_RX.fullmatch(value) is None:
        return (
            f'{what} "{value}" must start with a letter or digit and contain only letters, '
            "digits, '.', '_' and '-' (at most 64 characters)"
        )
    return None


def check_name(value: str, what: str) -> str:
    if (error := name_error(value, what)) is not None:
        raise ValueError(error)
    return value


def parse_pattern(value: object) -> str:
    """A rotation pattern; whitespace only groups days for reading and is dropped."""
    if not isinstance(value, str):
        raise ValueError(f'a pattern must be a string like "DDNN--", not {type(value).__name__}')
    compact = "".join(value.split())
    if not compact:
        raise ValueError("pattern is empty; write one character per day of the cycle")
    return compact


def crew_value(value: object) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return parse_pattern(value)
    raise ValueError(
        "a crew is given a day offset into `pattern` (an integer) or its own pattern (a string)"
    )


ClockTime = Annotated[
    time,
    BeforeValidator(parse_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
]
"""Local wall-clock time of day, "HH:MM"."""

LocalDate = Annotated[
    date,
    BeforeValidator(parse_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
]
"""Local calendar date, "YYYY-MM-DD"."""

ShiftName = Annotated[str, Field(min_length=1)]
CrewValue = Annotated[int | str, BeforeValidator(crew_value)]


def raise_problems(problems: Sequence[tuple[Loc, str, object]]) -> None:
    """Raise every cross-field problem at once, each at its own location below the field."""
    if problems:
        raise ValidationError.from_exception_data(
            "Calendar",
            [
                InitErrorDetails(type="value_error", loc=loc, input=value, ctx={"error": msg})
                for loc, msg, value in problems
            ],
        )


def duplicates(items: Iterable[tuple[int, object]], what: str) -> list[tuple[Loc, str, object]]:
    """A problem at each repeat of a key, naming the (0-based) item it repeats."""
    first: dict[object, int] = {}
    problems: list[tuple[Loc, str, object]] = []
    for index, key in items:
        shown = f'"{key}"' if isinstance(key, str) else str(key)
        if key in first:
            msg = f"{what} {shown} is listed twice (first as item {first[key]})"
            problems.append(((index,), msg, key))
        else:
            first[key] = index
    return problems
