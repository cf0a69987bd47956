"""Lint output formats, as pure functions of the problems (yamllint's `cli.py` formats).

- text:   `file:line:col: level rule-id message`, colored when asked (a terminal).
- json:   a list of {path, line, column, level, rule, message}.
- github: workflow commands that GitHub Actions shows as annotations on the diff.
- sarif:  SARIF 2.1.0 for code scanning upload (`github/codeql-action/upload-sarif`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from uns.model.problem import Level, Problem

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "uns-lint"

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_DIM, _RESET = "\033[2m", "\033[0m"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def format_text(p: Problem, *, color: bool = False) -> str:
    if not color:
        return f"{p.pos}: {p.level} {p.rule} {p.message}"
    lvl = f"{_COLORS.get(p.level, '')}{p.level}{_RESET}"
    return f"{p.pos}: {lvl} {_DIM}{p.rule}{_RESET} {p.message}"


def summary(problems: Sequence[Problem]) -> str:
    counts = {
        lvl: sum(1 for p in problems if p.level == lvl) for lvl in ("error", "warning", "info")
    }
    files = len({p.pos.path for p in problems})
    parts = [f"{n} {lvl}{'s' if n != 1 else ''}" for lvl, n in counts.items() if n]
    if not parts:
        return "no problems"
    return f"{', '.join(parts)} in {files} file{'s' if files != 1 else ''}"


def problem_dict(p: Problem) -> dict[str, Any]:
    return {
        "path": p.pos.path,
        "line": p.pos.line,
        "column": p.pos.column,
        "level": p.level,
        "rule": p.rule,
        "message": p.message,
    }


def format_json(problems: Iterable[Problem]) -> str:
    return json.dumps([problem_dict(p) for p in problems], indent=2, ensure_ascii=False)


def _gh_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def format_github(p: Problem) -> str:
    """`::error file=F,line=L,col=C,title=RULE::MESSAGE` (GitHub workflow command)."""
    props = ",".join(
        [
            f"file={_gh_escape(p.pos.path, prop=True)}",
            f"line={p.pos.line}",
            f"col={p.pos.column}",
            f"title={_gh_escape(p.rule, prop=True)}",
        ]
    )
    return f"::{_GITHUB_LEVEL.get(p.level, 'error')} {props}::{_gh_escape(p.message)}"


def _rule_name(rule_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", rule_id))


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/").removeprefix("./"), safe="/")


def format_sarif(
    problems: Sequence[Problem],
    rules: Mapping[str, tuple[str, Level]],
    version: str,
) -> str:
    """A SARIF 2.1.0 log with one run. `rules` maps rule id -> (short description, level)."""
    ids = sorted(set(rules) | {p.rule for p in problems})
    index = {rid: i for i, rid in enumerate(ids)}
    descriptors = []
    for rid in ids:
        text, level = rules.get(rid, (rid, "error"))
        descriptors.append(
            {
                "id": rid,
                "name": _rule_name(rid),
                "shortDescription": {"text": text},
                "help": {"text": f"See docs/lint.md, section {rid}."},
                "defaultConfiguration": {"level": _SARIF_LEVEL[level]},
            }
        )
    results = [
        {
            "ruleId": p.rule,
            "ruleIndex": index[p.rule],
            "level": _SARIF_LEVEL.get(p.level, "error"),
            "message": {"text": p.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(p.pos.path), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": p.pos.line, "startColumn": p.pos.column},
                    }
                }
            ],
        }
        for p in problems
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": version,
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)
