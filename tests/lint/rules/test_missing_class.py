from pathlib import Path

from tests.lint.common import check

RULE = "missing-class"


def test_leaves_with_classes_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes: {filler: {tags: {speed: float}}}
    sites: {cologne: {timezone: Europe/Berlin, line: {line-1: {equipment: {f1: filler}}}}}
    """,
        expected=[],
        rule=RULE,
    )


def test_leaf_without_class(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes: {filler: {tags: {speed: float}}}
    sites:
      cologne:
        timezone: Europe/Berlin
        equipment:
          filler-1: filler
          filler-2: {}
    """,
        expected=[(8, 7, RULE)],
        rule=RULE,
    )
