"""Every class is used: by a node, or as the base of a class that is.

An unused class is usually a leftover or a typo'd copy of the one in use (the node names
`filer` and the class `filler` sits idle). The loader reports references to unknown classes;
this rule reports the other direction.

PASS:

    classes: {pump: {tags: {flow: float}}}
    sites: {cologne: {timezone: Europe/Berlin, equipment: {pump-1: pump}}}

FAIL:

    classes:
      pump: {tags: {flow: float}}
      old-pump: {tags: {flow: float}}    # no node uses it
"""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from uns.lint.graph import ModelGraph, class_id
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Problem

ID = "unused-class"
DEFAULT_LEVEL: Level = "warning"


class Options(RuleOptions):
    pass


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    used = {n.asset_class.name for n in ns.equipment() if n.asset_class is not None}
    extends = nx.DiGraph()
    extends.add_nodes_from(class_id(c) for c in ns.classes)
    extends.add_edges_from(
        (class_id(c), class_id(base)) for c, cls in ns.classes.items() for base in cls.extends
    )
    reachable = {class_id(c) for c in used}
    for c in list(reachable):
        if c in extends:
            reachable |= nx.descendants(extends, c)
    for name, cls in ns.classes.items():
        if class_id(name) not in reachable:
            yield Problem.at(cls.pos, f"class {name} is not used by any node or used class")
