"""Every equipment with a class is fed by some binding.

Equipment nobody binds publishes nothing; at one site out of many it is usually a forgotten
gateway. Pass-through bindings count (they may feed it). Reported per equipment, or once per
site when no equipment of the site is bound at all. A model without any bindings yet (a tree
being drafted) is not checked.

PASS: every pump has a binding.

FAIL:

    equipment: {pump-1: pump, pump-2: pump}
    bindings:
      - {topic: "plc/P1/{raw_tag}", equipment: cologne/water/pump-1}   # pump-2: unbound
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.namespace import Node
from uns.model.problem import Level, Problem

ID = "unbound-equipment"
DEFAULT_LEVEL: Level = "warning"


class Options(RuleOptions):
    pass


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    if not ns.bindings:
        return
    bound: set[int] = set()
    for bt in model.bindings:
        for eq, _t in bt.produced():
            bound.add(id(eq.node))
    per_site: dict[str, list[Node]] = defaultdict(list)
    site_bound: set[str] = set()
    for node in ns.equipment():
        if not node.tags:
            continue
        if id(node) in bound:
            site_bound.add(node.site)
        else:
            per_site[node.site].append(node)
    for site, nodes in per_site.items():
        if site not in site_bound:
            yield Problem.at(
                ns.nodes[(site,)].pos,
                f"site {site} has {len(nodes)} equipment with tags and no binding feeds any",
            )
            continue
        for node in nodes:
            yield Problem.at(node.pos, f"no binding feeds {node.path_text} ({len(node.tags)} tags)")
