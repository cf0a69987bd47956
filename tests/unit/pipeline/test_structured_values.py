"""Structured values (`object`, `dataset`) from JSON payloads and Sparkplug B (issue 12).

The Sparkplug data follows Sparkplug 3.0: a DataSet (6.4.8: column names, one type per column,
rows of typed cells) and a Template instance (6.4.7: `template_ref` naming the definition in the
NBIRTH, member metrics with their values). The recipe and alarm shapes are ISA-88 style.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.unit.config.test_loader import load
from uns.context.production import ContextStore
from uns.contract.payloads import tag_schema
from uns.model.namespace import Namespace
from uns.pipeline import Enricher, Outgoing
from uns.sparkplug import (
    DataType,
    SparkplugHost,
    SparkplugMetric,
    SparkplugPayload,
    SparkplugTemplate,
    encode_payload,
)

T0 = 1_774_346_400_000  # 2026-03-24T10:00:00Z
D = DataType
MIXER = "acme/plant/utilities/water/mixer-1"

FILES = {
    "mixer.yaml": """\
        classes:
          mixer:
            tags:
              recipe/parameters: object
              recipe/steps:
                datatype: dataset
                columns: {step: int, setpoint: float, duration: float, note: string}
              alarm: {datatype: object, retain: true}
        """,
    "sites.yaml": """\
        sites:
          plant:
            timezone: Europe/Berlin
            area:
              utilities:
                line:
                  water:
                    equipment:
                      mixer-1: mixer
        """,
    "bindings.yaml": """\
        bindings:
          - topic: "plc/{eq}/{path#}"
            format: json
            equipment: "plant/utilities/water/{eq}"
            tag: "{path}"
          - name: mixer-edge
            format: sparkplug
            topic: "spBv1.0/{group}/{node}/{device}"
            id: "{raw_tag}"
            map:
              device: {Mixer1: mixer-1}
            equipment: "plant/utilities/water/{device}"
            tag: "{raw_tag}"
            tags:
              Recipe/Steps: recipe/steps
              Recipe/Parameters: recipe/parameters
        """,
}


def one(outs: list[Outgoing]) -> dict[str, Any]:
    assert [o.kind for o in outs] == ["enriched"], [o.payload for o in outs]
    body: dict[str, Any] = orjson.loads(outs[0].payload)
    return body


@pytest.fixture
def ns(tmp_path: Path) -> Namespace:
    ns, problems = load(tmp_path, FILES)
    assert problems == []
    return ns


def test_an_object_value_is_published_as_the_json_it_is(ns: Namespace) -> None:
    alarm = {"id": 4711, "text": "Motor overload", "active": True, "limits": [1.5, None]}
    payload = orjson.dumps({"value": alarm, "timestamp": T0})
    outs = Enricher(ns, ContextStore()).process("plc/mixer-1/alarm", payload, T0)
    body = one(outs)
    assert body["value"] == alarm
    assert body["unit"] is None
    assert outs[0].retain


def test_a_dataset_is_published_as_rows_of_its_declared_columns(ns: Namespace) -> None:
    rows = [
        {"note": "heat", "duration": 600, "setpoint": "80.5", "step": 1},  # cells are coerced
        {"note": None, "duration": 300, "setpoint": 20, "step": 2},
    ]
    body = one(
        Enricher(ns, ContextStore()).process(
            "plc/mixer-1/recipe/steps", orjson.dumps({"value": rows}), T0
        )
    )
    assert body["value"] == [
        {"step": 1, "setpoint": 80.5, "duration": 600.0, "note": "heat"},
        {"step": 2, "setpoint": 20.0, "duration": 300.0, "note": None},
    ]
    assert list(body["value"][0]) == ["step", "setpoint", "duration", "note"]  # declared order
    assert body["asset"]["group"] == "recipe"


@pytest.mark.parametrize(
    ("topic", "value", "detail"),
    [
        ("plc/mixer-1/alarm", 5, "an object value must be a JSON object or array, not int"),
        ("plc/mixer-1/recipe/steps", [{"step": 1}], "the table has no column 'setpoint'"),
        (
            "plc/mixer-1/recipe/steps",
            {"columns": ["step", "setpoint", "duration", "note", "x"], "rows": []},
            "column 'x' is not a declared column (step, setpoint, duration, note)",
        ),
        (
            "plc/mixer-1/recipe/steps",
            [{"step": "one", "setpoint": 1, "duration": 1, "note": ""}],
            "row 0 step: not a number: 'one'",
        ),
    ],
)
def test_values_that_do_not_fit_are_dead_lettered(
    ns: Namespace, topic: str, value: object, detail: str
) -> None:
    outs = Enricher(ns, ContextStore()).process(topic, orjson.dumps({"value": value}), T0)
    assert [(o.kind, o.reason) for o in outs] == [("deadletter", "bad_value")]
    assert detail in orjson.loads(outs[0].payload)["detail"]


def sparkplug(seq: int, *metrics: SparkplugMetric, datatypes: bool = True) -> bytes:
    return encode_payload(
        SparkplugPayload(timestamp=T0, seq=seq, metrics=list(metrics)), with_datatypes=datatypes
    )


STEPS = {
    "columns": ["step", "setpoint", "duration", "note"],
    "types": [D.Int32, D.Float, D.Double, D.String],
    "rows": [[1, 80.5, 600.0, "heat"], [2, 20.0, 300.0, None]],
}
PARAMETERS = SparkplugTemplate(
    template_ref="RecipeParameters",
    metrics=[
        SparkplugMetric(name="Speed", datatype=D.Int32, value=120),
        SparkplugMetric(name="Product", datatype=D.String, value="cola"),
    ],
)


def test_sparkplug_datasets_and_template_instances_are_published_as_json_values(
    ns: Namespace,
) -> None:
    e = Enricher(ns, ContextStore(), sparkplug=SparkplugHost(rebirth_min_interval_ms=0))
    assert (
        e.process(
            "spBv1.0/g1/NBIRTH/edge",
            sparkplug(0, SparkplugMetric("bdSeq", None, None, D.Int64, 0)),
            T0,
        )
        == []
    )
    birth = sparkplug(
        1,
        SparkplugMetric(name="Recipe/Steps", alias=1, datatype=D.DataSet, value=STEPS),
        SparkplugMetric(name="Recipe/Parameters", alias=2, datatype=D.Template, value=PARAMETERS),
    )
    got = {
        o.topic: orjson.loads(o.payload)
        for o in e.process("spBv1.0/g1/DBIRTH/edge/Mixer1", birth, T0)
    }
    assert got[f"{MIXER}/recipe/steps"]["value"] == [
        {"step": 1, "setpoint": 80.5, "duration": 600.0, "note": "heat"},
        {"step": 2, "setpoint": 20.0, "duration": 300.0, "note": None},
    ]
    assert got[f"{MIXER}/recipe/parameters"]["value"] == {"Speed": 120, "Product": "cola"}
    changed = {**STEPS, "rows": [[1, 85.0, 540.0, "heat"]]}
    data = sparkplug(
        2, SparkplugMetric(alias=1, datatype=D.DataSet, value=changed), datatypes=False
    )
    outs = e.process("spBv1.0/g1/DDATA/edge/Mixer1", data, T0 + 1000)
    assert one(outs)["value"] == [{"step": 1, "setpoint": 85.0, "duration": 540.0, "note": "heat"}]


def test_the_contract_types_structured_values(ns: Namespace) -> None:
    mixer = ns.classes["mixer"]
    steps = tag_schema(mixer, mixer.tags["recipe/steps"], "#/$defs/")["properties"]["value"]
    assert steps["type"] == ["array", "null"]
    assert steps["items"]["properties"]["step"] == {"type": ["number", "null"]}
    assert steps["items"]["required"] == ["step", "setpoint", "duration", "note"]
    alarm = tag_schema(mixer, mixer.tags["alarm"], "#/$defs/")["properties"]["value"]
    assert alarm["type"] == ["object", "array", "null"]


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("{datatype: dataset}", "a dataset needs 'columns'"),
        ("{datatype: object, unit: bar}", "an object or dataset tag has no unit or range"),
        ("{datatype: float, columns: {a: int}}", "'columns' is only for datatype 'dataset'"),
        ("{datatype: dataset, columns: {a: object}}", "Input should be 'float'"),
    ],
)
def test_check_refuses_structured_tags_that_cannot_work(
    tmp_path: Path, tag: str, message: str
) -> None:
    text = f"""\
        classes:
          recorder:
            tags:
              table: {tag}
        """
    _, problems = load(tmp_path, {**FILES, "recorder.yaml": text})
    assert len(problems) == 1, problems
    assert message in problems[0].message
