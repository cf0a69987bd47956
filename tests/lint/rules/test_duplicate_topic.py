from pathlib import Path

from tests.lint.common import check

RULE = "duplicate-topic"
HEAD = """
enterprise: {name: acme}
classes: {oven: {tags: {temperature: float, pressure: float}}}
sites: {cologne: {timezone: Europe/Berlin, equipment: {oven-1: oven, oven-2: oven}}}
bindings:
  - name: a
    topic: "plc/a/{tag}"
    equipment: cologne/oven-1
    tags: {T1: temperature}
"""


def test_different_tags_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - name: b
    topic: "plc/b/{tag}"
    equipment: cologne/oven-1
    tags: {P1: pressure}
""",
        expected=[],
        rule=RULE,
    )


def test_second_binding_for_the_same_topic(tmp_path: Path) -> None:
    (p,) = check(
        tmp_path,
        HEAD
        + """
  - name: b
    topic: "opc/b/{tag}"
    equipment: cologne/oven-1
    tags:
      P1: pressure
      Temp: temperature
""",
        expected=[(15, 7, RULE)],
        rule=RULE,
    )
    assert 'binding "a"' in p.message
    assert "acme/cologne/oven-1/temperature" in p.message


def test_a_more_specific_binding_takes_the_raw_topics(tmp_path: Path) -> None:
    # oven-1's topics go to the literal binding; the mapped one never publishes them.
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes: {oven: {tags: {temperature: float}}}
    sites: {cologne: {timezone: Europe/Berlin, equipment: {oven-1: oven, oven-2: oven}}}
    bindings:
      - name: all
        topic: "plc/{asset}/{tag}"
        map: {asset: {O1: oven-1, O2: oven-2}}
        equipment: "cologne/{asset}"
        tags: {T: temperature}
      - name: oven-1
        topic: "plc/O1/{tag}"
        equipment: cologne/oven-1
        tags: {T: temperature}
    """,
        expected=[],
        rule=RULE,
    )
