from pathlib import Path

from tests.lint.common import check

RULE = "name-pattern"


def test_names_following_the_conventions_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise:
      name: acme
      naming: {levels: {line: "^line-[0-9]+$"}}
    classes:
      pump: {tags: {flow_rate: float}}
    sites:
      cologne:
        timezone: Europe/Berlin
        area: {packaging: {line: {line-1: {equipment: {pump-1: pump}}}}}
    """,
        expected=[],
        rule=RULE,
    )


def test_level_pattern_default_pattern_and_tag_pattern(tmp_path: Path) -> None:
    problems = check(
        tmp_path,
        """
    enterprise:
      name: acme
      naming: {levels: {line: "^line-[0-9]+$"}}
    classes:
      pump:
        tags:
          FlowRate: float
    sites:
      cologne:
        timezone: Europe/Berlin
        area:
          Packaging:
            line:
              L1: {equipment: {pump-1: pump}}
    """,
        expected=[(7, 7, RULE), (12, 7, RULE), (14, 11, RULE)],
        rule=RULE,
    )
    messages = [p.message for p in problems]
    assert any("naming.levels.line" in m for m in messages)
    assert any("naming.tag_pattern" in m for m in messages)


def test_enterprise_name_and_tags_option(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise:
      name: ACME
    classes:
      pump: {tags: {Flow: float}}
    sites:
      cologne: {timezone: Europe/Berlin, equipment: {pump-1: pump}}
    """,
        conf="rules: {name-pattern: {tags: false}}",
        expected=[(2, 3, RULE)],
        rule=RULE,
    )
