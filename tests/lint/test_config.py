"""The lint config file: defaults, levels, options, and positioned mistakes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uns.lint.config import default_config, parse_config
from uns.lint.rules import RULES
from uns.lint.rules.near_duplicate_names import Options as NearOptions


def test_defaults_enable_every_rule_at_its_level() -> None:
    config = default_config()
    assert set(config.rules) == set(RULES)
    assert all(s.level == RULES[r].DEFAULT_LEVEL for r, s in config.rules.items())


def test_level_options_enable_disable() -> None:
    config, problems = parse_config(
        "rules:\n"
        "  near-duplicate-names: {level: error, max-typo-distance: 2}\n"
        "  unused-class: disable\n"
        "  missing-class: enable\n",
        "lint.yaml",
    )
    assert problems == []
    setting = config.rules["near-duplicate-names"]
    assert setting.level == "error"
    assert isinstance(setting.options, NearOptions)
    assert setting.options.max_typo_distance == 2
    assert "unused-class" not in config.rules
    assert "missing-class" in config.rules


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("rules:\n  unused-clas: disable\n", 2, 3, "did you mean 'unused-class'"),
        ("rules:\n  unused-class: {max-typo: 1}\n", 2, 18, "unknown key 'max-typo'"),
        ("rules:\n  topic-depth: {max: 0}\n", 2, 22, "greater than or equal to 1"),
        ("rules:\n  topic-depth: {level: loud}\n", 2, 24, "not one of error, warning, info"),
        ("rules:\n  schema: disable\n", 2, 3, "reported by the model loader"),
        ("rule:\n  schema: disable\n", 1, 1, "unknown key 'rule'"),
        ("rules: [a]\n", 1, 8, "must be a mapping"),
        ("rules: {a: [\n", 2, 1, "YAML syntax"),
    ],
    ids=[
        "unknown-rule",
        "unknown-option",
        "bad-value",
        "bad-level",
        "loader-rule",
        "unknown-key",
        "not-a-mapping",
        "syntax",
    ],
)
def test_mistakes_are_positioned(text: str, line: int, column: int, fragment: str) -> None:
    _config, problems = parse_config(text, "lint.yaml")
    assert problems, text
    p = problems[0]
    assert (p.pos.path, p.pos.line, p.pos.column) == ("lint.yaml", line, column)
    assert fragment in p.message
    assert p.rule == "lint-config"


@given(st.text(max_size=200))
def test_any_text_gives_a_config_or_positioned_problems(text: str) -> None:
    config, problems = parse_config(text, "lint.yaml")
    assert all(p.rule == "lint-config" and p.pos.line >= 1 for p in problems)
    assert set(config.rules) <= set(RULES)
