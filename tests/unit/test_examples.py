"""The shipped model and the examples: the good ones load clean, the broken one fails exactly.

`examples/broken` marks each planted mistake with `# MISTAKE: ...` on the line `uns check`
reports. The markers give the expected (file, line) set; a hand-written table adds the column
and a message fragment, and is the real assertion (a marker on the wrong line, a mistake
reported twice or one that cascades into others all fail it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from uns.cli import main
from uns.config.loader import load_model, load_model_lenient
from uns.context.production import ContextStore
from uns.model.namespace import Namespace
from uns.pipeline import Enricher

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BROKEN = "examples/broken"
# Directories that are meant to fail `uns check` (the lint examples load clean).
NOT_LOADABLE = {"broken"}

GOOD_DIRS = [
    ROOT / "models",
    *sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and p.name not in NOT_LOADABLE),
]

# (file, line, column, message fragment) of every planted mistake, written by hand.
BROKEN_PROBLEMS = {
    ("bindings.yaml", 11, 31, "cannot convert 'kg' ([mass]) to 'm^3/h'"),
    ("bindings.yaml", 12, 12, "tag 'level' is not a tag of class 'pump'"),
    ("bindings.yaml", 17, 16, "equipment 'springfield/utilities/water/tank-9' is not in any site"),
    ("bindings.yaml", 22, 12, "segment 2 'T1+': '+' and '#' must fill a whole segment"),
    ("bindings.yaml", 30, 16, "equipment uses {asset} but the topic/id captures only raw_tag"),
    ("classes.yaml", 17, 5, "unknown key 'descripton' (did you mean 'description'?)"),
    ("classes.yaml", 20, 33, "classes.mixer.tags.speed.range: Input should be a valid tuple"),
    ("classes.yaml", 21, 7, "duplicate key 'dosing_ratio' (first at line 19)"),
    ("sites.yaml", 10, 15, "unknown calendar 'two-shift' (did you mean 'day-shift'?)"),
    ("sites.yaml", 18, 15, "unknown class 'pumpp' (did you mean 'pump'?)"),
    ("sites.yaml", 23, 15, "unknown IANA timezone 'America/Shelbyville'"),
    ("syntax.yaml", 8, 29, "YAML syntax: mapping values are not allowed"),
}

# `path:line:col: [level] message (rule)`, as Problem.parsable() prints it.
PARSABLE = re.compile(r"(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): \[(\w+)\] (?P<msg>.*)")


@pytest.mark.parametrize("root", GOOD_DIRS, ids=[p.name for p in GOOD_DIRS])
def test_loads_without_problems(root: Path) -> None:
    _, problems = load_model_lenient(root)
    assert problems == [], "\n".join(p.parsable() for p in problems)


def test_shipped_model_meets_its_content_floor() -> None:
    ns, _ = load_model_lenient(ROOT / "models")
    zones = {site.timezone for site in ns.sites.values()}
    assert len(zones) >= 2
    assert sum(1 for n in ns.nodes.values() if n.level == "line") >= 4
    assert sum(1 for _ in ns.equipment()) >= 30
    assert {b.spec.format for b in ns.bindings} >= {"json", "scalar", "kepware"}
    assert {s.spec.mode for s in ns.context_sources} == {"current", "events"}
    assert {type(c).__name__ for c in ns.calendars.values()} == {
        "WeeklyCalendar",
        "RotationCalendar",
    }


def marked_places() -> set[tuple[str, int]]:
    """(file, line) of every `# MISTAKE` comment in examples/broken."""
    places = set()
    for path in sorted((ROOT / BROKEN).glob("*.yaml")):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "# MISTAKE:" in text:
                places.add((path.name, number))
    return places


def reported(out: str) -> list[tuple[str, int, int, str]]:
    rows = []
    for text in out.splitlines():
        m = PARSABLE.fullmatch(text)
        assert m is not None, f"not a problem line: {text!r}"
        rows.append((Path(m["path"]).name, int(m["line"]), int(m["col"]), m["msg"]))
    return rows


@pytest.fixture
def broken_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[tuple[str, int, int, str]]]:
    monkeypatch.chdir(ROOT)  # so paths print as examples/broken/<file>, as in the docs
    code = main(["check", BROKEN])
    out = capsys.readouterr().out
    return code, reported(out)


def test_broken_exits_1(broken_check: tuple[int, list[tuple[str, int, int, str]]]) -> None:
    code, _ = broken_check
    assert code == 1


def test_broken_reports_exactly_the_marked_lines(
    broken_check: tuple[int, list[tuple[str, int, int, str]]],
) -> None:
    _, rows = broken_check
    lines = [(file, line) for file, line, _, _ in rows]
    assert len(lines) == len(set(lines)), "a marked line is reported more than once"
    assert set(lines) == marked_places()


def test_broken_reports_the_hand_table(
    broken_check: tuple[int, list[tuple[str, int, int, str]]],
) -> None:
    _, rows = broken_check
    assert {(f, line, col) for f, line, col, _ in rows} == {
        (f, line, col) for f, line, col, _ in BROKEN_PROBLEMS
    }
    messages = {(f, line, col): msg for f, line, col, msg in rows}
    for f, line, col, fragment in BROKEN_PROBLEMS:
        assert fragment in messages[f, line, col]


def test_hand_table_and_markers_agree() -> None:
    assert {(f, line) for f, line, _, _ in BROKEN_PROBLEMS} == marked_places()


# -- the payloads the shipped model's comments show, run through the pipeline --------------

RECEIVED_MS = 1_740_985_505_000  # 2025-03-03T07:05:05Z: early shift in Cologne, night in Dallas
ROUTES = [
    (
        "opcua/cologne/L1/FIL01/TT101.PV",
        {"Value": {"Value": 4.2, "SourceTimestamp": "2025-03-03T06:15:02.1234567Z"}},
        "acme/cologne/bottling/line-1/filling/filler/product_temperature",
        4.2,
    ),
    (
        "opcua/cologne/L1/CV03/Belt.Speed",
        {"Value": {"Value": 42.5, "SourceTimestamp": "2025-03-03T06:15:02Z"}},
        "acme/cologne/bottling/line-1/conveyor-3/belt_speed",
        42.5,
    ),
    (
        "plc/cgn/L2/FIL01/TT101.PV",
        42,
        "acme/cologne/bottling/line-2/filler/product_temperature",
        4.2,
    ),
    ("plc/cgn/L2/LAB01/Speed_Act", 598, "acme/cologne/bottling/line-2/labeler/speed", 35880.0),
    (
        "pcs/cgn/syrup/P201",
        {"data": {"values": [{"tag": "FI", "val": 250, "ts": "2025-03-03 07:15:05", "qc": 192}]}},
        "acme/cologne/processing/syrup/transfer-pump-1/flow",
        15.0,
    ),
    (
        "kepware/dallas/drives",
        {"timestamp": 1, "values": [{"id": "CAN2.Conveyors.CV02.FPM", "v": 100, "q": True}]},
        "acme/dallas/canning/can-2/conveyor-2/belt_speed",
        30.48,
    ),
    (
        "ignition/DAL/Utilities/CO2Tank/Press",
        {"value": 300, "timestamp": 1740985502123, "quality": "Good"},
        "acme/dallas/utilities/co2-tank/pressure",
        20.684271,
    ),
]


@pytest.fixture(scope="module")
def shipped() -> Namespace:
    return load_model(ROOT / "models")


@pytest.mark.parametrize(
    ("topic", "payload", "governed", "value"), ROUTES, ids=[r[0] for r in ROUTES]
)
def test_shipped_model_routes_its_documented_payloads(
    shipped: Namespace, topic: str, payload: object, governed: str, value: float
) -> None:
    out = Enricher(shipped, ContextStore()).process(
        topic, json.dumps(payload).encode(), RECEIVED_MS
    )
    assert [o.topic for o in out] == [governed]
    assert json.loads(out[0].payload)["value"] == pytest.approx(value, rel=1e-6)


# -- examples/field-data: tag groups, structured values, own context keys, field topics ---

FIELD_RECEIVED_MS = 1_774_346_400_000  # 2026-03-24T10:00:00Z, the early shift in Lyon


def test_field_data_example_publishes_what_its_comments_say() -> None:
    ns = load_model(EXAMPLES / "field-data")
    enricher = Enricher(ns, ContextStore())
    for topic, payload in (
        ("mes/lyon/syrup/workorder", b'"WO-1234"'),
        ("mes/lyon/syrup/lotnumber", b"L-77"),
    ):
        assert enricher.process(topic, payload, FIELD_RECEIVED_MS - 1000) == []
    steps = [{"step": 1, "phase": "dose", "setpoint": 20, "duration": 300}]
    out = enricher.process(
        "plc/lyon/M1/recipe/steps", json.dumps({"value": steps}).encode(), FIELD_RECEIVED_MS
    )
    assert [o.topic for o in out] == ["acme/lyon/process/syrup/mixer-1/recipe/steps"]
    body = json.loads(out[0].payload)
    assert body["value"] == [{"step": 1, "phase": "dose", "setpoint": 20.0, "duration": 300.0}]
    assert body["asset"]["equipment"] == "mixer-1"
    assert body["asset"]["group"] == "recipe"
    context = body["context"]
    assert (context["order"], context["lot"], context["recipe"]) == (
        "WO-1234",
        "L-77",
        "base-syrup",
    )
    assert context["shift"] == "early"
