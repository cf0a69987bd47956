from pathlib import Path

import pytest

from tests.lint.common import check
from uns.lint.rules.forbidden_characters import faults

RULE = "forbidden-characters"


def test_plain_names_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes: {oven: {tags: {zone_1_temperature: float}}}
    sites: {cologne: {timezone: Europe/Berlin, equipment: {oven-1: oven}}}
    """,
        expected=[],
        rule=RULE,
    )


def test_tags_and_nodes_with_bad_characters(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes:
      oven:
        tags:
          "zone 1 temp": float
          "temp#1": float
          "température": float
          "$temp": float
    sites:
      cologne:
        timezone: Europe/Berlin
        equipment:
          "oven 1": oven
    """,
        expected=[(5, 7, RULE), (6, 7, RULE), (7, 7, RULE), (8, 7, RULE), (13, 7, RULE)],
        rule=RULE,
    )


def test_non_ascii_allowed_by_option(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes: {oven: {tags: {"température": float}}}
    sites: {cologne: {timezone: Europe/Berlin, equipment: {oven-1: oven}}}
    """,
        conf="rules: {forbidden-characters: {ascii-only: false}}",
        expected=[],
        rule=RULE,
    )


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("a+b", "'+'"),
        ("a/b", "'/'"),
        ("$SYS", "'$'"),
        ("a\tb", "whitespace"),
        ("a\u200bb", "U+200B"),
        ("a\x07b", "U+0007"),
        ("é", "non-ASCII"),
    ],
    ids=["empty", "plus", "slash", "dollar", "tab", "zero-width", "bell", "non-ascii"],
)
def test_faults_name_the_problem(name: str, fragment: str) -> None:
    assert any(fragment in f for f in faults(name, ascii_only=True))


def test_good_name_has_no_faults() -> None:
    assert faults("line-1_a.b", ascii_only=True) == []
