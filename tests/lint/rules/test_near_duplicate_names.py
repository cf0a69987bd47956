from pathlib import Path

from tests.lint.common import check
from uns.lint.names import abbreviates, close_pairs, fold, stem

RULE = "near-duplicate-names"


def test_consistent_names_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes:
      oven: {tags: {temperature: float}}
      dryer: {tags: {temperature: float}}
    """,
        expected=[],
        rule=RULE,
    )


def test_tag_spellings_grouped(tmp_path: Path) -> None:
    problems = check(
        tmp_path,
        """
    enterprise: {name: acme, naming: {tag_pattern: ".*"}}
    classes:
      oven: {tags: {temperature: float}}
      furnace: {tags: {temperature: float}}
      dryer: {tags: {Temp: float}}
      kiln: {tags: {temp_c: float}}
    """,
        expected=[(5, 18, RULE), (6, 17, RULE)],
        rule=RULE,
    )
    assert all('looks like "temperature"' in p.message for p in problems)


def test_case_variant_and_typo_across_sites(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme, naming: {pattern: ".*"}}
    sites:
      cologne: {timezone: Europe/Berlin, area: {packaging: {}, incorporated: {}}}
      dallas: {timezone: America/Chicago, area: {packaging: {}, incorporated: {}}}
      lyon:
        timezone: Europe/Paris
        area:
          Packaging: {}
          incorperated: {}
    """,
        expected=[(8, 7, RULE), (9, 7, RULE)],
        rule=RULE,
    )


def test_names_side_by_side_are_meant_to_differ(tmp_path: Path) -> None:
    # filler and filter both at one site: a typo check must not group them.
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    sites:
      cologne: {timezone: Europe/Berlin, line: {filler: {}, filter: {}}}
      dallas: {timezone: America/Chicago, line: {filler: {}}}
    """,
        expected=[],
        rule=RULE,
    )


def test_numbered_names_are_not_typos(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    sites:
      cologne: {timezone: Europe/Berlin, line: {line-1: {}}}
      dallas: {timezone: America/Chicago, line: {line-2: {}}}
    """,
        expected=[],
        rule=RULE,
    )


def test_typo_distance_option(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    sites:
      cologne: {timezone: Europe/Berlin, area: {warehouse: {}}}
      dallas: {timezone: America/Chicago, area: {warehose: {}}}
    """,
        conf="rules: {near-duplicate-names: {max-typo-distance: 0}}",
        expected=[],
        rule=RULE,
    )


def test_name_helpers() -> None:
    assert fold("Line_1") == fold("line-1") == "line1"
    assert stem("temp_c") == stem("Temp") == ("temperature",)
    assert stem("line_a", units=False) == ("line", "a")
    assert abbreviates(("press",), ("pressure",))
    assert not abbreviates(("pr",), ("pressure",))
    assert set(close_pairs(["incorporated", "incorperated", "other"], 1)) == {
        ("incorperated", "incorporated")
    }
