from pathlib import Path

from tests.lint.common import check

RULE = "binding-unreachable"
HEAD = """
enterprise: {name: acme}
classes: {pump: {tags: {flow: float}}}
sites: {cologne: {timezone: Europe/Berlin, equipment: {p1: pump, p2: pump}}}
bindings:
  - {topic: "plc/{asset}/{tag}", map: {asset: {P1: p1}}, equipment: "cologne/{asset}"}
"""


def test_distinct_patterns_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - {topic: "opc/{asset}/{tag}", map: {asset: {P2: p2}}, equipment: "cologne/{asset}"}
""",
        expected=[],
        rule=RULE,
    )


def test_same_pattern_shape_declared_later(tmp_path: Path) -> None:
    (p,) = check(
        tmp_path,
        HEAD
        + """
  - topic: "plc/{a}/{t}"
    map: {a: {P2: p2}}
    equipment: "cologne/{a}"
    tag: "{t}"
""",
        expected=[(7, 12, RULE)],
        rule=RULE,
    )
    assert "never receives data" in p.message


def test_empty_map(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - topic: "opc/{asset}/{tag}"
    map: {asset: {}}
    equipment: "cologne/p1"
""",
        expected=[(8, 10, RULE)],
        rule=RULE,
    )
