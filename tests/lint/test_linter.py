"""Suppression comments, config levels and the loader's problems in the runner's output."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.lint.common import check, lint_source
from uns.lint.linter import parse_suppressions

MODEL = """
enterprise: {name: acme}
classes: {filler: {tags: {speed: float}}}
sites:
  cologne:
    timezone: Europe/Berlin
    equipment:
      filler-1: filler
      filler-2: {}%s
      filler-3: {}
"""


def test_disable_line_for_one_rule(tmp_path: Path) -> None:
    source = MODEL % "  # uns-lint disable-line rule:missing-class"
    check(tmp_path, source, expected=[(9, 7, "missing-class")], rule="missing-class")


def test_disable_next_line_and_all_rules(tmp_path: Path) -> None:
    source = MODEL.replace("      filler-3", "      # uns-lint disable-next-line\n      filler-3")
    check(tmp_path, source % "", expected=[(8, 7, "missing-class")], rule="missing-class")


def test_disable_line_for_another_rule_does_not_silence(tmp_path: Path) -> None:
    source = MODEL % "  # uns-lint disable-line rule:unused-class"
    check(
        tmp_path,
        source,
        expected=[(8, 7, "missing-class"), (9, 7, "missing-class")],
        rule="missing-class",
    )


def test_disable_file(tmp_path: Path) -> None:
    source = "# uns-lint disable-file rule:missing-class\n" + (MODEL % "").lstrip("\n")
    check(tmp_path, source, expected=[], rule="missing-class")


def test_config_sets_level_and_disables(tmp_path: Path) -> None:
    problems = lint_source(tmp_path, MODEL % "", "rules: {missing-class: {level: info}}")
    assert {p.level for p in problems if p.rule == "missing-class"} == {"info"}
    problems = lint_source(tmp_path / "b", MODEL % "", "rules: {missing-class: disable}")
    assert not [p for p in problems if p.rule == "missing-class"]


def test_output_is_sorted_by_file_line_column(tmp_path: Path) -> None:
    problems = lint_source(tmp_path, {"b.yaml": MODEL % "", "a.yaml": "classes: {x: {}}\n"})
    keys = [(p.pos.path, p.pos.line, p.pos.column) for p in problems]
    assert keys == sorted(keys)
    assert len(keys) >= 3


def test_parse_suppressions() -> None:
    s = parse_suppressions(
        {
            "m.yaml": [
                "a: 1  # uns-lint disable-line rule:x rule:y",
                "# uns-lint disable-next-line",
                "b: 2",
                "#uns-lint disable-file rule:z",
            ]
        }
    )
    assert s.lines["m.yaml"] == {1: {"x", "y"}, 3: {"*"}}
    assert s.files["m.yaml"] == {"z"}


@given(st.lists(st.text(max_size=60), max_size=5))
def test_parse_suppressions_accepts_any_text(lines: list[str]) -> None:
    s = parse_suppressions({"m.yaml": lines})
    for numbers in s.lines.values():
        assert all(1 <= n <= len(lines) + 1 for n in numbers)
