from pathlib import Path

from tests.lint.common import check

RULE = "cross-site-tags"
HEAD = """
enterprise: {name: acme}
classes: {pump: {tags: {running: bool, flow: float, pressure: float}}}
sites:
  cologne: {timezone: Europe/Berlin, equipment: {pump-1: pump}}
  dallas: {timezone: America/Chicago, equipment: {pump-1: pump}}
  lyon: {timezone: Europe/Paris, equipment: {pump-1: pump}}
bindings:
  - {name: c, topic: "c/{tag}", equipment: cologne/pump-1, tags: {R: running, F: flow}}
  - {name: l, topic: "l/{tag}", equipment: lyon/pump-1, tags: {R: running, F: flow}}
"""


def test_same_tags_everywhere(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - {name: d, topic: "d/{tag}", equipment: dallas/pump-1, tags: {R: running, F: flow}}
""",
        expected=[],
        rule=RULE,
    )


def test_missing_and_extra_tags_per_site(tmp_path: Path) -> None:
    (p,) = check(
        tmp_path,
        HEAD
        + """
  - {name: d, topic: "d/{tag}", equipment: dallas/pump-1, tags: {R: running, P: pressure}}
""",
        expected=[(5, 51, RULE)],
        rule=RULE,
    )
    assert "misses flow (2/3 sites)" in p.message
    assert "extra pressure (1/3 sites)" in p.message


def test_min_sites_option(tmp_path: Path) -> None:
    check(
        tmp_path,
        HEAD
        + """
  - {name: d, topic: "d/{tag}", equipment: dallas/pump-1, tags: {R: running}}
""",
        conf="rules: {cross-site-tags: {min-sites: 4}}",
        expected=[],
        rule=RULE,
    )
