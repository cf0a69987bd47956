"""A yamllint-like helper for rule tests: YAML in, expected (line, column, rule) out.

    check(tmp_path, '''
    enterprise: {name: acme}
    ...
    ''', expected=[(4, 7, "name-pattern")], rule="name-pattern")

The source (one `model.yaml`, or a {relative path: text} dict) is written to a temporary
models directory, loaded and linted. Only problems of `rule` are compared (all rules when
None); loader problems are never expected, so a test's YAML must be a valid model.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from uns.config.loader import load_model_lenient
from uns.lint.config import LintConfig, parse_config
from uns.lint.linter import lint_namespace
from uns.model.problem import Problem

Expected = tuple[int, int, str] | tuple[str, int, int, str]


def write_models(root: Path, source: str | dict[str, str]) -> Path:
    files = {"model.yaml": source} if isinstance(source, str) else source
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def config_from(conf: str | None) -> LintConfig | None:
    if conf is None:
        return None
    config, problems = parse_config(textwrap.dedent(conf), "lint.yaml")
    assert problems == [], [p.parsable() for p in problems]
    return config


def lint_source(root: Path, source: str | dict[str, str], conf: str | None = None) -> list[Problem]:
    models = write_models(root / "models", source)
    ns, loader_problems = load_model_lenient(models)
    assert loader_problems == [], [p.parsable() for p in loader_problems]
    return lint_namespace(ns, loader_problems, config=config_from(conf))


def check(
    root: Path,
    source: str | dict[str, str],
    conf: str | None = None,
    expected: list[Expected] | None = None,
    rule: str | None = None,
) -> list[Problem]:
    """Assert exactly `expected` problems (of `rule`); returns them for message checks."""
    problems = [p for p in lint_source(root, source, conf) if rule is None or p.rule == rule]
    single = isinstance(source, str)
    got: list[Any] = []
    for p in problems:
        rel = Path(p.pos.path).relative_to(root / "models").as_posix()
        if single:
            got.append((p.pos.line, p.pos.column, p.rule))
        else:
            got.append((rel, p.pos.line, p.pos.column, p.rule))
    assert sorted(got) == sorted(expected or []), "\n".join(p.parsable() for p in problems)
    return problems
