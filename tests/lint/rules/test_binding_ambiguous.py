from pathlib import Path

import pytest

from tests.lint.common import check
from uns.lint.patterns import topic_covers, topics_overlap
from uns.model.topics import TopicPattern

RULE = "binding-ambiguous"
HEAD = """
enterprise: {name: acme}
classes: {pump: {tags: {flow: float, speed: float}}}
sites: {cologne: {timezone: Europe/Berlin, equipment: {p1: pump}}}
bindings:
  - {topic: "plc/{cell}_pump/{tag}", equipment: cologne/p1, tags: {F: flow}}
"""


def test_disjoint_literals_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - {topic: "plc/{cell}_fan/{tag}", equipment: cologne/p1, tags: {S: speed}}
""",
        expected=[],
        rule=RULE,
    )


def test_partial_levels_that_meet(tmp_path: Path) -> None:
    (p,) = check(
        tmp_path,
        HEAD
        + """
  - topic: "plc/zone_{x}/{tag}"
    equipment: cologne/p1
    tags: {S: speed}
""",
        expected=[(7, 12, RULE)],
        rule=RULE,
    )
    assert "declaration order decides" in p.message


def test_kepware_ids_that_cannot_meet_pass(tmp_path: Path) -> None:
    check(
        tmp_path,
        """
    enterprise: {name: acme}
    classes: {pump: {tags: {flow: float, speed: float}}}
    sites: {cologne: {timezone: Europe/Berlin, equipment: {p1: pump}}}
    bindings:
      - {topic: kep/a, format: kepware, id: "L1.{tag}", equipment: cologne/p1,
         tags: {F: flow}}
      - {topic: kep/a, format: kepware, id: "L2.{tag}", equipment: cologne/p1,
         tags: {S: speed}}
    """,
        expected=[],
        rule=RULE,
    )


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("a/b", "a/b", True),
        ("a/b", "a/c", False),
        ("a/+", "a/{x}", True),
        ("a/#", "a", True),
        ("a/{r#}", "a", False),
        ("a/{x}_t", "a/l_{y}", True),
        ("a/p{x}", "a/q{y}", False),
        ("a/{x}p", "a/{y}q", False),
        ("a/L{x}", "a/L1", True),
        ("a/L{x}", "a/M1", False),
    ],
)
def test_topics_overlap(a: str, b: str, overlap: bool) -> None:
    pa, pb = TopicPattern.parse(a), TopicPattern.parse(b)
    assert topics_overlap(pa, pb) is overlap
    assert topics_overlap(pb, pa) is overlap


@pytest.mark.parametrize(
    ("a", "b", "covers"),
    [
        ("a/+", "a/{x}", True),
        ("a/{x}", "a/b", True),
        ("a/b", "a/{x}", False),
        ("a/#", "a/{r#}", True),
        ("a/{r#}", "a/#", False),
        ("a/{x}_t", "a/{y}_t", True),
        ("a/{x}_t", "a/l_{y}", False),
    ],
)
def test_topic_covers(a: str, b: str, covers: bool) -> None:
    assert topic_covers(TopicPattern.parse(a), TopicPattern.parse(b)) is covers
