from pathlib import Path

from tests.lint.common import check

RULE = "unused-class"


def test_used_classes_and_their_bases_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes:
      machine: {tags: {state: string}}
      pump: {extends: machine, tags: {flow: float}}
    sites: {cologne: {timezone: Europe/Berlin, equipment: {pump-1: pump}}}
    """,
        expected=[],
        rule=RULE,
    )


def test_unused_class(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes:
      pump: {tags: {flow: float}}
      old-pump: {tags: {flow: float}}
    sites: {cologne: {timezone: Europe/Berlin, equipment: {pump-1: pump}}}
    """,
        expected=[(4, 3, RULE)],
        rule=RULE,
    )
