"""The whole asset model as one networkx graph; every node keeps its file:line:col.

Node ids and kinds (attribute `kind`; every node has `pos`, a `Position`, and `obj`, the model
object it stands for):

    enterprise                      enterprise
    asset:<site/area/.../name>      asset      (attribute `level`: site, area, line, ...)
    tag:<asset path>#<tag>          tag        (a tag of one equipment; `topic`: its governed topic)
    class:<name>                    class
    calendar:<name>                 calendar
    binding:<order>                 binding
    context:<order>                 context

Edges (attribute `rel`):

    enterprise -> site, parent -> child       contains
    equipment -> tag                          has-tag
    asset -> class                            instance-of
    class -> base class                       extends
    site -> calendar                          uses-calendar
    binding -> equipment                      targets    (`definite`; `tags`: the tags it
                                                          publishes there, i.e. which of the
                                                          equipment's tag nodes it produces)
    context source -> asset                   scopes

Which governed topics a binding produces is kept on its `targets` edges rather than as one
edge per topic: on a 200,000-tag model that halves the edge count, and the build time with it.

A tag node is the governed topic of that tag: `topic` is the topic text as the service
publishes it. `ModelGraph` bundles the graph with the namespace, the resolved binding reach
(`uns.lint.targets`) and the source lines (for suppressions and for positions the loader does
not keep).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import networkx as nx

from uns.lint.targets import BindingTargets, resolve_bindings
from uns.model.namespace import Binding, ContextSource, Namespace, Node
from uns.model.problem import Position
from uns.model.template import template_regex

ENTERPRISE = "enterprise"
_TAG_SLOT = "\x00"  # never in a loaded name (check_level rejects NUL): marks the tag level


def asset_id(node: Node) -> str:
    return f"asset:{node.path_text}"


def tag_id(node: Node, tag: str) -> str:
    return f"tag:{node.path_text}#{tag}"


def class_id(name: str) -> str:
    return f"class:{name}"


def calendar_id(name: str) -> str:
    return f"calendar:{name}"


def binding_id(b: Binding) -> str:
    return f"binding:{b.order}"


def context_id(c: ContextSource) -> str:
    return f"context:{c.order}"


@dataclass(slots=True, eq=False)
class ModelGraph:
    """The graph plus what rules need beside it."""

    ns: Namespace
    g: nx.DiGraph
    bindings: list[BindingTargets]
    sources: Mapping[str, Sequence[str]] = field(default_factory=dict)
    _slots: dict[int, str] = field(default_factory=dict)  # id(node) -> topic with a tag slot

    def topic_slot(self, node: Node) -> str:
        """The governed topic of `node` with NUL where the tag goes (cached per node)."""
        slot = self._slots.get(id(node))
        if slot is None:
            slot = "/".join(self.ns.governed_levels(node, _TAG_SLOT))
            self._slots[id(node)] = slot
        return slot

    def topic(self, node: Node, tag: str) -> str:
        return self.topic_slot(node).replace(_TAG_SLOT, tag)

    def equipment_path(self, node: Node) -> str:
        """The governed topic of `node` without its tag level: what identifies it to consumers."""
        return "/".join(lvl for lvl in self.topic_slot(node).split("/") if _TAG_SLOT not in lvl)

    def key_position(self, start: Position, key: str) -> Position:
        """Where `key:` is written at or after `start` (for entries the loader keeps no
        position of, such as a binding's `tags:` entries); `start` if not found."""
        return locate_key(self.sources.get(start.path, ()), start, key)


def locate_key(lines: Sequence[str], start: Position, key: str, window: int = 400) -> Position:
    """The first `key:` (plain or quoted) at or after `start`, within `window` lines."""
    rx = re.compile(r"""(?:^|[\s{,])(['"]?)""" + re.escape(key) + r"""\1\s*:(?:\s|$)""")
    first = start.line - 1
    for i in range(max(first, 0), min(len(lines), first + window)):
        text = lines[i]
        offset = start.column - 1 if i == first else 0
        m = rx.search(text, offset)
        if m is not None:
            col = m.start() + (1 if text[m.start()] in " \t{," else 0)
            return Position(start.path, i + 1, col + 1)
    return start


def read_sources(ns: Namespace) -> dict[str, list[str]]:
    """The lines of every model file (unreadable ones are empty: the loader reported them)."""
    out: dict[str, list[str]] = {}
    for path in ns.files:
        try:
            out[path] = FsPath(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            out[path] = []
    return out


def build_graph(ns: Namespace, sources: Mapping[str, Sequence[str]] | None = None) -> ModelGraph:
    """Build the model graph (see the module docstring for its shape)."""
    g: nx.DiGraph = nx.DiGraph()
    model = ModelGraph(
        ns, g, resolve_bindings(ns), sources if sources is not None else read_sources(ns)
    )
    g.add_node(ENTERPRISE, kind="enterprise", pos=ns.enterprise_pos, obj=ns.enterprise)
    nodes: list[tuple[str, dict[str, Any]]] = []
    edges: list[tuple[str, str, dict[str, Any]]] = []
    for name, cls in ns.classes.items():
        nodes.append((class_id(name), {"kind": "class", "pos": cls.pos, "obj": cls}))
        edges += [(class_id(name), class_id(base), {"rel": "extends"}) for base in cls.extends]
    for name, cal in ns.calendars.items():
        pos = ns.calendar_pos.get(name, ns.enterprise_pos)
        nodes.append((calendar_id(name), {"kind": "calendar", "pos": pos, "obj": cal}))
    paths: dict[int, str] = {}
    for node in ns.nodes.values():
        path = paths[id(node)] = node.path_text
        aid = "asset:" + path
        nodes.append((aid, {"kind": "asset", "level": node.level, "pos": node.pos, "obj": node}))
        parent = "asset:" + paths[id(node.parent)] if node.parent is not None else ENTERPRISE
        edges.append((parent, aid, {"rel": "contains"}))
        if node.asset_class is not None:
            edges.append((aid, class_id(node.asset_class.name), {"rel": "instance-of"}))
            slot = model.topic_slot(node)
            for tag_name, tag in node.asset_class.tags.items():
                tid = f"tag:{path}#{tag_name}"
                nodes.append(
                    (
                        tid,
                        {
                            "kind": "tag",
                            "pos": node.pos,
                            "obj": tag,
                            "node": node,
                            "topic": slot.replace(_TAG_SLOT, tag_name),
                        },
                    )
                )
                edges.append((aid, tid, {"rel": "has-tag"}))
    for site_name, site in ns.sites.items():
        if site.calendar is not None and site.calendar in ns.calendars:
            edges.append(
                (f"asset:{site_name}", calendar_id(site.calendar), {"rel": "uses-calendar"})
            )
    for bt in model.bindings:
        b = bt.binding
        bid = binding_id(b)
        nodes.append((bid, {"kind": "binding", "pos": b.pos, "obj": b}))
        produced: dict[int, list[str]] = {}
        for eq, t in bt.produced():
            produced.setdefault(id(eq.node), []).append(t.tag)
        for eq in bt.equipment:
            attrs = {
                "rel": "targets",
                "definite": eq.definite,
                "tags": tuple(produced.get(id(eq.node), ())),
            }
            edges.append((bid, "asset:" + paths[id(eq.node)], attrs))
    g.add_nodes_from(nodes)
    for src in ns.context_sources:
        cid = context_id(src)
        g.add_node(cid, kind="context", pos=src.pos, obj=src)
        edges += [(cid, asset_id(n), {"rel": "scopes"}) for n in scope_nodes(ns, src)]
    g.add_edges_from(edges)
    return model


def scope_nodes(ns: Namespace, src: ContextSource) -> list[Node]:
    """The nodes a context source's scope can name (mapped captures only to mapped names)."""
    tpl = src.scope
    if not tpl.fields:
        node = ns.node(tpl.source)
        return [node] if node is not None else []
    maps = src.spec.map
    if all(f in maps for f in tpl.fields):
        out = []
        names = [sorted(set(maps[f].values())) for f in tpl.fields]
        seen: set[str] = set()
        for combo in _product(names):
            path = tpl.render(dict(zip(tpl.fields, combo, strict=True)))
            node = ns.node(path)
            if node is not None and path not in seen:
                seen.add(path)
                out.append(node)
        return out
    rx = template_regex(tpl.source)
    return [n for n in ns.nodes.values() if rx.fullmatch(n.path_text)]


def _product(choices: list[list[str]], limit: int = 10_000) -> list[tuple[str, ...]]:
    total = 1
    for c in choices:
        total *= max(len(c), 1)
    if total > limit:
        return []
    out: list[tuple[str, ...]] = [()]
    for c in choices:
        out = [(*prefix, v) for prefix in out for v in c]
    return out
