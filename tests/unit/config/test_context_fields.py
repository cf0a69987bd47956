"""Context published one field per topic (`format: scalar` context sources, issue 12).

MES and SCADA bridges (e.g. a Kepware or Node-RED flow flattening an ISA-95 B2MML work order)
often publish each field as a bare value on its own, usually retained, topic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.config.enrich import NOW, context_after
from tests.unit.config.test_loader import load
from uns.context.production import ContextStore
from uns.pipeline import Enricher

FILES = {
    "bindings.yaml": """\
        bindings:
          - topic: "plc/{eq}/{tag}"
            format: json
            equipment: "plant/utilities/water/{eq}"
        """,
    "context.yaml": """\
        context:
          - name: water-fields
            topic: "mes/water/{field}"
            format: scalar
            map:
              field: {workorder: order, lotnumber: batch, material: product}
            scope: plant/utilities/water
            key: "{field}"
          - name: plant-order
            topic: mes/plant/order
            format: scalar
            scope: plant
            key: order
        """,
}


def test_each_field_topic_fills_its_key(tmp_path: Path) -> None:
    ns, problems = load(tmp_path, FILES)
    assert problems == []
    context = context_after(
        ns,
        ("mes/water/workorder", b'"WO-1234"'),  # a JSON string
        ("mes/water/lotnumber", b"L-77"),  # plain text
        ("mes/water/material", b"4711"),  # a number
    )
    assert (context["order"], context["batch"], context["product"]) == ("WO-1234", "L-77", "4711")


def test_an_empty_payload_clears_the_key(tmp_path: Path) -> None:
    ns, _ = load(tmp_path, FILES)
    context = context_after(
        ns,
        ("mes/plant/order", b"WO-1"),
        ("mes/water/workorder", b"WO-2"),
        ("mes/water/workorder", b""),
    )
    assert context["order"] == "WO-1"  # the line's value is gone; the plant's applies again


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("mes/water/shiftleader", b"Ann", "unknown_code"),
        ("mes/water/workorder", b'{"id": "WO-1"}', "bad_value"),
        ("mes/water/workorder", b"\xff\xfe", "not_utf8"),
    ],
)
def test_unusable_field_messages_are_dead_lettered(
    tmp_path: Path, topic: str, payload: bytes, reason: str
) -> None:
    ns, _ = load(tmp_path, FILES)
    outs = Enricher(ns, ContextStore()).process(topic, payload, NOW)
    assert [(o.kind, o.reason) for o in outs] == [("deadletter", reason)]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "key: ordr",
            "key 'ordr' is not a context key (did you mean 'order'?); known: batch, product, order",
        ),
        ('key: "{field}"', "key uses {field} without a map table: map it to context keys"),
        ('key: "{x}"', "key uses {x} without a map table: the topic captures only field"),
        (
            "key: order\n            timestamp: ts",
            "format 'scalar' takes the whole payload as the value at arrival time",
        ),
        ("fields: {order: id}", "format 'scalar' needs 'key'"),
    ],
)
def test_check_refuses_scalar_sources_that_cannot_work(
    tmp_path: Path, source: str, message: str
) -> None:
    text = f"""\
        context:
          - topic: "mes/water/{{field}}"
            format: scalar
            scope: plant/utilities/water
            {source}
        """
    _, problems = load(tmp_path, {"context.yaml": text})
    assert len(problems) == 1, problems
    assert message in problems[0].message


def test_an_over_long_field_value_is_refused_like_a_json_one(tmp_path: Path) -> None:
    ns, _ = load(tmp_path, FILES)
    outs = Enricher(ns, ContextStore()).process("mes/water/workorder", b"W" * 5000, NOW)
    assert [(o.kind, o.reason) for o in outs] == [("deadletter", "context_value_too_long")]
