"""Tag groups below equipment, same-level nesting and reserved branches (issue 12).

The groups are the kind real trees have: PackML-style `Status/State`, Sparkplug metric folders
(`Inputs/Pressure`, Sparkplug 3.0 section 6.4.5 lets metric names carry `/`), dotted axis names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.unit.config.test_loader import load
from uns.context.production import ContextStore
from uns.lint.diff import diff_namespaces, governed_topics
from uns.lint.treeview import governed_tree, render_tree
from uns.model.namespace import Namespace
from uns.model.problem import Problem
from uns.pipeline import Enricher

NOW = 1_774_346_400_000  # 2026-03-24T10:00:00Z

GROUPED = {
    "classes.yaml": """\
        classes:
          pump:
            tags:
              running: bool
              flow: {unit: m^3/h, range: [0, 120]}
              status/state: {datatype: int, description: PackML StateCurrent}
              inputs/pressure: {unit: bar}
              axis.x/position: {unit: mm}
          tank:
            tags:
              level: {unit: "%"}
        """,
    "bindings.yaml": """\
        bindings:
          - name: pump-json
            topic: "plc/{eq}/{path#}"
            format: json
            equipment: "plant/utilities/water/{eq}"
            tag: "{path}"
          - name: pump-folders
            topic: "edge/{eq}/{raw#}"
            format: scalar
            equipment: "plant/utilities/water/{eq}"
            tag: "{raw}"
            tags:
              Inputs/Pressure: {tag: inputs/pressure, unit: psi}
              Status/State: status/state
        """,
}


def problems_of(problems: list[Problem]) -> list[tuple[str, int, str]]:
    return [(Path(p.pos.path).name, p.pos.line, p.message) for p in problems]


def publish(ns: Namespace, topic: str, payload: bytes) -> tuple[str, dict[str, Any]]:
    outs = Enricher(ns, ContextStore()).process(topic, payload, NOW)
    assert len(outs) == 1, outs
    assert outs[0].kind == "enriched", outs[0].payload
    return outs[0].topic, orjson.loads(outs[0].payload)


def test_a_grouped_tag_takes_one_topic_level_per_group_and_keeps_the_equipment(
    tmp_path: Path,
) -> None:
    ns, problems = load(tmp_path, GROUPED)
    assert problems == []
    topic, body = publish(ns, "plc/pump-1/status/state", b'{"value": 6}')
    assert topic == "acme/plant/utilities/water/pump-1/status/state"
    assert body["value"] == 6
    assert body["asset"] == {
        "enterprise": "acme",
        "site": "plant",
        "area": "utilities",
        "line": "water",
        "equipment": "pump-1",
        "group": "status",
    }


def test_dotted_groups_are_kept_as_written(tmp_path: Path) -> None:
    ns, _ = load(tmp_path, GROUPED)
    topic, body = publish(ns, "plc/pump-2/axis.x/position", b'{"value": 12.5}')
    assert topic == "acme/plant/utilities/water/pump-2/axis.x/position"
    assert body["asset"]["group"] == "axis.x"
    assert body["asset"]["equipment"] == "pump-2"


def test_an_ungrouped_tag_has_no_group_in_its_asset(tmp_path: Path) -> None:
    ns, _ = load(tmp_path, GROUPED)
    _, body = publish(ns, "plc/pump-1/flow", b'{"value": 3}')
    assert "group" not in body["asset"]


def test_a_binding_maps_raw_metric_folders_onto_tag_groups(tmp_path: Path) -> None:
    ns, _ = load(tmp_path, GROUPED)
    topic, body = publish(ns, "edge/pump-1/Inputs/Pressure", b"14.5037738")
    assert topic == "acme/plant/utilities/water/pump-1/inputs/pressure"
    assert body["value"] == pytest.approx(1.0, abs=1e-6)  # psi -> bar
    assert body["asset"]["group"] == "inputs"


def test_a_binding_naming_a_missing_grouped_tag_is_refused(tmp_path: Path) -> None:
    bindings = """\
        bindings:
          - topic: "edge/P1/{raw#}"
            format: scalar
            equipment: plant/utilities/water/pump-1
            tag: "{raw}"
            tags:
              Status/Mode: status/mode
        """
    _, problems = load(tmp_path, {**GROUPED, "bindings.yaml": bindings})
    assert problems_of(problems) == [
        (
            "bindings.yaml",
            7,
            "tag 'status/mode' is not a tag of class 'pump' (did you mean 'status/state'?)",
        )
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ('""', "class 'valve': tag name is empty (its governed topic would end in '/')"),
        ("status/", "class 'valve': tag name 'status/' ends with '/' (an empty topic level)"),
        ("/state", "class 'valve': tag name '/state' starts with '/' (an empty topic level)"),
        ("a//b", "class 'valve': tag name 'a//b' has an empty group in '/' (an empty topic level)"),
    ],
)
def test_unusable_tag_paths_are_refused_by_check(tmp_path: Path, name: str, message: str) -> None:
    text = f"""\
        classes:
          valve:
            tags:
              {name}: bool
        """
    _, problems = load(tmp_path, {"valve.yaml": text})
    assert [(p.pos.line, p.message, p.rule) for p in problems] == [(4, message, "topic-pattern")]


def test_equipment_inside_equipment_is_refused_by_check(tmp_path: Path) -> None:
    sites = """\
        sites:
          plant:
            timezone: Europe/Berlin
            area:
              utilities:
                line:
                  water:
                    equipment:
                      pump-1:
                        class: pump
                        equipment:
                          status: tank
        """
    _, problems = load(tmp_path, {"sites.yaml": sites})
    assert [(p.pos.line, p.rule) for p in problems] == [(11, "schema")]
    assert problems[0].message.startswith(
        "equipment plant/utilities/water/pump-1 contains equipment nodes: a level cannot nest"
    )


def test_a_node_named_like_the_dead_letter_branch_is_refused(tmp_path: Path) -> None:
    sites = """\
        sites:
          _deadletter:
            timezone: Europe/Berlin
            area:
              utilities:
                equipment:
                  pump-1: pump
        """
    _, problems = load(tmp_path, {"sites.yaml": sites})
    assert problems_of(problems) == [
        (
            "sites.yaml",
            7,
            "the governed topics of _deadletter/utilities/pump-1 fall in the dead-letter "
            "branch acme/_deadletter/{reason}: rename the node",
        )
    ]


def test_a_tag_that_lands_in_the_dead_letter_branch_is_refused(tmp_path: Path) -> None:
    enterprise = """\
        enterprise:
          name: acme
          topics:
            layout: "{enterprise}/{equipment}/{tag}"
            deadletter: "{enterprise}/{reason}/rejected"
        """
    classes = """\
        classes:
          pump:
            tags:
              running: bool
              rejected: int
          tank:
            tags:
              level: {unit: "%"}
        """
    _, problems = load(tmp_path, {"enterprise.yaml": enterprise, "classes.yaml": classes})
    assert problems_of(problems) == [
        (
            "classes.yaml",
            5,
            "tag 'rejected' of plant/utilities/water/pump-1 is published in the dead-letter "
            "branch acme/{reason}/rejected: rename the tag or the node",
        )
    ]


def test_tree_and_diff_see_grouped_tags_at_their_topics(tmp_path: Path) -> None:
    old, _ = load(tmp_path / "old", GROUPED)
    classes = GROUPED["classes.yaml"].replace(
        "status/state: {datatype: int", "status/mode: {datatype: int"
    )
    new, _ = load(tmp_path / "new", {**GROUPED, "classes.yaml": classes})
    topics = governed_topics(old)
    assert "acme/plant/utilities/water/pump-1/status/state" in topics
    diff = diff_namespaces(old, new)
    assert "acme/plant/utilities/water/pump-1/status/state" in diff.removed
    assert "acme/plant/utilities/water/pump-1/status/mode" in diff.added
    lines = render_tree(governed_tree(old), show_tags=True)
    assert any(line.endswith("status/state: int") for line in lines)
