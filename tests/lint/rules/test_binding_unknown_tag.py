from pathlib import Path

from tests.lint.common import check

RULE = "binding-unknown-tag"
HEAD = """
enterprise: {name: acme}
classes: {pump: {tags: {flow: float, pressure: float}}}
sites: {cologne: {timezone: Europe/Berlin, area: {water: {equipment: {p1: pump, p2: pump}}}}}
bindings:
"""


def test_known_tags_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - {topic: "plc/{asset}/{tag}", equipment: "cologne/water/{asset}", tags: {F: flow}}
""",
        expected=[],
        rule=RULE,
    )


def test_pass_through_equipment_with_unknown_tag(tmp_path: Path) -> None:
    (p,) = check(
        tmp_path,
        HEAD
        + """
  - topic: "plc/{asset}/{tag}"
    equipment: "cologne/water/{asset}"
    tags:
      F: flow
      P: presure
""",
        expected=[(10, 7, RULE)],
        rule=RULE,
    )
    assert '"presure"' in p.message
    assert "class pump" in p.message


def test_tag_built_from_mapped_codes(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - topic: "plc/p1/{code}"
    map: {code: {F: flow, X: volume}}
    equipment: cologne/water/p1
    tag: "{code}"
""",
        expected=[(9, 10, RULE)],
        rule=RULE,
    )
