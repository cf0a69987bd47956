from pathlib import Path

from tests.lint.common import check

RULE = "level-order"


def test_skipped_levels_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    sites:
      cologne: {timezone: Europe/Berlin, area: {packaging: {line: {line-1: {}}}}}
      dallas: {timezone: America/Chicago, line: {line-1: {}}}
    """,
        expected=[],
        rule=RULE,
    )


def test_area_inside_line(tmp_path: Path) -> None:
    (p,) = check(
        tmp_path,
        """
    enterprise: {name: acme}
    sites:
      cologne: {timezone: Europe/Berlin, area: {packaging: {line: {line-1: {}}}}}
      dallas:
        timezone: America/Chicago
        line:
          line-1:
            area:
              packaging: {}
              canning: {}
    """,
        expected=[(8, 9, RULE)],
        rule=RULE,
    )
    assert "site cologne has line inside area" in p.message
