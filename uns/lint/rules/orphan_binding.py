"""Every binding reaches at least one tag of the model.

A binding whose `equipment` template fits no node with a class (or whose tags all miss the
class) publishes nothing: its raw data is dropped. The loader reports unknown equipment paths
it can enumerate (all captures mapped); this rule covers pass-through templates and any
binding that ends up with no tag at all.

PASS:

    bindings:
      - {topic: "plc/{asset}/{raw_tag}", equipment: "cologne/packaging/line-1/{asset}"}

FAIL:

    bindings:
      - {topic: "plc/{asset}/{raw_tag}", equipment: "koeln/packaging/line-1/{asset}"}
                                                # no such site: fits no equipment
"""

from __future__ import annotations

from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Problem

ID = "orphan-binding"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    pass


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    for bt in model.bindings:
        b = bt.binding
        if any(True for _ in bt.produced()):
            continue
        if any(t.shadowed for tags in bt.tags.values() for t in tags):
            continue  # more specific bindings take its data: binding-unreachable's business
        pos = b.key_positions.get("equipment", b.pos)
        classed = [eq for eq in bt.equipment if eq.node.asset_class is not None]
        if not bt.equipment:
            if bt.equipment_mapped:
                continue  # the loader reported each unknown path
            yield Problem.at(
                pos, f'binding "{b.name}": equipment "{b.equipment.source}" fits no node'
            )
        elif not classed:
            if bt.equipment_mapped:
                continue  # the loader reported "... without a class"
            yield Problem.at(
                pos,
                f'binding "{b.name}": equipment "{b.equipment.source}" fits only nodes '
                "without a class",
            )
        elif not bt.loader_checked_tags:
            yield Problem.at(
                b.key_positions.get("tag", b.pos),
                f'binding "{b.name}": no tag it can produce exists in the classes of its '
                f"{len(classed)} equipment",
            )
