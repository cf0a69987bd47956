from pathlib import Path

from tests.lint.common import check

RULE = "topic-depth"
MODEL = """
enterprise: {name: acme, naming: {max_depth: %d}}
classes: {filler: {tags: {speed: float}}}
sites:
  cologne:
    timezone: Europe/Berlin
    area:
      packaging:
        line:
          line-1:
            equipment:
              filler-1: filler
"""


def test_within_limit(tmp_path: Path) -> None:
    check(tmp_path, MODEL % 6, expected=[], rule=RULE)


def test_too_deep(tmp_path: Path) -> None:
    (p,) = check(tmp_path, MODEL % 5, expected=[(11, 15, RULE)], rule=RULE)
    assert "6 levels (limit 5)" in p.message


def test_option_overrides_model(tmp_path: Path) -> None:
    check(
        tmp_path,
        MODEL % 6,
        conf="rules: {topic-depth: {max: 4}}",
        expected=[(11, 15, RULE)],
        rule=RULE,
    )
