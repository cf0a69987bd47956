"""The model loader: one table row per kind of mistake, each with its exact position and rule.

Every case is a small models directory: a valid base (enterprise, two classes, a calendar and
one site) plus the files the case adds or replaces. A case must produce exactly the problems
it expects, so a mistake that cascades into unrelated problems fails here too.
"""

from __future__ import annotations

import importlib.util
import io
import tempfile
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tests.prerequisites import require
from uns.config.loader import load_model, load_model_lenient
from uns.model.namespace import Namespace
from uns.model.problem import ModelError, Problem
from uns.model.specs import TagMapSpec

HAVE_UNITS = importlib.util.find_spec("uns.normalize.units") is not None


BASE = {
    "enterprise.yaml": """\
        enterprise:
          name: acme
        """,
    "classes.yaml": """\
        classes:
          pump:
            tags:
              running: bool
              flow: {unit: m^3/h, range: [0, 120]}
          tank:
            tags:
              level: {unit: "%"}
        """,
    "sites.yaml": """\
        calendars:
          day-shift:
            kind: weekly
            shifts:
              - {name: day, start: "07:00", end: "15:00", days: mon-fri}
        sites:
          plant:
            timezone: Europe/Berlin
            calendar: day-shift
            area:
              utilities:
                line:
                  water:
                    equipment:
                      pump-1: pump
                      pump-2: pump
                      tank-1: tank
        """,
}


def write_model(root: Path, files: Mapping[str, str | None]) -> Path:
    """BASE overlaid with `files` (None deletes a base file), written below `root`."""
    merged: dict[str, str | None] = {**BASE, **files}
    for name, text in merged.items():
        if text is not None:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def load(root: Path, files: Mapping[str, str | None]) -> tuple[Namespace, list[Problem]]:
    return load_model_lenient(write_model(root, files))


@dataclass(frozen=True)
class Expect:
    """One expected problem: where (file below the models dir, 1-based line and column)."""

    file: str
    line: int
    col: int
    fragment: str
    rule: str


@dataclass(frozen=True)
class Case:
    files: dict[str, str | None]
    expect: list[Expect] = field(default_factory=list)


def case(
    text: str,
    expect: tuple[int, int, str, str],
    replace: dict[str, str | None] | None = None,
    file: str = "case.yaml",
) -> Case:
    """A case whose one mistake is in `file` at (line, col, message fragment, rule).

    `replace` swaps base files (None drops one).
    """
    files: dict[str, str | None] = {file: text, **(replace or {})}
    return Case(files, [Expect(file, *expect)])


CASES = {
    "yaml-syntax": case(
        """\
        classes:
          valve:
            description: Opening: 0 closed, 100 open
        """,
        (3, 25, "YAML syntax: mapping values are not allowed", "yaml-syntax"),
    ),
    "duplicate-key-in-a-mapping": case(
        """\
        classes:
          valve:
            tags:
              open: bool
              position: {unit: "%"}
              open: bool
        """,
        (6, 7, "duplicate key 'open' (first at line 4)", "duplicate-key"),
    ),
    "duplicate-key-across-files": case(
        """\
        classes:
          pump:
            tags:
              running: bool
        """,
        (2, 3, "classes entry 'pump' is also defined at", "duplicate-key"),
        file="more/classes.yaml",  # sorts after classes.yaml, so it is the second definition
    ),
    "unknown-key-with-suggestion": case(
        """\
        classes:
          valve:
            descripton: Butterfly valve
        """,
        (3, 5, "unknown key 'descripton' (did you mean 'description'?)", "schema"),
    ),
    "unknown-section": case(
        """\
        binding:
          - topic: a/b
        """,
        (1, 1, "unknown section 'binding' (did you mean 'bindings'?)", "schema"),
    ),
    "wrong-type": case(
        """\
        bindings:
          - topic: "plc/P1/{raw_tag}"
            format: scalar
            equipment: plant/utilities/water/pump-1
            tag: "{raw_tag}"
            scale: ten
        """,
        (6, 12, "bindings[0].scale: Input should be a valid number", "schema"),
    ),
    "wrong-type-in-a-tag": case(
        """\
        classes:
          valve:
            tags:
              position: {unit: "%", range: "0..100"}
        """,
        (4, 36, "classes.valve.tags.position.range: Input should be a valid tuple", "schema"),
    ),
    "missing-required-key": case(
        """\
        bindings:
          - topic: "plc/P1/{tag}"
            format: scalar
        """,
        (2, 5, "missing required key 'bindings[0].equipment'", "schema"),
    ),
    "site-without-timezone": case(
        """\
        sites:
          depot:
            area:
              store: {}
        """,
        (2, 3, "missing required key 'sites.depot.timezone'", "schema"),
    ),
    "bad-timezone": case(
        """\
        sites:
          depot:
            timezone: Europe/Koeln
        """,
        (3, 15, "unknown IANA timezone 'Europe/Koeln'", "schema"),
    ),
    "unknown-level-in-enterprise-levels": case(
        """\
        enterprise:
          name: acme
          levels: [site, area, workcell, equipment]
        """,
        (3, 11, "unknown level 'workcell'; ISA-95 levels are", "schema"),
        replace={"enterprise.yaml": None},
    ),
    "levels-must-start-with-site": case(
        """\
        enterprise:
          name: acme
          levels: [area, line, equipment]
        """,
        (3, 11, "levels must start with 'site'", "schema"),
        replace={"enterprise.yaml": None},
    ),
    "level-not-in-enterprise-levels": case(
        """\
        sites:
          depot:
            timezone: Europe/Berlin
            area:
              mixing:
                process_cell:
                  kettle: {}
        """,
        (6, 9, "level 'process_cell' is not in enterprise.levels", "schema"),
    ),
    "unknown-key-in-the-tree": case(
        """\
        sites:
          depot:
            timezone: Europe/Berlin
            area:
              store:
                lines:
                  l1: {}
        """,
        (6, 9, "unknown key 'lines' (did you mean 'line'?)", "schema"),
    ),
    "unknown-class-with-suggestion": case(
        """\
        sites:
          depot:
            timezone: Europe/Berlin
            area:
              store:
                equipment:
                  pump-9: pumpp
        """,
        (7, 11, "unknown class 'pumpp' (did you mean 'pump'?)", "unknown-reference"),
    ),
    "unknown-class-long-form": case(
        """\
        sites:
          depot:
            timezone: Europe/Berlin
            area:
              store:
                equipment:
                  pump-9:
                    class: tnak
        """,
        (8, 20, "unknown class 'tnak' (did you mean 'tank'?)", "unknown-reference"),
    ),
    "unknown-calendar": case(
        """\
        sites:
          depot:
            timezone: Europe/Berlin
            calendar: night-shift
        """,
        (4, 15, "unknown calendar 'night-shift'", "unknown-reference"),
    ),
    "class-extends-itself": case(
        """\
        classes:
          valve:
            extends: valve
            tags:
              open: bool
        """,
        (3, 14, "class inheritance cycle: valve -> valve", "class-cycle"),
    ),
    "unknown-base-class": case(
        """\
        classes:
          valve:
            extends: actuatr
        """,
        (3, 14, "class 'valve' extends unknown class 'actuatr'", "unknown-reference"),
    ),
    "topic-plus-inside-a-segment": case(
        """\
        bindings:
          - topic: "plc/P+/FLOW"
            equipment: plant/utilities/water/pump-1
            tag: flow
        """,
        (2, 12, "segment 2 'P+': '+' and '#' must fill a whole segment", "schema"),
    ),
    "topic-hash-not-last": case(
        """\
        bindings:
          - topic: "plc/#/FLOW"
            equipment: plant/utilities/water/pump-1
            tag: flow
        """,
        (2, 12, "a multi-level wildcard must be the last segment", "schema"),
    ),
    "topic-unbalanced-brace": case(
        """\
        bindings:
          - topic: "plc/{asset/FLOW"
            equipment: plant/utilities/water/pump-1
            tag: flow
        """,
        (2, 12, "unbalanced '{' or '}'", "schema"),
    ),
    "topic-duplicate-capture": case(
        """\
        bindings:
          - topic: "plc/{asset}/{asset}"
            equipment: "plant/utilities/water/{asset}"
            tag: flow
        """,
        (2, 12, "capture {asset} appears twice in the pattern", "schema"),
    ),
    "unknown-capture-in-equipment": case(
        """\
        bindings:
          - topic: "plc/{asset}/{tag}"
            equipment: "plant/utilities/{line}/{asset}"
        """,
        (
            3,
            16,
            "equipment uses {line} but the topic/id captures only asset, tag",
            "unknown-reference",
        ),
    ),
    "unknown-capture-in-the-default-tag": case(
        """\
        bindings:
          - topic: "plc/P1/{raw_tag}"
            equipment: plant/utilities/water/pump-1
        """,
        (
            2,
            5,
            "tag (default '{tag}') uses {tag} but the topic/id captures only raw_tag",
            "unknown-reference",
        ),
    ),
    "unknown-capture-in-tag": case(
        """\
        bindings:
          - topic: "plc/P1/{raw_tag}"
            equipment: plant/utilities/water/pump-1
            tag: "{signal}"
        """,
        (4, 10, "tag uses {signal} but the topic/id captures only raw_tag", "unknown-reference"),
    ),
    "map-for-unknown-capture": case(
        """\
        bindings:
          - topic: "plc/{asset}/{tag}"
            map:
              asset: {P1: pump-1}
              line: {L1: water}
            equipment: "plant/utilities/water/{asset}"
        """,
        (5, 7, "map for unknown capture {line}", "unknown-reference"),
    ),
    "unknown-equipment-path": case(
        """\
        bindings:
          - topic: "plc/P3/{tag}"
            equipment: plant/utilities/water/pump-3
        """,
        (
            3,
            16,
            "equipment 'plant/utilities/water/pump-3' is not in any site (did you mean",
            "unknown-reference",
        ),
    ),
    "mapped-equipment-path-missing": case(
        """\
        bindings:
          - topic: "plc/{asset}/{tag}"
            map:
              asset: {P1: pump-1, P7: pump-7}
            equipment: "plant/utilities/water/{asset}"
        """,
        (5, 16, "equipment 'plant/utilities/water/pump-7' is not in any site", "unknown-reference"),
    ),
    "path-is-a-line-not-equipment": case(
        """\
        bindings:
          - topic: "plc/water/{tag}"
            equipment: plant/utilities/water
        """,
        (3, 16, "'plant/utilities/water' is a line without a class (no tags)", "unknown-reference"),
    ),
    "tag-not-in-class": case(
        """\
        bindings:
          - topic: "plc/P1/{raw_tag}"
            format: scalar
            equipment: plant/utilities/water/pump-1
            tag: "{raw_tag}"
            tags:
              RUN: running
              LVL: levl
        """,
        (8, 12, "tag 'levl' is not a tag of class 'pump'", "unknown-reference"),
    ),
    "literal-tag-not-in-class": case(
        """\
        bindings:
          - topic: plc/T1/LEVEL
            format: scalar
            equipment: plant/utilities/water/tank-1
            tag: levle
        """,
        (
            5,
            10,
            "tag 'levle' is not a tag of class 'tank' (did you mean 'level'?)",
            "unknown-reference",
        ),
    ),
    "records-without-records": case(
        """\
        bindings:
          - topic: "pcs/T1"
            format: records
            fields: {name: tag}
            equipment: plant/utilities/water/tank-1
        """,
        (2, 5, "format 'records' needs 'records'", "schema"),
    ),
    "records-without-name-field": case(
        """\
        bindings:
          - topic: "pcs/T1"
            format: records
            records: values
            equipment: plant/utilities/water/tank-1
        """,
        (2, 5, "format 'records' needs 'fields.name'", "schema"),
    ),
    "id-on-a-single-value-format": case(
        """\
        bindings:
          - topic: "plc/T1/{tag}"
            format: json
            id: "{tag}"
            equipment: plant/utilities/water/tank-1
        """,
        (2, 5, "'id' is only for batch formats (kepware, records), not json", "schema"),
    ),
    "unknown-payload-format": case(
        """\
        bindings:
          - topic: "plc/T1"
            format: xml
            equipment: plant/utilities/water/tank-1
        """,
        (3, 13, "unknown payload format 'xml'; known: 'json', 'scalar'", "schema"),
    ),
    "context-scope-unknown": case(
        """\
        context:
          - topic: mes/water/batch
            scope: plant/utilities/steam
            fields: {batch: batch_id}
        """,
        (3, 12, "scope 'plant/utilities/steam' is not a node of any site", "unknown-reference"),
    ),
    "context-scope-uses-unknown-capture": case(
        """\
        context:
          - topic: "mes/{line}/batch"
            scope: "plant/{area}/{line}"
            fields: {batch: batch_id}
        """,
        (3, 12, "scope uses {area} but the topic captures only line", "unknown-reference"),
    ),
    "context-events-without-event": case(
        """\
        context:
          - topic: mes/water/batch
            scope: plant/utilities/water
            mode: events
            fields: {batch: batch_id}
        """,
        (2, 5, "mode 'events' needs 'event:", "schema"),
    ),
    "two-enterprises": case(
        """\
        enterprise:
          name: acme-two
        """,
        (1, 1, "'enterprise' is also defined at", "duplicate-key"),
        file="more/enterprise.yaml",  # sorts after enterprise.yaml: the second definition
    ),
    "layout-with-unknown-level": case(
        """\
        enterprise:
          name: acme
          topics:
            layout: "{enterprise}/{site}/{zone}/{tag}"
        """,
        (4, 13, "layout placeholder {zone} is not a level in use", "topic-pattern"),
        replace={"enterprise.yaml": None},
    ),
    "deadletter-without-reason": case(
        """\
        enterprise:
          name: acme
          topics:
            deadletter: "{enterprise}/_deadletter"
        """,
        (4, 17, "deadletter may use {enterprise} and must use {reason}", "topic-pattern"),
        replace={"enterprise.yaml": None},
    ),
    "duplicate-child-name": case(
        """\
        sites:
          depot:
            timezone: Europe/Berlin
            area:
              store:
                equipment:
                  tank-1: tank
                line:
                  tank-1: {}
        """,
        (9, 11, "depot/store already has a child 'tank-1' (equipment, line 7)", "duplicate-path"),
    ),
}

UNIT_CASES = {
    "unknown-unit-on-a-tag": case(
        """\
        classes:
          valve:
            tags:
              travel: {unit: furlongs_per_blorp}
        """,
        (4, 22, "unknown unit 'furlongs_per_blorp'", "unit"),
    ),
    "impossible-conversion": case(
        """\
        bindings:
          - topic: "plc/P1/{raw_tag}"
            format: scalar
            equipment: plant/utilities/water/pump-1
            tag: "{raw_tag}"
            tags:
              FLOW: {tag: flow, unit: kg}
        """,
        (7, 31, "cannot convert 'kg' ([mass]) to 'm^3/h'", "unit"),  # at `kg`, not the `{`
    ),
    "source-unit-for-a-tag-without-unit": case(
        """\
        bindings:
          - topic: plc/P1/RUN
            format: scalar
            equipment: plant/utilities/water/pump-1
            tag: running
            unit: degC
        """,
        (6, 11, "source unit 'degC' given, but pump.running has no unit", "unit"),  # at degC
    ),
}


def check(tmp_path: Path, c: Case) -> None:
    _, problems = load(tmp_path, c.files)
    got = [
        (str(Path(p.pos.path).relative_to(tmp_path)), p.pos.line, p.pos.column, p.rule)
        for p in problems
    ]
    want = [(e.file, e.line, e.col, e.rule) for e in c.expect]
    assert got == want, "\n".join(p.parsable() for p in problems)
    for p, e in zip(problems, c.expect, strict=True):
        assert e.fragment in p.message, p.parsable()


@pytest.mark.parametrize("c", list(CASES.values()), ids=list(CASES))
def test_mistake_is_reported_at_its_place(tmp_path: Path, c: Case) -> None:
    check(tmp_path, c)


@pytest.mark.parametrize("c", list(UNIT_CASES.values()), ids=list(UNIT_CASES))
def test_unit_mistake_is_reported_at_its_place(tmp_path: Path, c: Case) -> None:
    require(HAVE_UNITS, "uns.normalize.units is missing (unit checks need pint)")
    check(tmp_path, c)


def test_missing_enterprise_is_reported_for_the_directory(tmp_path: Path) -> None:
    _, problems = load(tmp_path, {"enterprise.yaml": None})
    assert [(p.pos.path, p.pos.line, p.rule) for p in problems] == [(str(tmp_path), 1, "schema")]
    assert "no file defines the 'enterprise' section" in problems[0].message


def test_two_enterprises_name_the_first(tmp_path: Path) -> None:
    _, problems = load(tmp_path, CASES["two-enterprises"].files)
    assert problems[0].pos.path == str(tmp_path / "more" / "enterprise.yaml")
    assert f"{tmp_path / 'enterprise.yaml'}:1:1" in problems[0].message


def test_duplicate_key_across_files_names_the_first(tmp_path: Path) -> None:
    _, problems = load(tmp_path, CASES["duplicate-key-across-files"].files)
    assert problems[0].pos.path == str(tmp_path / "more" / "classes.yaml")
    assert f"{tmp_path / 'classes.yaml'}:2:3" in problems[0].message


def test_every_problem_is_collected_before_raising(tmp_path: Path) -> None:
    files = {
        "case.yaml": """\
            sites:
              depot:
                timezone: Mars/Olympus
                calendar: nope
            bindings:
              - topic: "a/+b"
                equipment: x
            """
    }
    with pytest.raises(ModelError) as info:
        load_model(write_model(tmp_path, files))
    # A bad timezone (line 3) does not hide the unknown calendar (line 4).
    assert [p.pos.line for p in info.value.problems] == [3, 4, 6]


def test_two_class_inheritance_cycle_is_reported(tmp_path: Path) -> None:
    files = {
        "case.yaml": """\
            classes:
              valve:
                extends: actuator
              actuator:
                extends: valve
            """
    }
    _, problems = load(tmp_path, files)
    assert [(p.pos.line, p.rule) for p in problems] == [(3, "class-cycle"), (5, "class-cycle")]


def test_class_schema_error_does_not_cascade_into_bindings(tmp_path: Path) -> None:
    files = {
        "classes.yaml": """\
            classes:
              pump:
                descripton: typo
                tags:
                  running: bool
              tank:
                tags:
                  level: {unit: "%"}
            """,
        "case.yaml": """\
            bindings:
              - topic: plc/P1/RUN
                format: scalar
                equipment: plant/utilities/water/pump-1
                tag: running
            """,
    }
    _, problems = load(tmp_path, files)
    assert [p.pos.line for p in problems] == [3]


def test_merge_key_shares_binding_settings(tmp_path: Path) -> None:
    files = {
        "case.yaml": """\
            bindings:
              - &pump1
                topic: "plc/P1/{tag}"
                format: scalar
                equipment: plant/utilities/water/pump-1
              - <<: *pump1
                topic: "plc/P2/{tag}"
                equipment: plant/utilities/water/pump-3
            """
    }
    ns, problems = load(tmp_path, files)
    # The merged binding takes `format` from the anchor; its own keys keep their positions.
    assert [b.spec.format for b in ns.bindings] == ["scalar", "scalar"]
    assert [(p.pos.line, p.pos.column, p.rule) for p in problems] == [(8, 16, "unknown-reference")]


def test_leading_zero_map_codes_are_reported(tmp_path: Path) -> None:
    files = {
        "case.yaml": """\
            bindings:
              - topic: "plc/P{n}/{tag}"
                map:
                  n: {01: pump-1, "02": pump-2, 3: tank-1}
                equipment: "plant/utilities/water/{n}"
            """
    }
    _, problems = load(tmp_path, files)
    # 01 would be the number 1 and never match topic text "01"; "02" and 3 are fine.
    assert [(p.pos.line, p.pos.column) for p in problems] == [(4, 11)]
    assert "quote it ('01')" in problems[0].message


# -- what valid models resolve to ------------------------------------------------------------

CLASSES_WITH_INHERITANCE = """\
    classes:
      machine:
        tags:
          state: int
          speed: {unit: 1/h, range: [0, 60000]}
      filler:
        extends: machine
        tags:
          speed: {unit: 1/h, range: [0, 130000]}
          product_temperature: {unit: degC}
      pump: {tags: {running: bool, flow: {unit: m^3/h}}}
      tank: {tags: {level: {unit: "%"}}}
    """


def test_inheritance_merges_tags_and_own_tags_override(tmp_path: Path) -> None:
    ns, problems = load(tmp_path, {"classes.yaml": CLASSES_WITH_INHERITANCE})
    assert problems == []
    tags = ns.classes["filler"].tags
    assert list(tags) == ["state", "speed", "product_temperature"]  # bases first
    assert tags["state"].owner == "machine"
    assert tags["speed"].owner == "filler"
    assert tags["speed"].range == (0, 130000)
    assert ns.classes["machine"].tags["speed"].range == (0, 60000)  # base untouched


def test_multiple_bases_merge_in_the_order_listed(tmp_path: Path) -> None:
    classes = """\
        classes:
          a: {tags: {x: {unit: bar}, y: int}}
          b: {tags: {x: {unit: psi}, z: bool}}
          c: {extends: [a, b], tags: {w: string}}
          pump: {tags: {running: bool, flow: {unit: m^3/h}}}
          tank: {tags: {level: {unit: "%"}}}
        """
    ns, problems = load(tmp_path, {"classes.yaml": classes})
    assert problems == []
    tags = ns.classes["c"].tags
    assert tags["x"].unit == "psi"  # the later base wins
    assert sorted(tags) == ["w", "x", "y", "z"]


def test_shorthand_forms(tmp_path: Path) -> None:
    binding = """\
        bindings:
          - topic: "plc/P1/{raw_tag}"
            format: scalar
            equipment: plant/utilities/water/pump-1
            tag: "{raw_tag}"
            tags:
              FLOW: flow
              RUN: {tag: running}
        """
    ns, problems = load(tmp_path, {"case.yaml": binding})
    assert problems == []
    pump = ns.node("plant/utilities/water/pump-1")
    assert pump is not None
    assert pump.asset_class is ns.classes["pump"]  # `pump-1: pump`
    running = ns.classes["pump"].tags["running"]  # `running: bool`
    assert (running.datatype, running.unit) == ("bool", None)
    assert ns.classes["pump"].tags["flow"].datatype == "float"  # mapping without datatype
    assert ns.bindings[0].tag_map == {
        "FLOW": TagMapSpec(tag="flow"),
        "RUN": TagMapSpec(tag="running"),
    }


def test_binding_name_defaults_to_file_and_index(tmp_path: Path) -> None:
    binding = """\
        bindings:
          - topic: plc/P1/RUN
            format: scalar
            equipment: plant/utilities/water/pump-1
            tag: running
        """
    ns, problems = load(tmp_path, {"case.yaml": binding})
    assert problems == []
    assert ns.bindings[0].name == "case[0]"


SKIPPING_TREE = """\
    sites:
      depot:
        timezone: America/Chicago
        area:
          store:
            line:
              fill:
                cell:
                  c1:
                    equipment:
                      pump-1: pump
                equipment:
                  pump-2: pump
            equipment:
              tank-1: tank
    """


@pytest.mark.parametrize(
    ("path", "topic"),
    [
        ("depot/store/fill/c1/pump-1", "acme/depot/store/fill/c1/pump-1/flow"),
        ("depot/store/fill/pump-2", "acme/depot/store/fill/pump-2/flow"),  # no cell
        ("depot/store/tank-1", "acme/depot/store/tank-1/flow"),  # no line, no cell
    ],
    ids=["full-depth", "skips-cell", "skips-line-and-cell"],
)
def test_governed_topic_leaves_out_skipped_levels(tmp_path: Path, path: str, topic: str) -> None:
    ns, problems = load(tmp_path, {"case.yaml": SKIPPING_TREE})
    assert problems == []
    node = ns.node(path)
    assert node is not None
    assert str(ns.governed_topic(node, "flow")) == topic


def test_levels_are_recorded_per_node(tmp_path: Path) -> None:
    ns, _ = load(tmp_path, {"case.yaml": SKIPPING_TREE})
    node = ns.node("depot/store/fill/pump-2")
    assert node is not None
    assert node.parent is not None
    assert (
        node.level,
        node.parent.level,
        node.parent.parent.level if node.parent.parent else "",
    ) == (
        "equipment",
        "line",
        "area",
    )


ENTERPRISE_WITH_TOPICS = """\
    enterprise:
      name: acme
      topics:
        prefix: uns/v1
        layout: "{enterprise}/{site}/{line}/{equipment}/{tag}"
        deadletter: "{enterprise}/_errors/{reason}"
    """


def test_prefix_and_custom_layout(tmp_path: Path) -> None:
    ns, problems = load(tmp_path, {"enterprise.yaml": ENTERPRISE_WITH_TOPICS})
    assert problems == []
    pump = ns.node("plant/utilities/water/pump-1")
    assert pump is not None
    # The layout leaves out the area level for every branch.
    assert str(ns.governed_topic(pump, "flow")) == "uns/v1/acme/plant/water/pump-1/flow"


def test_default_layout_and_deadletter(tmp_path: Path) -> None:
    ns, problems = load(tmp_path, {})
    assert problems == []
    assert ns.layout.source == "{enterprise}/{site}/{area}/{line}/{cell}/{equipment}/{tag}"
    assert str(ns.deadletter_topic("bad_json")) == "acme/_deadletter/bad_json"


def test_custom_deadletter_topic_under_the_prefix(tmp_path: Path) -> None:
    ns, problems = load(tmp_path, {"enterprise.yaml": ENTERPRISE_WITH_TOPICS})
    assert problems == []
    assert str(ns.deadletter_topic("no_binding")) == "uns/v1/acme/_errors/no_binding"


def test_batch_levels_variant(tmp_path: Path) -> None:
    files = {
        "enterprise.yaml": """\
            enterprise:
              name: acme
              levels: [site, area, process_cell, unit, equipment]
            """,
        "sites.yaml": """\
            sites:
              plant:
                timezone: Europe/Berlin
                area:
                  brewhouse:
                    process_cell:
                      wort:
                        unit:
                          kettle: {class: tank}
            """,
    }
    ns, problems = load(tmp_path, files)
    assert problems == []
    kettle = ns.node("plant/brewhouse/wort/kettle")
    assert kettle is not None
    assert kettle.level == "unit"
    assert str(ns.governed_topic(kettle, "level")) == "acme/plant/brewhouse/wort/kettle/level"


def test_static_context_defaults(tmp_path: Path) -> None:
    sites = """\
        sites:
          plant:
            timezone: Europe/Berlin
            area:
              utilities:
                context: {order: "4711"}
                line:
                  water:
                    context: {product: tap-water, batch: W-01}
                    equipment:
                      pump-1: pump
        """
    ns, problems = load(tmp_path, {"sites.yaml": sites})
    assert problems == []
    water = ns.node("plant/utilities/water")
    assert water is not None
    assert water.context == {"product": "tap-water", "batch": "W-01"}
    area = ns.node("plant/utilities")
    assert area is not None
    assert area.context == {"order": "4711"}


def test_files_load_in_sorted_path_order(tmp_path: Path) -> None:
    files = {
        "bindings/b.yaml": """\
            bindings:
              - topic: plc/P2/RUN
                equipment: plant/utilities/water/pump-2
                tag: running
            """,
        "bindings/a.yaml": """\
            bindings:
              - topic: plc/P1/RUN
                equipment: plant/utilities/water/pump-1
                tag: running
            """,
    }
    ns, problems = load(tmp_path, files)
    assert problems == []
    # Declaration order is global: files in sorted path order, items in order.
    assert [(b.spec.equipment, b.order) for b in ns.bindings] == [
        ("plant/utilities/water/pump-1", 0),
        ("plant/utilities/water/pump-2", 1),
    ]


def test_recursive_alias_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    _, problems = load(tmp_path, {"case.yaml": "classes: &a {x: *a}\n"})
    assert [p.rule for p in problems] == ["yaml-syntax"]


# -- robustness: any mapping of sections loads to problems, never to an exception -----------

_KEYS = st.sampled_from(
    [
        *("name", "levels", "topics", "layout", "prefix", "deadletter", "naming"),
        *("tags", "extends", "class", "unit", "datatype", "range", "timezone", "calendar"),
        *("area", "line", "cell", "equipment", "context", "pump", "plant", "utilities"),
        *("topic", "format", "fields", "records", "id", "map", "tag", "scale", "offset"),
        *("kind", "shifts", "start", "end", "days", "scope", "mode", "event"),
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(
        [
            *("pump", "tank", "plant/utilities/water/pump-1", "plc/{asset}/{tag}", "{tag}"),
            *("a/+/#", "+", "#", "{", "Europe/Berlin", "json", "scalar", "records", "kepware"),
            *("events", "weekly", "07:00", "mon-fri", "m^3/h", "degF", "", "site", "equipment"),
        ]
    ),
)
_TREES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=30,
)
_DOCS = st.dictionaries(
    st.sampled_from(["enterprise", "classes", "calendars", "sites", "bindings", "context"]),
    _TREES,
    max_size=5,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCS)
def test_any_section_mapping_gives_problems_not_exceptions(doc: dict[str, object]) -> None:
    buf = io.StringIO()
    YAML().dump({**doc, "enterprise": doc.get("enterprise", {"name": "acme"})}, buf)
    text = buf.getvalue()
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "m.yaml").write_text(text, encoding="utf-8")
        _, problems = load_model_lenient(d)
    lines = text.count("\n") + 1
    for p in problems:
        assert 1 <= p.pos.line <= lines, p.parsable()
        assert p.rule, p.parsable()
