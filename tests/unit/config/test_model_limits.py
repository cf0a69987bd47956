"""Hostile model files (issue 13): sizes checked before parsing, nesting refused with a
position, never a RecursionError; a reload of such a model keeps the working one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from uns.cli import main
from uns.config.entries import ModelLimits
from uns.config.loader import load_model_lenient
from uns.config.yamlfile import read_yaml
from uns.reload import try_load

PLANT = Path(__file__).resolve().parents[2] / "data" / "models" / "plant"
LEVELS = 900


def _flow(levels: int) -> str:
    return "deep: " + "[" * levels + "1" + "]" * levels + "\n"


def _block(levels: int) -> str:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(levels)) + "  " * levels + "1\n"


# where the 65th level starts: the 64th `[` after `deep: `; the mapping holding `k64:`
@pytest.mark.parametrize(
    ("text", "line", "column"),
    [(_flow(LEVELS), 1, 70), (_block(LEVELS), 65, 129)],
    ids=["flow", "block"],
)
def test_deep_nesting_is_a_positioned_problem(text: str, line: int, column: int) -> None:
    doc, problems = read_yaml(text, "deep.yaml")
    assert doc is None
    [problem] = problems
    assert problem.rule == "yaml-syntax"
    assert problem.message == "maps and lists nested more than 64 levels deep"
    assert (problem.pos.line, problem.pos.column) == (line, column)


def test_nesting_up_to_the_limit_is_fine() -> None:
    doc, problems = read_yaml(_flow(63), "ok.yaml")  # 63 lists in the root mapping: 64 levels
    assert doc is not None
    assert problems == []
    assert read_yaml(_flow(64), "deep.yaml")[0] is None


def test_nesting_through_aliases_is_refused_too() -> None:
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 100)]
    doc, problems = read_yaml("\n".join(lines) + "\n", "aliases.yaml")
    assert doc is None
    assert "aliases nest" in problems[0].message


def test_a_file_too_big_says_so_not_that_aliases_expand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("uns.config.yamlfile.MAX_EXPANDED_NODES", 50)
    doc, problems = read_yaml("k: [" + ", ".join(["1"] * 100) + "]\n", "big.yaml")
    assert doc is None
    assert problems[0].message == "the file has more than 50 nodes"


def test_an_alias_bomb_in_complex_keys_is_refused_before_the_keys_expand() -> None:
    # Complex keys become tuples while the file is built: each level doubles, 2**40 leaves.
    lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    lines += [f"? *a{i}\n: {i}" for i in range(20, 40)]
    doc, problems = read_yaml("\n".join(lines) + "\n", "keys.yaml")
    assert doc is None
    [problem] = problems
    assert problem.message == "YAML aliases expand to more than 2000000 nodes"


def _model(tmp_path: Path, extra: str) -> Path:
    root = tmp_path / "models"
    shutil.copytree(PLANT, root)
    (root / "zz-extra.yaml").write_text(extra, encoding="utf-8")
    return root


def test_uns_check_reports_deep_nesting_with_its_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _model(tmp_path, _flow(LEVELS))
    assert main(["check", str(root)]) == 1
    out = capsys.readouterr().out
    assert "zz-extra.yaml:1:" in out
    assert "nested more than 64 levels" in out


def test_a_reload_of_a_deep_model_is_a_problem_not_an_internal_error(tmp_path: Path) -> None:
    root = _model(tmp_path, _flow(LEVELS))
    ns, result = try_load(root)
    assert ns is None  # the watcher keeps the working model
    assert not result.ok
    assert ["nested more than 64 levels" in p.message for p in result.problems] == [True]


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    biggest = max(p.stat().st_size for p in PLANT.rglob("*.yaml"))
    root = _model(tmp_path, "{{{ not even yaml " + "x" * biggest + "\n")
    _, problems = load_model_lenient(root, ModelLimits(max_file_bytes=biggest))
    [problem] = problems
    assert problem.pos.path.endswith("zz-extra.yaml")
    assert "over the limit of" in problem.message
    assert "per model file" in problem.message


def test_a_directory_over_the_total_limit_is_not_parsed(tmp_path: Path) -> None:
    root = _model(tmp_path, "{{{ not even yaml\n")
    size = sum(p.stat().st_size for p in root.rglob("*.yaml"))
    limits = ModelLimits(max_total_bytes=size - 1)
    _, problems = load_model_lenient(root, limits)
    [total] = [p for p in problems if p.message.startswith("model files total")]
    assert total.message.startswith(f"model files total {size} bytes, over the limit of ")
    assert "none was read" in total.message
    # nothing was parsed: no syntax error from the broken file, the sections are missing
    assert all(p.rule != "yaml-syntax" or p is total for p in problems)
    assert any("enterprise" in p.message for p in problems)


def test_settings_give_the_limits_in_megabytes() -> None:
    from uns.config.settings import ServiceSettings

    section = ServiceSettings.model_validate({"model_limits": {"max_file_mb": 0.5}}).model_limits
    assert section.limits() == ModelLimits(max_file_bytes=512 * 1024)


async def test_the_watcher_keeps_the_working_model_when_a_deep_one_arrives(tmp_path: Path) -> None:
    from uns.model.namespace import Namespace
    from uns.reload import ModelWatcher, ReloadResult

    root = _model(tmp_path, "")
    applied: list[str] = []
    results: list[ReloadResult] = []

    async def apply(_ns: Namespace, version: str) -> None:
        applied.append(version)

    watcher = ModelWatcher(root, apply, results.append, limits=ModelLimits(max_depth=10))
    await watcher.check()
    assert len(applied) == 1  # the working model
    (root / "zz-extra.yaml").write_text(_block(LEVELS), encoding="utf-8")
    result = await watcher.check()
    assert result is not None
    assert not result.ok
    assert applied == [watcher.version]  # nothing new applied: the working model stays
    assert [p.message for p in result.problems] == [
        "maps and lists nested more than 10 levels deep"
    ]
