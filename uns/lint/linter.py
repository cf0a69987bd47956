"""Run the enabled rules over a model, stamp rule id and level, apply suppressions, sort.

Like yamllint's `linter.py`: rules yield bare problems; the runner owns ids and levels.
The loader's problems come first-class under their own ids (always errors, never suppressed).

Suppression comments in the model YAML:

    filler-2: {}  # uns-lint disable-line rule:missing-class
    # uns-lint disable-next-line rule:near-duplicate-names rule:name-pattern
    Temp: float
    # uns-lint disable-file rule:unbound-equipment      (anywhere in the file)

Without `rule:` a directive silences every rule on that line (or file).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from uns.config.loader import load_model_lenient
from uns.lint.config import LintConfig, default_config
from uns.lint.graph import ModelGraph, build_graph
from uns.lint.rules import LOADER_RULES, RULES
from uns.model.namespace import Namespace
from uns.model.problem import Problem

_DIRECTIVE = re.compile(
    r"#\s*uns-lint\s+(disable-line|disable-next-line|disable-file)\b((?:\s+rule:[\w-]+)*)"
)
ALL = "*"


@dataclass(slots=True)
class Suppressions:
    """Per file: rules silenced per line, and for the whole file (`*` = every rule)."""

    lines: dict[str, dict[int, set[str]]] = field(default_factory=dict)
    files: dict[str, set[str]] = field(default_factory=dict)

    def silences(self, p: Problem) -> bool:
        if p.rule in LOADER_RULES:
            return False
        whole = self.files.get(p.pos.path, set())
        here = self.lines.get(p.pos.path, {}).get(p.pos.line, set())
        return bool({ALL, p.rule} & (whole | here))


def parse_suppressions(sources: Mapping[str, Sequence[str]]) -> Suppressions:
    """Find `# uns-lint ...` directives in the model files' lines."""
    out = Suppressions()
    for path, lines in sources.items():
        for number, text in enumerate(lines, 1):
            if "uns-lint" not in text:
                continue
            m = _DIRECTIVE.search(text)
            if m is None:
                continue
            kind, rules_text = m.group(1), m.group(2)
            rules = set(re.findall(r"rule:([\w-]+)", rules_text)) or {ALL}
            if kind == "disable-file":
                out.files.setdefault(path, set()).update(rules)
            else:
                target = number if kind == "disable-line" else number + 1
                out.lines.setdefault(path, {}).setdefault(target, set()).update(rules)
    return out


def run_rules(model: ModelGraph, config: LintConfig) -> list[Problem]:
    """Every enabled rule's problems, stamped with the rule id and configured level."""
    out: list[Problem] = []
    for rid, setting in config.rules.items():
        module = RULES[rid]
        out += [p.stamped(rid, setting.level) for p in module.check(model, setting.options)]
    return out


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.pos, p.rule, p.message))


def lint_namespace(
    ns: Namespace,
    loader_problems: Sequence[Problem] = (),
    *,
    config: LintConfig | None = None,
    graph: ModelGraph | None = None,
) -> list[Problem]:
    """Lint a loaded namespace; `loader_problems` are included as errors under their ids."""
    model = graph if graph is not None else build_graph(ns)
    found = run_rules(model, config if config is not None else default_config())
    suppressions = parse_suppressions(model.sources)
    kept = [p for p in found if not suppressions.silences(p)]
    loader = [p.stamped(p.rule or "schema", "error") for p in loader_problems]
    return sort_problems(_unique([*loader, *kept]))


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for p in problems:
        key = (p.pos, p.rule, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def lint_models(root: str | Path, config: LintConfig | None = None) -> list[Problem]:
    """Load a models directory (or file) and lint it. Raises ModelsNotFoundError only when the
    path does not exist; every problem inside the model comes back as a Problem."""
    ns, loader_problems = load_model_lenient(root)
    return lint_namespace(ns, loader_problems, config=config)
