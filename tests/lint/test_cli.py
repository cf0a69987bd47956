"""Exit codes and output of `uns lint`, `uns tree` and `uns diff` through `uns.cli.main`."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from uns.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "inconsistent")
MINIMAL = str(ROOT / "examples" / "minimal")


def write(path: Path, text: str) -> str:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def test_clean_model_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", MINIMAL, "--format", "text"]) == 0
    assert capsys.readouterr().err.strip() == "no problems"


def test_errors_exit_1_and_text_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", EXAMPLE, "--format", "text"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(": error duplicate-topic " in line for line in out)


def test_warnings_only_exit_0_or_1_with_strict(tmp_path: Path) -> None:
    models = tmp_path / "m"
    models.mkdir()
    write(
        models / "model.yaml",
        """
        enterprise: {name: acme}
        classes: {pump: {tags: {flow: float}}, spare: {}}
        sites: {cologne: {timezone: Europe/Berlin, equipment: {p1: pump}}}
    """,
    )
    assert main(["lint", str(models), "--format", "json"]) == 0
    assert main(["lint", str(models), "--format", "json", "--strict"]) == 1


def test_info_never_fails(tmp_path: Path) -> None:
    models = tmp_path / "m"
    models.mkdir()
    write(models / "model.yaml", "enterprise: {name: acme}\nclasses: {spare: {}}\n")
    conf = write(tmp_path / "lint.yaml", "rules: {unused-class: {level: info}}\n")
    assert main(["lint", str(models), "--config", conf, "--strict", "--format", "json"]) == 0


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(tmp_path / "missing")]) == 2
    bad = write(tmp_path / "lint.yaml", "rules:\n  no-such-rule: disable\n")
    assert main(["lint", MINIMAL, "--config", bad]) == 2
    assert "lint.yaml:2:3" in capsys.readouterr().err
    assert main(["lint", MINIMAL, "--config", str(tmp_path / "nope.yaml")]) == 2
    assert main(["lint", MINIMAL, "--format", "xml"]) == 2


def test_unreadable_model_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    models = tmp_path / "m"
    models.mkdir()
    write(models / "model.yaml", "enterprise: {name: acme\n")
    assert main(["lint", str(models), "--format", "json"]) == 1


def test_sarif_and_github_formats(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["lint", EXAMPLE, "--format", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    assert log["version"] == "2.1.0"
    assert log["runs"][0]["results"]
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["lint", EXAMPLE]) == 1
    assert capsys.readouterr().out.startswith("::")


def test_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tree", MINIMAL]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "acme (6 tags)"
    assert out[-1].endswith("pump-2 [pump] (3 tags)")
    assert main(["tree", MINIMAL, "--site", "nowhere"]) == 2
    assert main(["tree", MINIMAL, "--depth", "0"]) == 2


def test_diff_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old"
    shutil.copytree(MINIMAL, old)
    new = tmp_path / "new"
    shutil.copytree(MINIMAL, new)
    assert main(["diff", str(old), str(new)]) == 0
    assert "compatible" in capsys.readouterr().err  # the summary, like check's and lint's
    model = new / "model.yaml"
    model.write_text(
        model.read_text()
        .replace("pump-2: pump", "pump-02: pump")
        .replace("P2: pump-2", "P2: pump-02")
    )
    assert main(["diff", str(old), str(new), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["breaking"]
    assert len(doc["moved"]) == 3
    assert main(["diff", str(old), str(tmp_path / "missing")]) == 2


def test_diff_counts_a_unit_change_as_breaking_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old"
    shutil.copytree(MINIMAL, old)
    new = tmp_path / "new"
    shutil.copytree(MINIMAL, new)
    model = new / "model.yaml"
    text = model.read_text()
    assert "unit: bar}" in text
    model.write_text(text.replace("unit: bar}", "unit: kPa}"))  # a bar tag now holds kPa
    assert main(["diff", str(old), str(new)]) == 1
    out, err = capsys.readouterr()
    assert "! unit" in out
    assert "(not breaking)" not in out
    assert "BREAKING" in err
    assert main(["diff", str(old), str(new), "--allow-unit-changes"]) == 0
    out, err = capsys.readouterr()
    assert "(not breaking)" in out
    assert "compatible" in err
    assert main(["diff", str(old), str(new), "--fail-on-unit"]) == 1  # the old flag still works
