from pathlib import Path

from tests.lint.common import check

RULE = "calendar-coverage"


def model(shifts: str, kind: str = "weekly", extra: str = "") -> str:
    return f"""
enterprise: {{name: acme}}
calendars:
  plan:
    kind: {kind}
{extra}    shifts:
{shifts}
sites:
  cologne: {{timezone: Europe/Berlin, calendar: plan}}
  dallas: {{timezone: America/Chicago, calendar: plan}}
"""


THREE_SHIFTS = """\
      - {name: early, start: "06:00", end: "14:00"}
      - {name: late, start: "14:00", end: "22:00"}
      - {name: night, start: "22:00", end: "06:00"}"""


def test_full_coverage_passes(tmp_path: Path) -> None:
    check(tmp_path, model(THREE_SHIFTS), expected=[], rule=RULE)


def test_gap_and_overlap_every_day(tmp_path: Path) -> None:
    shifts = """\
      - {name: early, start: "06:00", end: "14:00"}
      - {name: late, start: "14:30", end: "22:00"}
      - {name: night, start: "21:45", end: "06:00"}"""
    gap, overlap = check(
        tmp_path, model(shifts), expected=[(7, 10, RULE), (8, 10, RULE)], rule=RULE
    )
    assert "gap 14:00 to 14:30 (30 min) after early before late, every day" in gap.message
    assert "cologne (Europe/Berlin), dallas (America/Chicago)" in gap.message
    assert "late and night overlap 21:45 to 22:00" in overlap.message


def test_weekend_off_is_not_a_gap_but_long_gaps_count_when_asked(tmp_path: Path) -> None:
    shifts = '      - {name: day, start: "07:00", end: "15:30", days: mon-fri}'
    check(tmp_path, model(shifts), expected=[], rule=RULE)
    conf = "rules: {calendar-coverage: {max-gap-minutes: 100000}}"
    problems = check(
        tmp_path / "all", model(shifts), conf=conf, expected=[(6, 10, RULE)] * 2, rule=RULE
    )
    assert any("Fri" in p.message for p in problems)


def test_rotation_with_a_missing_crew(tmp_path: Path) -> None:
    shifts = """\
      - {name: day, code: D, start: "07:00", end: "19:00"}
      - {name: night, code: N, start: "19:00", end: "07:00"}
    pattern: "DDNN--"
    crews: {A: 0, B: 2%s}"""
    head = '    anchor: "2026-01-05"\n'
    check(tmp_path, model(shifts % ", C: 4", "rotation", head), expected=[], rule=RULE)
    problems = check(
        tmp_path / "two",
        model(shifts % "", "rotation", head),
        expected=[(7, 10, RULE), (8, 10, RULE)],
        rule=RULE,
    )
    assert all("gap" in p.message and "cycle days" in p.message for p in problems)


TWO_SHIFTS = """\
      - {name: early, start: "06:00", end: "14:00", days: mon-fri}
      - {name: late, start: "14:00", end: "22:00", days: mon-fri}"""


def test_a_two_shift_plan_leaving_the_nights_uncovered_is_reported_by_default(
    tmp_path: Path,
) -> None:
    problems = check(tmp_path, model(TWO_SHIFTS), expected=[(6, 10, RULE)], rule=RULE)
    message = problems[0].message
    assert "gap 22:00 to 06:00 (8 h 00 min) after late before early" in message
    assert "Mon, Tue, Wed, Thu" in message
    assert "Fri" not in message  # Friday night runs into the free weekend: a closure


def test_an_explicit_max_gap_still_limits_the_reported_gaps(tmp_path: Path) -> None:
    conf = "rules: {calendar-coverage: {max-gap-minutes: 240}}"
    check(tmp_path, model(TWO_SHIFTS), conf=conf, expected=[], rule=RULE)
