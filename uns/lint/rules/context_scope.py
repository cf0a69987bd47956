"""Every context scope names nodes, and every scope reaches equipment.

A context source announces batch / product / order for the nodes its `scope` names; static
`context:` defaults sit on nodes too. The loader checks scopes it can enumerate (all captures
mapped). This rule covers the rest: a scope with pass-through captures that fits no node is
unknown; a scope (or a node with static context) with no equipment below it is unused, since
no tag ever carries that context.

PASS:

    context:
      - {topic: "mes/{line}/order", scope: "cologne/packaging/{line}", fields: {order: id}}

FAIL:

    context:
      - {topic: "mes/{line}/order", scope: "koeln/packaging/{line}", fields: {order: id}}
                                         # no site koeln: the scope fits no node
"""

from __future__ import annotations

from collections.abc import Iterator

from uns.lint.graph import ModelGraph, scope_nodes
from uns.lint.options import RuleOptions
from uns.model.namespace import Node
from uns.model.problem import Level, Problem

ID = "context-scope"
DEFAULT_LEVEL: Level = "warning"


class Options(RuleOptions):
    pass


def _has_equipment(node: Node, memo: dict[int, bool]) -> bool:
    got = memo.get(id(node))
    if got is None:
        got = node.asset_class is not None or any(
            _has_equipment(c, memo) for c in node.children.values()
        )
        memo[id(node)] = got
    return got


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    memo: dict[int, bool] = {}
    for src in ns.context_sources:
        pos = src.key_positions.get("scope", src.pos)
        mapped = all(f in src.spec.map for f in src.scope.fields)
        nodes = scope_nodes(ns, src)
        if not nodes:
            if not mapped:
                yield Problem.at(
                    pos, f'scope "{src.scope.source}" of context source {src.name} fits no node'
                )
            continue
        empty = [n.path_text for n in nodes if not _has_equipment(n, memo)]
        if empty:
            shown = ", ".join(empty[:3]) + (f" (+{len(empty) - 3} more)" if len(empty) > 3 else "")
            yield Problem.at(
                pos, f"context source {src.name} scopes nodes with no equipment below: {shown}"
            )
    for node in ns.nodes.values():
        if node.context and not _has_equipment(node, memo):
            yield Problem.at(
                node.pos,
                f"static context on {node.path_text} reaches no equipment (none below it)",
            )
