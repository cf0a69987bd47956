"""Output formats: text, json, github annotations, SARIF 2.1.0 structure."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from uns.lint.commands import rule_descriptions
from uns.lint.formats import format_github, format_json, format_sarif, format_text, summary
from uns.model.problem import Position, Problem

P1 = Problem(
    Position("models/a b.yaml", 3, 7),
    "tag name 'x y' contains whitespace",
    "forbidden-characters",
    "error",
)
P2 = Problem(Position("models/b.yaml", 1, 1), "class x is unused", "unused-class", "warning")
P3 = Problem(Position("models/b.yaml", 2, 1), "just so", "missing-class", "info")


def test_text() -> None:
    assert format_text(P1) == (
        "models/a b.yaml:3:7: error forbidden-characters tag name 'x y' contains whitespace"
    )
    colored = format_text(P2, color=True)
    assert "\033[33mwarning\033[0m" in colored
    assert colored.startswith("models/b.yaml:1:1: ")


def test_summary() -> None:
    assert summary([P1, P2, P3]) == "1 error, 1 warning, 1 info in 2 files"
    assert summary([]) == "no problems"


def test_json_round_trips() -> None:
    data = json.loads(format_json([P1, P2]))
    assert data[0] == {
        "path": "models/a b.yaml",
        "line": 3,
        "column": 7,
        "level": "error",
        "rule": "forbidden-characters",
        "message": "tag name 'x y' contains whitespace",
    }


def test_github_annotation() -> None:
    assert format_github(P2) == (
        "::warning file=models/b.yaml,line=1,col=1,title=unused-class::class x is unused"
    )
    assert format_github(P3).startswith("::notice ")


@given(st.text())
def test_github_escapes_any_message(message: str) -> None:
    line = format_github(Problem(Position("a,b:c.yaml", 1, 1), message, "r", "error"))
    assert "\n" not in line
    assert "\r" not in line
    assert "file=a%2Cb%3Ac.yaml," in line


def test_sarif_structure() -> None:
    log = json.loads(format_sarif([P1, P2, P3], rule_descriptions(), "1.2.3"))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "uns-lint"
    assert driver["version"] == "1.2.3"
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert "forbidden-characters" in ids
    assert "schema" in ids
    for r in rules:
        assert r["shortDescription"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    levels = []
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        (loc,) = result["locations"]
        phys = loc["physicalLocation"]
        assert not phys["artifactLocation"]["uri"].startswith("/")
        assert phys["region"]["startLine"] >= 1
        assert phys["region"]["startColumn"] >= 1
        levels.append(result["level"])
    assert levels == ["error", "warning", "note"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "models/a%20b.yaml"
    )
