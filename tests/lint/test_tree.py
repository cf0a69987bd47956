"""`uns tree`: governed topic levels with tag counts."""

from __future__ import annotations

import textwrap
from pathlib import Path

from uns.config.loader import load_model
from uns.lint.treeview import governed_tree, render_tree

MODEL = """
enterprise: {name: acme, topics: {prefix: v1}}
classes:
  pump: {tags: {flow: {unit: m^3/h}, running: bool}}
  fan: {tags: {speed: float}}
sites:
  cologne:
    timezone: Europe/Berlin
    area: {water: {equipment: {pump-1: pump, fan-1: fan}}}
  dallas:
    timezone: America/Chicago
    equipment: {pump-1: pump}
"""


def tree_lines(tmp_path: Path, **kw: object) -> list[str]:
    (tmp_path / "model.yaml").write_text(textwrap.dedent(MODEL), encoding="utf-8")
    ns = load_model(tmp_path)
    site = kw.pop("site", None)
    return render_tree(governed_tree(ns, site if isinstance(site, str) else None), **kw)  # type: ignore[arg-type]


def test_full_tree(tmp_path: Path) -> None:
    assert tree_lines(tmp_path) == [
        "v1 (5 tags)",
        "└── acme (5 tags)",
        "    ├── cologne (3 tags)",
        "    │   └── water (3 tags)",
        "    │       ├── fan-1 [fan] (1 tag)",
        "    │       └── pump-1 [pump] (2 tags)",
        "    └── dallas (2 tags)",
        "        └── pump-1 [pump] (2 tags)",
    ]


def test_depth_site_and_tags(tmp_path: Path) -> None:
    assert tree_lines(tmp_path, depth=2) == [
        "v1 (5 tags)",
        "└── acme (5 tags)",
    ]
    lines = tree_lines(tmp_path, site="dallas", show_tags=True)
    assert lines[-2:] == ["            ├── flow: float m^3/h", "            └── running: bool"]
