from pathlib import Path

from tests.lint.common import check

RULE = "topic-length"
MODEL = """
enterprise: {name: acme, naming: {max_topic_bytes: %d}}
classes: {oven: {tags: {temperature: float, t: float}}}
sites:
  cologne:
    timezone: Europe/Berlin
    equipment:
      oven-1: oven
"""


def test_short_topics_pass(tmp_path: Path) -> None:
    check(tmp_path, MODEL % 64, expected=[], rule=RULE)


def test_long_topic_reported_once_per_equipment(tmp_path: Path) -> None:
    # acme/cologne/oven-1/temperature is 31 bytes; acme/cologne/oven-1/t is 21.
    (p,) = check(tmp_path, MODEL % 30, expected=[(7, 7, RULE)], rule=RULE)
    assert "31 bytes" in p.message
    assert "1 governed topic" in p.message


def test_bytes_not_characters(tmp_path: Path) -> None:
    check(
        tmp_path,
        MODEL % 64,
        conf="rules: {topic-length: {max: 20}}",
        expected=[(7, 7, RULE)],
        rule=RULE,
    )
