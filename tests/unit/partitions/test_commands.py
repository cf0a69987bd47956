"""`uns partitions`, `uns explain --partitions` and `uns tree --partitions`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.partition_model import write_model
from uns.cli import main
from uns.config.loader import load_model
from uns.model.partition import owner

ROOT = Path(__file__).parents[3]


def test_split_report_of_the_shipped_models(capsys: pytest.CaptureFixture[str]) -> None:
    ns = load_model(ROOT / "models")
    assert main(["partitions", str(ROOT / "models"), "--count", "3"]) == 0
    out = capsys.readouterr().out
    for b in ns.bindings:
        line = next(line for line in out.splitlines() if f" {b.name}," in f"{line},")
        assert line.strip().startswith(f"{owner(b.name, 3)}/3:")
    counts = [int(m[1]) for m in re.finditer(r"^  \d/3: +(\d+) binding", out, re.MULTILINE)]
    assert len(counts) == 3
    assert sum(counts) == len(ns.bindings)
    assert "every partition: 2 context source(s)" in out


def test_report_names_spread_sparkplug_bindings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_model(tmp_path, 4, [("G", "E1")], spread_sparkplug=True)
    assert main(["partitions", str(root), "--count", "2", "--summary"]) == 0
    out = capsys.readouterr().out
    assert "every partition, split by edge node: 1 Sparkplug binding(s)" in out
    assert "line-b0" not in out  # --summary: counts only


def test_explain_says_which_partition_owns_the_topic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_model(tmp_path, 4)
    main(["explain", "--models", str(root), "--partitions", "3", "raw/b2/T1", "1.5"])
    assert f"  partition: {owner('line-b2', 3)}/3" in capsys.readouterr().out
    main(["explain", "--models", str(root), "--partitions", "3", "mes/batch", "{}"])
    assert "partition: every partition of 3" in capsys.readouterr().out


def test_tree_lists_the_owners(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_model(tmp_path, 4)
    assert main(["tree", str(root), "--partitions", "2"]) == 0
    out = capsys.readouterr().out
    assert "4 binding(s) over 2 partition(s)" in out
    assert f"{owner('line-b3', 2)}/2:" in next(x for x in out.splitlines() if "line-b3" in x)
