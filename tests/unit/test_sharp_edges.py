"""What a new user hits first (issue 14): messages that say what is wrong and what to do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from uns.cli import main
from uns.config.yamlfile import read_yaml

ROOT = Path(__file__).resolve().parents[2]
MISSING = "uns: error: {path}: no such file or directory\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "{path}"],
        ["lint", "{path}"],
        ["tree", "{path}"],
        ["schema", "{path}"],
        ["diff", "{path}", "{path}"],
        ["explain", "--models", "{path}", "a/b", "1"],
        ["run", "--models", "{path}", "--broker", "mqtt://127.0.0.1:9", "--metrics-port", "0"],
        ["demo", "--models", "{path}", "--duration", "1", "--plain"],
        ["simulate", "--models", "{path}", "--broker", "mqtt://127.0.0.1:9", "--duration", "1"],
        ["replay", "{path}.jsonl", "--dry-run", "--models", "{path}"],
    ],
)
def test_a_missing_models_directory_reads_the_same_everywhere(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "nope")
    if argv[0] == "replay":
        (tmp_path / "nope.jsonl").write_text("")
    assert main([a.replace("{path}", path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.endswith(MISSING.format(path=path)), err
    assert "yaml-syntax" not in err


def test_a_tab_says_to_indent_with_spaces() -> None:
    _, problems = read_yaml("classes:\n\tpump: {}\n", "m.yaml")
    assert "tabs are not allowed for indentation" in problems[0].message


def test_an_unquoted_template_says_to_quote_it() -> None:
    _, problems = read_yaml("bindings:\n  - topic: {site}/raw/{tag}\n", "m.yaml")
    assert problems[0].message.endswith(
        '(a value starting with "{" is read as a YAML mapping: quote it, topic: "{site}/raw/{tag}")'
    )
    _, fine = read_yaml("tags:\n  speed: {datatype: float, unit: rpm}\n", "m.yaml")
    assert fine == []


def test_a_command_usage_error_shows_that_commands_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "models", "--strict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: uns check")
    assert "unrecognized arguments: --strict" in err


def test_help_texts_show_a_plain_percent(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "~1% of messages" in out
    assert "%%" not in out


def test_a_level_without_a_class_reads_with_the_right_article(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    binding = models / "bindings" / "cologne-line-1.yaml"
    text = binding.read_text()
    binding.write_text(
        text.replace(
            "equipment: cologne/bottling/line-1/filling/blow-molder",
            "equipment: cologne/bottling/line-1/filling",
            1,
        )
    )
    assert main(["check", str(models)]) == 1
    out = capsys.readouterr().out
    assert "'cologne/bottling/line-1/filling' is a cell without a class" in out
    binding.write_text(
        text.replace(
            "equipment: cologne/bottling/line-1/filling/blow-molder",
            "equipment: cologne/bottling",
            1,
        )
    )
    assert main(["check", str(models)]) == 1
    assert "'cologne/bottling' is an area without a class" in capsys.readouterr().out


def test_diff_prints_changes_on_stdout_and_the_summary_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["diff", str(ROOT / "models"), str(ROOT / "models")]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("0 added, 0 removed, 0 moved, 0 changed: compatible")


def test_explain_says_what_specificity_means(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "examples" / "minimal" / "model.yaml").read_text()
    second = """  - name: pump-1-only
    topic: "plc/P1/{raw_tag}"
    format: scalar
    equipment: "springfield/utilities/water/pump-1"
    tag: "{raw_tag}"
    tags:
      FLOW: {tag: flow, unit: l/min}
"""
    (tmp_path / "model.yaml").write_text(text.replace("bindings:\n", "bindings:\n" + second, 1))
    assert main(["explain", "--models", str(tmp_path), "plc/P1/FLOW", "12.5"]) == 0
    out = capsys.readouterr().out
    assert "matched binding 'pump-1-only'" in out
    assert "per level 3 literal" in out
    assert "pump-1-only: plc/P1/{raw_tag} (specificity (3, 3, 1, 3))" in out


def test_a_unit_error_points_at_the_unit_not_the_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "examples" / "minimal" / "model.yaml").read_text()
    line = "      FLOW: {tag: flow, unit: l/min} # converted to the class unit, m^3/h"
    assert line in text
    (tmp_path / "model.yaml").write_text(text.replace(line, line.replace("l/min", "l/mn")))
    number = text.splitlines().index(line) + 1
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"model.yaml:{number}:{line.index('l/min') + 1}: [error] unknown unit 'l/mn'" in out
