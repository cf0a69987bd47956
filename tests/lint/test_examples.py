"""The shipped models lint clean; the inconsistent example reports exactly its planted problems."""

from __future__ import annotations

import re
from pathlib import Path

from uns.lint.linter import lint_models

ROOT = Path(__file__).resolve().parents[2]
PLANTED = re.compile(r"#\s*PLANTED:\s*([\w\s-]+)$")


def planted(root: Path) -> set[tuple[str, int, str]]:
    out = set()
    for path in sorted(root.rglob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = PLANTED.search(line)
            if m:
                rel = path.relative_to(root).as_posix()
                out |= {(rel, number, rule) for rule in m.group(1).split()}
    return out


def test_inconsistent_example_reports_exactly_the_planted_problems() -> None:
    root = ROOT / "examples" / "inconsistent"
    expected = planted(root)
    assert len(expected) >= 25
    found = {
        (Path(p.pos.path).relative_to(root).as_posix(), p.pos.line, p.rule)
        for p in lint_models(root)
    }
    assert found - expected == set(), "reported but not planted"
    assert expected - found == set(), "planted but not reported"


def test_every_rule_is_planted_in_the_example() -> None:
    from uns.lint.rules import RULES

    rules = {rule for _f, _l, rule in planted(ROOT / "examples" / "inconsistent")}
    assert set(RULES) <= rules


def test_shipped_models_have_no_errors() -> None:
    errors = [p.parsable() for p in lint_models(ROOT / "models") if p.level == "error"]
    assert errors == []


def test_minimal_example_is_clean() -> None:
    assert lint_models(ROOT / "examples" / "minimal") == []


def test_docs_are_generated_from_the_rule_docstrings() -> None:
    from uns.lint.docs import render

    assert (ROOT / "docs" / "lint.md").read_text(encoding="utf-8") == render()


def test_field_data_example_is_clean() -> None:
    assert lint_models(ROOT / "examples" / "field-data") == []
