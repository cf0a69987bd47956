from pathlib import Path

from tests.lint.common import check

RULE = "orphan-binding"
HEAD = """
enterprise: {name: acme}
classes: {pump: {tags: {flow: float}}}
sites: {cologne: {timezone: Europe/Berlin, area: {water: {equipment: {p1: pump}}}}}
bindings:
"""


def test_binding_reaching_equipment_passes(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - {topic: "plc/{asset}/{tag}", equipment: "cologne/water/{asset}"}
""",
        expected=[],
        rule=RULE,
    )


def test_pass_through_template_fitting_no_node(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - topic: "plc/{asset}/{tag}"
    equipment: "koeln/water/{asset}"
""",
        expected=[(7, 16, RULE)],
        rule=RULE,
    )


def test_template_fitting_only_classless_nodes(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - topic: "plc/{asset}/{tag}"
    equipment: "{asset}"
""",
        expected=[(7, 16, RULE)],
        rule=RULE,
    )
