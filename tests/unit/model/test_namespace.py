"""The namespace: lookups and the one governed-topic walk, on a hand-built tree.

Tree: acme / cologne (site) / packaging (area) / line-1 (line) / filler-1 (equipment, class
Filler with tag temperature); no `cell` level on this branch. Expected topics follow the
layout rule: levels a branch lacks are left out.
"""

from __future__ import annotations

import pytest

from uns.errors import TopicError
from uns.model.namespace import AssetClass, Namespace, Node, Tag
from uns.model.problem import Position
from uns.model.specs import EnterpriseSpec, TopicsSpec

POS = Position("models/x.yaml", 3, 5)


def build(topics: TopicsSpec | None = None, filler_name: str = "filler-1") -> Namespace:
    spec = EnterpriseSpec(name="acme", topics=topics or TopicsSpec())
    ns = Namespace(enterprise=spec, enterprise_pos=POS)
    temp = Tag("temperature", "float", "degC", "", None, False, POS, "Filler")
    filler = AssetClass("Filler", "", (), {"temperature": temp}, POS, {"temperature": temp})
    ns.classes["Filler"] = filler
    parent: Node | None = None
    for level, name in [
        ("site", "cologne"),
        ("area", "packaging"),
        ("line", "line-1"),
        ("equipment", filler_name),
    ]:
        path = (*parent.path, name) if parent else (name,)
        node = Node(name=name, level=level, path=path, pos=POS, parent=parent)
        if parent is not None:
            parent.children[name] = node
        ns.nodes[path] = node
        parent = node
    assert parent is not None
    parent.asset_class = filler
    return ns


def filler(ns: Namespace) -> Node:
    node = next(ns.equipment())
    assert node.level == "equipment"
    return node


def test_lookups_by_path_text() -> None:
    ns = build()
    node = ns.node("cologne/packaging/line-1")
    assert node is not None
    assert node.level == "line"
    assert node.site == "cologne"
    assert ns.node("cologne/nowhere") is None
    assert [n.name for n in ns.nodes[("cologne",)].walk()] == [
        "cologne",
        "packaging",
        "line-1",
        "filler-1",
    ]
    assert [n.path_text for n in ns.equipment()] == ["cologne/packaging/line-1/filler-1"]
    assert list(filler(ns).tags) == ["temperature"]


def test_default_layout_lists_every_level() -> None:
    assert build().layout_source == "{enterprise}/{site}/{area}/{line}/{cell}/{equipment}/{tag}"


def test_asset_levels_run_from_the_enterprise_down() -> None:
    ns = build()
    assert list(ns.asset_levels(filler(ns)).items()) == [
        ("enterprise", "acme"),
        ("site", "cologne"),
        ("area", "packaging"),
        ("line", "line-1"),
        ("equipment", "filler-1"),
    ]


def test_governed_topic_leaves_out_the_missing_cell_level() -> None:
    ns = build()
    topic = ns.governed_topic(filler(ns), "temperature")
    assert str(topic) == "acme/cologne/packaging/line-1/filler-1/temperature"


def test_prefix_and_custom_layout() -> None:
    ns = build(TopicsSpec(prefix="uns/v1", layout="{site}/{line}/{equipment}_{tag}"))
    assert str(ns.governed_topic(filler(ns), "temperature")) == (
        "uns/v1/cologne/line-1/filler-1_temperature"
    )
    # A layout level whose placeholders the branch lacks is left out as a whole.
    line = ns.node("cologne/packaging/line-1")
    assert line is not None
    assert ns.governed_levels(line, "state") == ["uns", "v1", "cologne", "line-1"]


def test_levels_are_unvalidated_but_the_topic_is_validated() -> None:
    ns = build(filler_name="$bad")
    node = filler(ns)
    assert ns.governed_levels(node, "temperature")[-2:] == ["$bad", "temperature"]
    with pytest.raises(TopicError, match="starts with '\\$'"):
        ns.governed_topic(node, "temperature")


def test_deadletter_topic() -> None:
    assert str(build().deadletter_topic("bad_json")) == "acme/_deadletter/bad_json"
    prefixed = build(TopicsSpec(prefix="uns", deadletter="dl/{enterprise}/{reason}"))
    assert str(prefixed.deadletter_topic("no_binding")) == "uns/dl/acme/no_binding"
