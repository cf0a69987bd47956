from pathlib import Path

from tests.lint.common import check

RULE = "duplicate-equipment"
TREE = """
classes: {filler: {tags: {speed: float}}}
sites:
  cologne:
    timezone: Europe/Berlin
    area:
      bottling: {line: {line-1: {equipment: {filler: filler}}}}
      canning: {line: {line-1: {equipment: {filler: filler}}}}
"""


def test_default_layout_keeps_paths_apart(tmp_path: Path) -> None:
    check(tmp_path, "enterprise: {name: acme}\n" + TREE, expected=[], rule=RULE)


def test_layout_without_area_collides(tmp_path: Path) -> None:
    layout = '"{enterprise}/{site}/{line}/{equipment}/{tag}"'
    (p,) = check(
        tmp_path,
        f"enterprise: {{name: acme, topics: {{layout: {layout}}}}}\n" + TREE,
        expected=[(9, 45, RULE)],
        rule=RULE,
    )
    assert "acme/cologne/line-1/filler" in p.message
