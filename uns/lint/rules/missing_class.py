"""Every leaf of a site tree has a class.

A node with no children and no class has no tags: nothing is ever published under it. Usually
the class was forgotten (`filler-3: {}`) or the node should be removed.

PASS:

    equipment:
      filler-1: filler

FAIL:

    equipment:
      filler-1: filler
      filler-2: {}          # no class: no tags
"""

from __future__ import annotations

from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Problem

ID = "missing-class"
DEFAULT_LEVEL: Level = "warning"


class Options(RuleOptions):
    pass


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    for node in model.ns.nodes.values():
        if not node.children and node.asset_class is None:
            yield Problem.at(
                node.pos, f"{node.level} {node.path_text} has no class and no children: no tags"
            )
