from pathlib import Path

from tests.lint.common import check

RULE = "unused-calendar"
CALENDARS = """
enterprise: {name: acme}
calendars:
  day:
    kind: weekly
    shifts: [{name: day, start: "06:00", end: "14:00"}]
  old:
    kind: weekly
    shifts: [{name: day, start: "06:00", end: "14:00"}]
sites:
  cologne: {timezone: Europe/Berlin, calendar: day}
"""


def test_unused_calendar(tmp_path: Path) -> None:
    check(tmp_path, CALENDARS, expected=[(6, 3, RULE)], rule=RULE)


def test_all_used(tmp_path: Path) -> None:
    check(
        tmp_path,
        CALENDARS + "  dallas: {timezone: America/Chicago, calendar: old}\n",
        expected=[],
        rule=RULE,
    )
