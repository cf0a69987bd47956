from pathlib import Path

from tests.lint.common import check

RULE = "context-scope"
HEAD = """
enterprise: {name: acme}
classes: {filler: {tags: {speed: float}}}
sites:
  cologne:
    timezone: Europe/Berlin
    area:
      packaging: {line: {line-1: {equipment: {filler-1: filler}}}}
      spare: {line: {line-9: {}}}
"""


def test_scopes_with_equipment_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
context:
  - {topic: "mes/{line}/order", scope: "cologne/packaging/{line}", fields: {order: id}}
""",
        expected=[],
        rule=RULE,
    )


def test_scope_fitting_no_node_and_scope_without_equipment(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
context:
  - topic: "mes/{line}/order"
    scope: "koeln/packaging/{line}"
    fields: {order: id}
  - topic: "mes/spare/{line}/order"
    scope: "cologne/spare/{line}"
    fields: {order: id}
""",
        expected=[(12, 12, RULE), (15, 12, RULE)],
        rule=RULE,
    )


def test_static_context_without_equipment(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    sites:
      cologne:
        timezone: Europe/Berlin
        line:
          line-9:
            context: {product: none}
    """,
        expected=[(6, 7, RULE)],
        rule=RULE,
    )
