from pathlib import Path

from tests.lint.common import check

RULE = "unit-consistency"


def test_spellings_of_one_unit_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes:
      oven: {tags: {temperature: {unit: degC}}}
      dryer: {tags: {temperature: {unit: °C}}}
    """,
        expected=[],
        rule=RULE,
    )


def test_minority_unit_reported(tmp_path: Path) -> None:
    (p,) = check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes:
      oven: {tags: {temperature: {unit: degC}}}
      oven-us:
        tags:
          temperature: {unit: degF}
    sites:
      cologne: {timezone: Europe/Berlin, equipment: {o1: oven}}
      lyon: {timezone: Europe/Paris, equipment: {o1: oven}}
      dallas: {timezone: America/Chicago, equipment: {o1: oven-us, o2: oven-us, o3: oven-us}}
    """,
        expected=[(6, 7, RULE)],
        rule=RULE,
    )
    assert "degF" in p.message
    assert "degC in oven" in p.message


def test_missing_unit_where_others_have_one(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes:
      a: {tags: {flow: {unit: m^3/h}}}
      b: {tags: {flow: {unit: m^3/h}}}
      c:
        tags:
          flow: float
    """,
        expected=[(7, 7, RULE)],
        rule=RULE,
    )
