from pathlib import Path

from tests.lint.common import check

RULE = "duplicate-sibling"


def test_distinct_siblings_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    sites:
      cologne:
        timezone: Europe/Berlin
        line: {line-1: {}, line-2: {}}
    """,
        expected=[],
        rule=RULE,
    )


def test_case_and_separator_variants(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme, naming: {pattern: ".*"}}
    classes:
      oven:
        tags:
          temp_zone: float
          TempZone: float
    sites:
      cologne:
        timezone: Europe/Berlin
        line:
          line-1: {}
          Line_1: {}
      Cologne: {timezone: Europe/Berlin}
    """,
        expected=[(6, 7, RULE), (12, 7, RULE), (13, 3, RULE)],
        rule=RULE,
    )


def test_same_name_under_different_parents_is_not_a_sibling_clash(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    sites:
      cologne: {timezone: Europe/Berlin, line: {line-1: {}}}
      dallas: {timezone: America/Chicago, line: {line-1: {}}}
    """,
        expected=[],
        rule=RULE,
    )
