"""`uns diff`: added, removed, moved and changed governed topics; what breaks consumers."""

from __future__ import annotations

import textwrap
from pathlib import Path

from uns.config.loader import load_model
from uns.lint.diff import NamespaceDiff, diff_namespaces, diff_to_json, format_diff_text

BASE = """
enterprise: {name: acme}
classes:
  pump:
    tags:
      flow: {unit: m^3/h}
      running: bool
sites:
  cologne:
    timezone: Europe/Berlin
    equipment: {pump-1: pump, pump-2: pump}
bindings:
  - topic: "plc/{asset}/{tag}"
    map: {asset: {P1: pump-1, P2: pump-2}}
    equipment: "cologne/{asset}"
    tags: {F: flow, R: running}
"""


def diff(tmp_path: Path, new_text: str, old_text: str = BASE) -> NamespaceDiff:
    for name, text in (("old", old_text), ("new", new_text)):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "model.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return diff_namespaces(load_model(tmp_path / "old"), load_model(tmp_path / "new"))


def test_identical_models(tmp_path: Path) -> None:
    d = diff(tmp_path, BASE)
    assert d.empty
    assert not d.breaking()


def test_added_tag_is_compatible(tmp_path: Path) -> None:
    d = diff(
        tmp_path, BASE.replace("      running: bool", "      running: bool\n      speed: float")
    )
    assert d.added == ["acme/cologne/pump-1/speed", "acme/cologne/pump-2/speed"]
    assert not d.breaking()


def test_removed_tag_breaks(tmp_path: Path) -> None:
    d = diff(tmp_path, BASE.replace("      running: bool\n", "").replace(", R: running", ""))
    assert d.removed == ["acme/cologne/pump-1/running", "acme/cologne/pump-2/running"]
    assert d.breaking()


def test_renamed_equipment_with_same_binding_is_moved(tmp_path: Path) -> None:
    new = BASE.replace("pump-2: pump}", "pump-02: pump}").replace("P2: pump-2", "P2: pump-02")
    d = diff(tmp_path, new)
    assert ("acme/cologne/pump-2/flow", "acme/cologne/pump-02/flow") in d.moved
    assert d.added == []
    assert d.removed == []
    assert d.breaking()
    assert "~ moved    acme/cologne/pump-2/flow -> acme/cologne/pump-02/flow" in format_diff_text(d)


def test_datatype_change_breaks_unit_change_only_when_asked(tmp_path: Path) -> None:
    d = diff(tmp_path, BASE.replace("running: bool", "running: int"))
    assert [c.what for c in d.changed] == ["datatype", "datatype"]
    assert d.breaking()
    d = diff(tmp_path / "u", BASE.replace("m^3/h", "l/min"))
    assert {c.what for c in d.changed} == {"unit"}
    assert not d.breaking()
    assert d.breaking(units=True)
    assert diff_to_json(d)["changed"][0] == {
        "topic": "acme/cologne/pump-1/flow",
        "field": "unit",
        "old": "m^3/h",
        "new": "l/min",
    }
