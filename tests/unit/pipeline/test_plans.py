"""Tag plans: what is compiled once per raw (topic, sample id)."""

from __future__ import annotations

import pytest

from uns.model.namespace import Binding, Namespace
from uns.model.trie import IndexHit, TopicIndex
from uns.normalize.quality import compile_quality_parser
from uns.pipeline.outputs import Rejection
from uns.pipeline.plans import PlanCompiler, TagPlan


def hit(ns: Namespace, topic: str) -> IndexHit[Binding]:
    index: TopicIndex[Binding] = TopicIndex()
    for b in ns.bindings:
        index.add(b.pattern, b)
    found = index.lookup(topic)
    assert found is not None, topic
    return found


def test_a_plan_holds_the_governed_topic_asset_and_conversion(plant: Namespace) -> None:
    compiler = PlanCompiler(plant, "abc123def456")
    plan = compiler.plan(hit(plant, "raw/scalar/O1/PT100"), "raw/scalar/O1/PT100", None)
    assert isinstance(plan, TagPlan)
    assert plan.topic == "testco/berlin/baking/line-1/oven-cell/oven-1/pressure"
    assert plan.asset["equipment"] == "oven-1"
    assert plan.asset["line"] == "line-1"
    assert plan.convert is not None
    assert plan.convert(14.5) == pytest.approx(0.99974, abs=1e-4)  # psi -> bar
    assert plan.static_json.startswith(b',"unit":"bar","asset":{"enterprise":"testco"')
    assert plan.source_json == (
        b',"source":{"topic":"raw/scalar/O1/PT100","binding":"berlin-scalar","model":"abc123def456"'
    )
    assert not plan.nullable


def test_batch_ids_are_matched_and_mapped(plant: Namespace) -> None:
    compiler = PlanCompiler(plant)
    kepware = hit(plant, "raw/kepware/austin")
    plan = compiler.plan(kepware, "raw/kepware/austin", "L9.OV9.TT1")
    assert isinstance(plan, TagPlan)
    assert plan.topic.endswith("austin/baking/line-9/oven-9/temperature")
    assert compiler.plan(kepware, "raw/kepware/austin", "L1.OV9.TT1") == Rejection(
        "unknown_code", "line 'L1' is not in the binding's map"
    )
    assert compiler.plan(kepware, "raw/kepware/austin", "L9.OV9.XX").reason == "unknown_raw_tag"  # type: ignore[union-attr]
    assert compiler.plan(kepware, "raw/kepware/austin", "nodots").reason == "unknown_id"  # type: ignore[union-attr]


def test_topic_codes_outside_the_map(plant: Namespace) -> None:
    topic = "raw/records/austin/L7"
    plan = PlanCompiler(plant).plan(hit(plant, topic), topic, "temperature")
    assert plan == Rejection("unknown_code", "line 'L7' is not in the binding's map")


def test_parsers_are_shared_per_binding_and_site(plant: Namespace) -> None:
    compiler = PlanCompiler(plant)
    json_hit = hit(plant, "raw/json/L1/O1")
    first = compiler.plan(json_hit, "raw/json/L1/O1", None)
    again = compiler.plan(json_hit, "raw/json/L1/O1", "other")
    assert isinstance(first, TagPlan)
    assert isinstance(again, TagPlan)
    assert first.parse_ts is again.parse_ts
    assert first.parse_quality(192) == compile_quality_parser("auto")(192) == "good"
