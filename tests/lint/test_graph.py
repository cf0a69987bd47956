"""The model graph: node kinds, positions, edges, governed topics."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from uns.config.loader import load_model
from uns.lint.graph import build_graph

ROOT = Path(__file__).resolve().parents[2]


def test_minimal_example_graph() -> None:
    ns = load_model(ROOT / "examples" / "minimal")
    model = build_graph(ns)
    g = model.g
    kinds = nx.get_node_attributes(g, "kind")
    assert sorted(set(kinds.values())) == [
        "asset",
        "binding",
        "calendar",
        "class",
        "context",
        "enterprise",
        "tag",
    ]
    assert all(g.nodes[n]["pos"].line >= 1 for n in g)
    tag = "tag:springfield/utilities/water/pump-1#flow"
    assert g.nodes[tag]["topic"] == "acme/springfield/utilities/water/pump-1/flow"
    assert g.nodes[tag]["topic"] == str(ns.governed_topic(ns.node(tag[4:-5]), "flow"))  # type: ignore[arg-type]
    assert g.edges["asset:springfield/utilities/water/pump-1", tag]["rel"] == "has-tag"
    assert g.edges["asset:springfield/utilities/water/pump-1", "class:pump"]["rel"] == (
        "instance-of"
    )
    targets = g.edges["binding:0", "asset:springfield/utilities/water/pump-1"]
    assert targets["definite"] is True
    assert sorted(targets["tags"]) == ["flow", "pressure", "running"]
    assert g.edges["asset:springfield", "calendar:day-shift"]["rel"] == "uses-calendar"
    assert g.edges["context:0", "asset:springfield/utilities/water"]["rel"] == "scopes"
    assert nx.ancestors(g, tag) >= {"enterprise", "asset:springfield", "binding:0"}
