"""NamespaceState fed with the real pipeline's output on the test model."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.model.namespace import Namespace
from uns.model.problem import Position, Problem
from uns.pipeline import Enricher
from uns.web.state import EXCERPT_CHARS, SAMPLES_PER_REASON, NamespaceState

MODEL = Path(__file__).parent.parent / "data" / "models" / "plant" / "model.yaml"
T0 = 1_774_346_400_000  # 2026-03-24T10:00:00Z
OVEN1 = "testco/berlin/baking/line-1/oven-cell/oven-1"


@pytest.fixture(scope="module")
def ns() -> Namespace:
    return load_model(MODEL)


def fed(ns: Namespace, *messages: tuple[str, bytes, int]) -> NamespaceState:
    state = NamespaceState(spool="/var/lib/uns/dl.jsonl", models="models")
    state.use_model(ns, "abc123", 1.0)
    enricher = Enricher(ns, ContextStore())
    for topic, payload, at in messages:
        for out in enricher.process(topic, payload, at):
            state.observe(out.topic, out.payload, out.kind, at)
    return state


def test_the_model_seeds_every_governed_tag_before_any_value(ns: Namespace) -> None:
    state = fed(ns)
    expected = sum(len(n.tags) for n in ns.equipment())
    assert len(state.tags) == expected
    assert state.root.tag_count == expected
    top = state.children("", T0)
    assert top == [{"path": "testco", "name": "testco", "kind": "level", "tags": expected}]
    oven = state.children(OVEN1, T0)
    assert oven is not None
    names = [r["name"] for r in oven]
    assert names == sorted(names)
    temperature = next(r for r in oven if r["name"] == "temperature")
    assert temperature["value"] is None
    assert temperature["last_ms"] is None
    assert (temperature["unit"], temperature["datatype"]) == ("degC", "float")
    assert temperature["stale"] is False


def test_levels_come_before_tags_with_counts(ns: Namespace) -> None:
    state = fed(ns)
    line = state.children("testco/berlin/baking/line-1", T0)
    assert line is not None
    assert [(r["name"], r["kind"], r["tags"]) for r in line] == [
        ("oven-2", "level", 6),
        ("oven-cell", "level", 6),
    ]
    assert state.children("testco/nowhere", T0) is None


def test_a_published_value_shows_with_its_context(ns: Namespace) -> None:
    state = fed(ns, ("raw/scalar/O1/PT100", b"14.5", T0))
    rows = state.children(OVEN1, T0 + 2000)
    assert rows is not None
    pressure = next(r for r in rows if r["name"] == "pressure")
    assert pressure["value"] == pytest.approx(14.5 * 0.0689476, rel=1e-4)  # psi -> bar
    assert pressure["unit"] == "bar"
    assert pressure["quality"] == "good"
    assert pressure["last_ms"] == T0
    assert pressure["context"]["product"] == "rye-bread"
    assert pressure["source"]["topic"] == "raw/scalar/O1/PT100"


def test_changes_are_coalesced_per_tag_and_taken_once(ns: Namespace) -> None:
    state = fed(
        ns,
        ("raw/scalar/O1/PT100", b"1", T0),
        ("raw/scalar/O1/PT100", b"2", T0 + 1000),
        ("raw/scalar/O1/STATE", b"run", T0 + 1000),
    )
    rows, left = state.take_changes(T0 + 1000)
    assert sorted(r["name"] for r in rows) == ["pressure", "state"]
    assert left == 0
    pressure = next(r for r in rows if r["name"] == "pressure")
    assert pressure["value"] == pytest.approx(2 * 0.0689476, rel=1e-4)
    assert state.take_changes(T0 + 1000) == ([], 0)


def test_take_changes_hands_out_the_rest_next_time(ns: Namespace) -> None:
    state = fed(ns, ("raw/scalar/O1/PT100", b"1", T0), ("raw/scalar/O1/STATE", b"x", T0))
    rows, left = state.take_changes(T0, limit=1)
    assert (len(rows), left) == (1, 1)
    rest, left = state.take_changes(T0, limit=1)
    assert (len(rest), left) == (1, 0)
    assert rows[0]["path"] != rest[0]["path"]


def test_stale_after_three_usual_periods_without_data(ns: Namespace) -> None:
    state = fed(
        ns,
        ("raw/scalar/O1/PT100", b"1", T0),
        ("raw/scalar/O1/PT100", b"1", T0 + 10_000),
        ("raw/scalar/O1/PT100", b"1", T0 + 20_000),
    )
    tag = state.tags[f"{OVEN1}/pressure"]
    assert tag.period_s == pytest.approx(10.0)
    assert not tag.stale(T0 + 20_000 + 29_000)
    assert tag.stale(T0 + 20_000 + 31_000)
    assert state.stale_count(T0 + 20_000 + 31_000) == 1


def test_one_value_is_never_stale_by_age_but_a_stale_quality_is(ns: Namespace) -> None:
    state = fed(ns, ("raw/scalar/O1/PT100", b"1", T0))
    assert not state.tags[f"{OVEN1}/pressure"].stale(T0 + 86_400_000)
    payload = orjson.dumps({"value": None, "quality": "stale"})
    state.observe(f"{OVEN1}/pressure", payload, "enriched", T0 + 1)
    assert state.tags[f"{OVEN1}/pressure"].stale(T0 + 2)


def test_dead_letters_are_counted_by_reason_and_prefix_with_bounded_samples(
    ns: Namespace,
) -> None:
    big = b"x" * 5000
    messages = [("raw/scalar/O1/NOPE", b"%d" % i, T0 + i) for i in range(SAMPLES_PER_REASON + 3)]
    state = fed(ns, *messages, ("raw/json/L1/O1", big, T0), ("other/thing", b"1", T0))
    dl = state.deadletters()
    assert dl["total"] == SAMPLES_PER_REASON + 5
    counts = {r["reason"]: r["count"] for r in dl["by_reason"]}
    assert counts == {"unknown_raw_tag": SAMPLES_PER_REASON + 3, "bad_json": 1, "no_binding": 1}
    assert dl["by_reason"][0]["reason"] == "unknown_raw_tag"  # most first
    unknown = dl["by_reason"][0]
    assert len(unknown["samples"]) == SAMPLES_PER_REASON
    assert unknown["samples"][0]["payload"] == str(SAMPLES_PER_REASON + 2)  # newest first
    bad = next(r for r in dl["by_reason"] if r["reason"] == "bad_json")
    assert len(bad["samples"][0]["payload"]) < EXCERPT_CHARS + 30
    assert bad["samples"][0]["payload"].endswith("(5000 chars)")
    prefixes = {p["prefix"]: p["count"] for p in dl["by_prefix"]}
    assert prefixes == {"raw/scalar": SAMPLES_PER_REASON + 3, "raw/json": 1, "other/thing": 1}
    assert dl["topic"] == "testco/_deadletter/#"
    assert "uns replay /var/lib/uns/dl.jsonl --reason bad_json --dry-run" in bad["replay"]
    assert "mosquitto_sub" not in bad["replay"]  # the spool has them all
    assert state.dl_changed
    unspooled = NamespaceState(models="models")
    unspooled.deadletter_prefix = "testco/_deadletter"
    assert unspooled.replay_command("bad_json").startswith(
        "mosquitto_sub -h BROKER -t 'testco/_deadletter/bad_json' > deadletters.jsonl"
    )


def test_search_matches_every_word_anywhere_in_the_path(ns: Namespace) -> None:
    state = fed(ns)
    rows, total = state.search("OVEN-9 temp", T0)
    assert total == 1
    assert rows[0]["path"] == "testco/austin/baking/line-9/oven-9/temperature"
    rows, total = state.search("oven", T0, limit=3)
    assert (len(rows), total) == (3, len(state.tags))


def test_model_panel_shows_the_reload_and_the_lint_findings(ns: Namespace) -> None:
    state = fed(ns)
    assert state.model()["findings"] is None
    problem = Problem.at(Position("models/x.yaml", 3, 5), "unknown class 'ovn'")
    state.reload_result(False, "def456", [problem], 2.0)
    state.set_findings("old-version", [problem])  # a lint of a replaced model is dropped
    assert state.model()["findings"] is None
    state.set_findings("abc123", [problem.stamped("missing-class", "warning")])
    doc = state.model()
    assert doc["version"] == "abc123"
    assert doc["last_reload"] == {
        "ok": False,
        "version": "def456",
        "at": 2.0,
        "problems": ["models/x.yaml:3:5: [error] unknown class 'ovn'"],
    }
    assert doc["findings"]["count"] == 1
    assert doc["findings"]["by_level"] == {"warning": 1}


def test_a_tag_published_outside_the_model_is_added_to_the_tree(ns: Namespace) -> None:
    state = fed(ns)
    before = state.root.tag_count
    state.observe("testco/berlin/new/thing", b'{"value": 1}', "enriched", T0)
    assert state.root.tag_count == before + 1
    rows = state.children("testco/berlin/new", T0)
    assert rows is not None
    assert rows[0]["value"] == 1
    state.observe("testco/berlin/new/cmd", b"x", "command", T0)
    assert "testco/berlin/new/cmd" not in state.tags


def test_a_second_model_keeps_the_tags_and_their_counts(ns: Namespace) -> None:
    state = fed(ns, ("raw/scalar/O1/STATE", b"run", T0))
    before = state.root.tag_count
    state.use_model(ns, "v2", 2.0)
    assert state.root.tag_count == before == len(state.tags)
    oven = state.folder(OVEN1)
    assert oven is not None
    assert oven.tag_count == 6
    assert oven.tags["state"].updates == 1
