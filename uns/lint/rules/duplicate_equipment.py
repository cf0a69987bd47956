"""No two equipment may share a governed path.

The loader refuses two nodes with the same name under one parent. This rule finds the
collisions the topic layout creates: when `topics.layout` leaves a level out (say the area),
`cologne/bottling/line-1/filler` and `cologne/canning/line-1/filler` both publish under
`acme/cologne/line-1/filler/...`, and every tag of one overwrites the other. Reported at the
later equipment.

PASS (the default layout keeps every level):

    enterprise: {name: acme}

FAIL:

    enterprise:
      name: acme
      topics: {layout: "{enterprise}/{site}/{line}/{equipment}/{tag}"}
    sites:
      cologne:
        timezone: Europe/Berlin
        area:
          bottling: {line: {line-1: {equipment: {filler: filler}}}}
          canning: {line: {line-1: {equipment: {filler: filler}}}}   # same governed path
"""

from __future__ import annotations

from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.namespace import Node
from uns.model.problem import Level, Problem

ID = "duplicate-equipment"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    pass


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    first: dict[str, Node] = {}
    for node in sorted(model.ns.equipment(), key=lambda n: n.pos):
        path = model.equipment_path(node)
        other = first.setdefault(path, node)
        if other is not node:
            yield Problem.at(
                node.pos,
                f"{node.path_text} publishes under {path}, like {other.path_text} "
                f"({other.pos}); the topic layout leaves out a level that tells them apart",
            )
