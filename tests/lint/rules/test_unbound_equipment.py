from pathlib import Path

from tests.lint.common import check

RULE = "unbound-equipment"
HEAD = """
enterprise: {name: acme}
classes: {pump: {tags: {flow: float}}}
sites:
  cologne: {timezone: Europe/Berlin, equipment: {pump-1: pump, pump-2: pump}}
  dallas: {timezone: America/Chicago, equipment: {pump-1: pump}}
"""


def test_model_without_bindings_is_not_checked(tmp_path: Path) -> None:
    check(tmp_path, HEAD, expected=[], rule=RULE)


def test_unbound_equipment_and_unbound_site(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
bindings:
  - {topic: "plc/{tag}", equipment: cologne/pump-1, tags: {F: flow}}
""",
        expected=[(4, 64, RULE), (5, 3, RULE)],
        rule=RULE,
    )
