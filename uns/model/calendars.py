"""Shift calendars: the pydantic models of the `calendars:` section of a model file.

Two kinds, told apart by `kind` (see docs/calendars.md for the authoring guide):

- `weekly`: the same shifts every week, each on listed weekdays (3x8 Monday to Friday, ...).
- `rotation`: crews rotate through a cycle of N days anchored at a date (DuPont, 2-2-3 Panama,
  slow 7-day 3x8 rotations with 4 or 5 crews, ...).

A calendar has no time zone: the site that uses it supplies one, and every time of day here is
local wall-clock time at that site (`uns.context.shifts` resolves it to UTC instants).

Validation checks what a single calendar can get wrong on its face: "HH:MM" times, start != end,
day names, dates, unique shift names and codes, pattern characters, crew offsets, exceptions
naming declared shifts. It deliberately does NOT check coverage (gaps between shifts,
overlapping shifts): that is a lint rule, built on `uns.context.shifts.find_gaps_and_overlaps`.

Cross-field problems are reported at the offending item (`crews.B`, `exceptions.2.shifts`), all
at once, as `value_error`s with the same shape as a `ValueError` raised in a validator.
Through the discriminated union `Calendar` every error `loc` starts with the kind tag
(`("rotation", "crews", "B")`); `parse_calendar` validates one calendar without that tag, so a
`loc` walks straight down the YAML mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, time
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from uns.model.calendar_fields import (
    CODE_RX,
    DAY_NAMES,
    MODEL_CONFIG,
    OFF,
    ClockTime,
    CrewValue,
    DayName,
    Loc,
    LocalDate,
    ShiftName,
    check_name,
    duplicates,
    name_error,
    parse_days,
    parse_pattern,
    raise_problems,
)

__all__ = [
    "CALENDAR_MODELS",
    "DAY_NAMES",
    "OFF",
    "Calendar",
    "CalendarException",
    "Calendars",
    "DayName",
    "RotationCalendar",
    "RotationShift",
    "WeeklyCalendar",
    "WeeklyShift",
    "calendar_adapter",
    "calendars_adapter",
    "parse_calendar",
]

# -- shared pieces -----------------------------------------------------------------------------


class CalendarException(BaseModel):
    """A one-off change for one local date: exactly which shifts start on it.

    In a weekly calendar the listed shifts run that date whatever their `days` say (so an
    exception can also add a shift on a Saturday); in a rotation only the listed shifts run,
    each worked by the crew the pattern puts on it. `shifts: []` closes the date, like a holiday.
    """

    model_config = MODEL_CONFIG

    date: LocalDate
    shifts: tuple[ShiftName, ...]

    @field_validator("shifts")
    @classmethod
    def _unique_shifts(cls, shifts: tuple[str, ...]) -> tuple[str, ...]:
        raise_problems(duplicates(enumerate(shifts), "shift"))
        return shifts


def _check_holidays(holidays: tuple[date, ...]) -> tuple[date, ...]:
    raise_problems(duplicates(enumerate(holidays), "holiday"))
    return holidays


def _check_exceptions(
    exceptions: tuple[CalendarException, ...], info: ValidationInfo
) -> tuple[CalendarException, ...]:
    problems = duplicates(((i, e.date) for i, e in enumerate(exceptions)), "exception date")
    holidays = set(info.data.get("holidays", ()))
    shifts = info.data.get("shifts")  # absent when the shifts themselves failed validation
    names = {s.name for s in shifts} if shifts is not None else None
    for i, exc in enumerate(exceptions):
        if exc.date in holidays:
            problems.append(
                ((i, "date"), f"{exc.date} is also a holiday; keep one of the two", exc.date)
            )
        if names is None:
            continue
        for j, name in enumerate(exc.shifts):
            if name not in names:
                known = ", ".join(sorted(names))
                msg = f'unknown shift "{name}" (declared: {known})'
                problems.append(((i, "shifts", j), msg, name))
    raise_problems(problems)
    return exceptions


def _check_unique_names(shifts: Sequence[WeeklyShift | RotationShift]) -> None:
    if not shifts:
        raise ValueError("a calendar needs at least one shift")
    problems = [
        ((i, "name"), msg, v)
        for (i,), msg, v in duplicates(((i, s.name) for i, s in enumerate(shifts)), "shift name")
    ]
    raise_problems(problems)


# -- weekly ------------------------------------------------------------------------------------


class WeeklyShift(BaseModel):
    """One shift of a weekly calendar.

    `start`/`end` are local "HH:MM"; an `end` at or before `start` means the shift ends the next
    day (22:00-06:00). `days` are the weekdays the shift STARTS on (default: every day).
    """

    model_config = MODEL_CONFIG

    name: Annotated[str, Field(min_length=1)]
    start: ClockTime
    end: ClockTime
    days: Annotated[tuple[DayName, ...], BeforeValidator(parse_days)] = DAY_NAMES

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value, "shift name")

    @field_validator("end")
    @classmethod
    def _has_length(cls, end: time, info: ValidationInfo) -> time:
        if info.data.get("start") == end:
            raise ValueError(f"start and end are both {end:%H:%M}; a shift needs a length")
        return end


class WeeklyCalendar(BaseModel):
    """The same shifts every week; holidays and exceptions override single dates."""

    model_config = MODEL_CONFIG

    kind: Literal["weekly"]
    shifts: tuple[WeeklyShift, ...]
    holidays: tuple[LocalDate, ...] = ()
    """Local dates on which no shift starts (a shift started the day before runs to its end)."""
    exceptions: tuple[CalendarException, ...] = ()

    @field_validator("shifts")
    @classmethod
    def _shifts(cls, shifts: tuple[WeeklyShift, ...]) -> tuple[WeeklyShift, ...]:
        _check_unique_names(shifts)
        return shifts

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, holidays: tuple[date, ...]) -> tuple[date, ...]:
        return _check_holidays(holidays)

    @field_validator("exceptions")
    @classmethod
    def _exceptions(
        cls, exceptions: tuple[CalendarException, ...], info: ValidationInfo
    ) -> tuple[CalendarException, ...]:
        return _check_exceptions(exceptions, info)


# -- rotation ----------------------------------------------------------------------------------


class RotationShift(BaseModel):
    """One shift of a rotation; `code` is the one character that stands for it in patterns."""

    model_config = MODEL_CONFIG

    name: Annotated[str, Field(min_length=1)]
    code: str
    start: ClockTime
    end: ClockTime

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value, "shift name")

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if value == OFF:
            raise ValueError(f'code "{OFF}" is reserved for a day off')
        if CODE_RX.fullmatch(value) is None:
            raise ValueError(f'code "{value}" must be exactly one letter or digit')
        return value

    @field_validator("end")
    @classmethod
    def _has_length(cls, end: time, info: ValidationInfo) -> time:
        if info.data.get("start") == end:
            raise ValueError(f"start and end are both {end:%H:%M}; a shift needs a length")
        return end


def _pattern_problems(
    pattern: str, codes: set[str] | None, loc: Loc
) -> list[tuple[Loc, str, object]]:
    """One problem per distinct unknown character, at its first day."""
    if codes is None:
        return []
    problems: list[tuple[Loc, str, object]] = []
    reported: set[str] = set()
    for day, char in enumerate(pattern):
        if char != OFF and char not in codes and char not in reported:
            reported.add(char)
            declared = ", ".join(sorted(codes))
            msg = (
                f'"{char}" on day {day} of the pattern is not a shift code '
                f'(declared: {declared}; "{OFF}" is a day off)'
            )
            problems.append((loc, msg, pattern))
    return problems


class RotationCalendar(BaseModel):
    """Crews rotating through a cycle of days, anchored at a local date.

    Either one shared `pattern` with a day offset per crew (`crews: {A: 0, B: 7}`), or no
    `pattern` and a pattern per crew (`crews: {A: "DD--DDD--DD---", ...}`). A pattern has one
    character per day of the cycle: a shift `code`, or "-" for a day off; whitespace is ignored.
    The cycle length is the pattern length. On local date `d` crew `c` works
    `pattern[(days(d - anchor) + offset[c]) mod cycle]`, also for dates before the anchor.
    """

    model_config = MODEL_CONFIG

    kind: Literal["rotation"]
    anchor: LocalDate
    """Local date on which day 0 of the pattern starts."""
    shifts: tuple[RotationShift, ...]
    pattern: Annotated[str, BeforeValidator(parse_pattern)] | None = None
    crews: dict[str, CrewValue]
    holidays: tuple[LocalDate, ...] = ()
    exceptions: tuple[CalendarException, ...] = ()

    @field_validator("shifts")
    @classmethod
    def _shifts(cls, shifts: tuple[RotationShift, ...]) -> tuple[RotationShift, ...]:
        _check_unique_names(shifts)
        raise_problems(
            [
                ((i, "code"), msg, v)
                for (i,), msg, v in duplicates(
                    ((i, s.code) for i, s in enumerate(shifts)), "shift code"
                )
            ]
        )
        return shifts

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, pattern: str | None, info: ValidationInfo) -> str | None:
        if pattern is not None:
            raise_problems(_pattern_problems(pattern, _codes(info), ()))
        return pattern

    @field_validator("crews")
    @classmethod
    def _crews(cls, crews: dict[str, int | str], info: ValidationInfo) -> dict[str, int | str]:
        if not crews:
            raise ValueError("a rotation needs at least one crew")
        problems: list[tuple[Loc, str, object]] = []
        for name in crews:
            if (error := name_error(name, "crew name")) is not None:
                problems.append(((name,), error, name))
        if "pattern" not in info.data:
            pass  # the pattern failed validation: offsets cannot be checked against it
        elif (shared := info.data["pattern"]) is not None:
            problems += _offset_problems(crews, len(shared))
        else:
            problems += _own_pattern_problems(crews, _codes(info))
        raise_problems(problems)
        return crews

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, holidays: tuple[date, ...]) -> tuple[date, ...]:
        return _check_holidays(holidays)

    @field_validator("exceptions")
    @classmethod
    def _exceptions(
        cls, exceptions: tuple[CalendarException, ...], info: ValidationInfo
    ) -> tuple[CalendarException, ...]:
        return _check_exceptions(exceptions, info)


def _codes(info: ValidationInfo) -> set[str] | None:
    shifts = info.data.get("shifts")
    return None if shifts is None else {s.code for s in shifts}


def _offset_problems(crews: Mapping[str, int | str], cycle: int) -> list[tuple[Loc, str, object]]:
    problems: list[tuple[Loc, str, object]] = []
    owner: dict[int, str] = {}
    for name, value in crews.items():
        if isinstance(value, str):
            msg = (
                f'crew "{name}" has its own pattern, but the calendar has a shared `pattern`; '
                "give the crew a day offset into it, or drop `pattern`"
            )
            problems.append(((name,), msg, value))
        elif not 0 <= value < cycle:
            msg = f'crew "{name}" offset {value} is outside the {cycle}-day cycle (0..{cycle - 1})'
            problems.append(((name,), msg, value))
        elif value in owner:
            msg = (
                f'crews "{owner[value]}" and "{name}" both have offset {value}; '
                "they would always work the same shifts"
            )
            problems.append(((name,), msg, value))
        else:
            owner[value] = name
    return problems


def _own_pattern_problems(
    crews: Mapping[str, int | str], codes: set[str] | None
) -> list[tuple[Loc, str, object]]:
    problems: list[tuple[Loc, str, object]] = []
    length: tuple[str, int] | None = None
    for name, value in crews.items():
        if isinstance(value, int):
            msg = f'crew "{name}" has a day offset, but there is no shared `pattern` to offset into'
            problems.append(((name,), msg, value))
            continue
        problems += _pattern_problems(value, codes, (name,))
        if length is None:
            length = (name, len(value))
        elif len(value) != length[1]:
            msg = (
                f'crew "{name}" pattern has {len(value)} days but crew "{length[0]}" has '
                f"{length[1]}; all crews share one cycle length"
            )
            problems.append(((name,), msg, value))
    return problems


def _kind(value: object) -> object:
    """The tag of a raw mapping or of an already built calendar."""
    if isinstance(value, Mapping):
        return value.get("kind")
    return getattr(value, "kind", None)


Calendar = Annotated[
    Annotated[WeeklyCalendar, Tag("weekly")] | Annotated[RotationCalendar, Tag("rotation")],
    Discriminator(
        _kind,
        custom_error_type="calendar_kind",
        custom_error_message="a calendar needs `kind: weekly` or `kind: rotation`",
    ),
]
"""One shift calendar, chosen by its `kind`.

Errors inside a calendar carry the kind after the calendar id in their `loc`
(`("dupont", "rotation", "crews", "B")`), as for every pydantic discriminated union.
"""

Calendars = dict[str, Calendar]
"""The `calendars:` section: calendar id -> calendar."""

CALENDAR_MODELS: Mapping[str, type[WeeklyCalendar] | type[RotationCalendar]] = {
    "weekly": WeeklyCalendar,
    "rotation": RotationCalendar,
}
"""The model class for each `kind`."""

calendar_adapter: TypeAdapter[WeeklyCalendar | RotationCalendar] = TypeAdapter(Calendar)
calendars_adapter: TypeAdapter[dict[str, WeeklyCalendar | RotationCalendar]] = TypeAdapter(
    Calendars
)


def parse_calendar(data: object) -> WeeklyCalendar | RotationCalendar:
    """Validate one calendar like `calendar_adapter`, with error locations free of the kind tag.

    Errors then read `("crews", "B")` instead of `("rotation", "crews", "B")`, so they walk
    straight down the YAML mapping; a missing or unknown `kind` is reported at `()`.
    """
    kind = data.get("kind") if isinstance(data, Mapping) else None
    if isinstance(kind, str) and kind in CALENDAR_MODELS:
        return CALENDAR_MODELS[kind].model_validate(data)
    return calendar_adapter.validate_python(data)
