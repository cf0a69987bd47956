"""docs/tutorial.md stays true to the code and to examples/tutorial/.

- Every ```yaml block parses (ruamel, safe), unless the line before it is `<!-- broken -->`.
- A block after `<!-- file: PATH -->` is the whole of PATH, byte for byte.
- The finished model (examples/tutorial/) loads and lints clean, and extends the starting point
  (examples/tutorial-before/) without changing it.
- A console block after `<!-- test: explain -->` is re-run as `uns explain --json` against the
  finished model: the route, the notes and the list of messages must be what the code prints,
  and every stable field the block shows (value, unit, quality, asset levels, context, dead
  letter reason and detail) must have the value shown. Times are not compared: `received` is
  the time explain ran.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from uns.cli import main
from uns.config.loader import load_model_lenient
from uns.lint.linter import lint_models

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "tutorial.md"
FINISHED = ROOT / "examples" / "tutorial"
START = ROOT / "examples" / "tutorial-before"
SECTIONS = {"enterprise", "classes", "calendars", "sites", "bindings", "context"}

FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*(.*?)\s*-->$")
ROUTE = re.compile(
    r"^topic '(?P<topic>[^']*)' matched (?P<kind>binding|context) '(?P<name>[^']*)'$"
)
NO_ROUTE = re.compile(r"^topic '(?P<topic>[^']*)': no binding or context source matches$")
HEADER = re.compile(r"^(?P<kind>enriched|deadletter): (?P<topic>\S+)$")
FIELD = re.compile(r'^\s*"(?P<key>\w+)": (?P<value>.+?),?$')

ASSET_KEYS = {"enterprise", "site", "area", "line", "cell", "equipment"}
CONTEXT_KEYS = {"shift", "crew", "batch", "product", "order"}
TOP_KEYS = {"value", "unit", "quality", "timestamp_source", "reason", "detail", "binding"}


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int  # of the opening fence, 1-based
    marker: str  # the HTML comment right before the fence, or ""


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, each with the comment line before it."""
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        before = MARKER.match(lines[i - 1]) if i > 0 else None
        body = "\n".join(lines[i + 1 : end]) + "\n"
        out.append(Block(m.group(1), body, i + 1, before.group(1) if before else ""))
        i = end + 1
    return out


DOC_BLOCKS = blocks(DOC.read_text(encoding="utf-8"))
YAML_BLOCKS = [b for b in DOC_BLOCKS if b.lang == "yaml" and b.marker != "broken"]
FILE_BLOCKS = [b for b in DOC_BLOCKS if b.marker.startswith("file:")]
EXPLAIN_BLOCKS = [b for b in DOC_BLOCKS if b.marker == "test: explain"]


def test_the_doc_has_the_blocks_this_test_relies_on() -> None:
    assert len(YAML_BLOCKS) >= 10
    assert len(FILE_BLOCKS) >= 2
    assert len(EXPLAIN_BLOCKS) >= 3


# -- YAML blocks -------------------------------------------------------------------------------


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=[f"line-{b.line}" for b in YAML_BLOCKS])
def test_yaml_block_parses(block: Block) -> None:
    data = YAML(typ="safe", pure=True).load(block.text)
    assert data is not None, "an empty yaml block"
    if isinstance(data, dict) and SECTIONS & set(data):
        # A whole model file: only section keys at the top, so a misspelt one cannot hide.
        assert set(data) <= SECTIONS, f"not model sections: {sorted(set(data) - SECTIONS)}"


@pytest.mark.parametrize("block", FILE_BLOCKS, ids=[b.marker[5:].strip() for b in FILE_BLOCKS])
def test_block_is_the_shipped_file(block: Block) -> None:
    path = ROOT / block.marker[len("file:") :].strip()
    assert block.text == path.read_text(encoding="utf-8")


# -- the finished model ----------------------------------------------------------------------


@pytest.mark.parametrize("root", [START, FINISHED], ids=["before", "finished"])
def test_model_loads_and_lints_clean(root: Path) -> None:
    _, problems = load_model_lenient(root)
    assert problems == [], "\n".join(p.parsable() for p in problems)
    # The tutorial ends with `uns lint --strict` clean: no errors and no warnings either.
    assert [p.parsable() for p in lint_models(root)] == []


def test_finished_model_extends_the_starting_point_unchanged() -> None:
    for path in sorted(START.rglob("*.yaml")):
        rel = path.relative_to(START)
        before = path.read_text(encoding="utf-8")
        after = (FINISHED / rel).read_text(encoding="utf-8")
        assert after.startswith(before), f"{rel} changed; the tutorial only appends to it"


def test_finished_model_has_what_the_tutorial_adds() -> None:
    ns, _ = load_model_lenient(FINISHED)
    assert ns.sites["lyon"].timezone == "Europe/Paris"
    assert "lyon-5x8" in ns.calendars
    assert ns.classes["hot-filler"].tags["product_temperature"].unit == "degC"
    assert {b.name for b in ns.bindings} >= {"lyo-l1-filler", "lyo-l1-capper", "lyo-l1-conveyors"}
    assert "lyo-l1-lots" in {c.name for c in ns.context_sources}


# -- uns explain output quoted in the doc ------------------------------------------------------


@dataclass
class Shown:
    """What an explain block in the doc shows."""

    topic: str
    payload: str
    route: tuple[str, str] | None  # (kind, name), None for "no binding ..."
    pattern: str | None
    captures: str | None
    notes: list[str]
    messages: list[tuple[str, str, dict[str, str]]]  # kind, topic, {key: raw JSON value}


def parse_explain(block: Block) -> Shown:
    lines = block.text.splitlines()
    command = shlex.split(lines[0].removeprefix("$ "))
    assert command[:4] == ["uns", "explain", "--models", "work"], lines[0]
    topic, payload = command[4:]
    route = ROUTE.match(lines[1])
    assert route is not None or NO_ROUTE.match(lines[1]), lines[1]
    shown = Shown(
        topic,
        payload,
        (route["kind"], route["name"]) if route else None,
        None,
        None,
        [],
        [],
    )
    parents: list[str] = []  # the keys of the objects a field line is inside
    for text in lines[2:]:
        header = HEADER.match(text)
        if header:
            shown.messages.append((header["kind"], header["topic"], {}))
        elif shown.messages:
            field = FIELD.match(text)
            if field and field["value"] == "{":
                parents.append(field["key"])
            elif text.strip() in ("}", "},"):
                if parents:
                    parents.pop()
            elif field and (not parents or parents[-1] in ("asset", "context")):
                # `source` repeats keys (`quality`, as sent): only the message's own count
                shown.messages[-1][2][field["key"]] = field["value"]
        elif text.startswith("  pattern:"):
            shown.pattern = text.split(":", 1)[1].strip()
        elif text.startswith("  captures:"):
            shown.captures = text.split(":", 1)[1].strip()
        elif text.startswith("  candidates") or text.startswith("    "):
            continue
        elif text.startswith("  "):
            shown.notes.append(text.strip())
    return shown


def stable_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """The fields of a published message that do not depend on when explain ran."""
    out = {k: payload[k] for k in TOP_KEYS if k in payload}
    out |= {k: v for k, v in payload.get("asset", {}).items() if k in ASSET_KEYS}
    out |= {k: v for k, v in payload.get("context", {}).items() if k in CONTEXT_KEYS}
    return out


def same(shown: object, actual: object) -> bool:
    if isinstance(shown, float) and isinstance(actual, (int, float)):
        return shown == pytest.approx(actual, rel=1e-9)
    return shown == actual


@pytest.mark.parametrize("block", EXPLAIN_BLOCKS, ids=[f"line-{b.line}" for b in EXPLAIN_BLOCKS])
def test_explain_output_in_the_doc_matches_the_code(
    block: Block, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = parse_explain(block)
    code = main(["explain", "--json", "--models", str(FINISHED), shown.topic, shown.payload])
    doc = json.loads(capsys.readouterr().out)

    route = doc["route"]
    if shown.route is None:
        assert route["kind"] == "none"
    else:
        assert (route["kind"], route["name"]) == shown.route
        assert route["pattern"] == shown.pattern
        captures = ", ".join(f"{k}={v!r}" for k, v in route["captures"].items()) or "none"
        assert captures == shown.captures
    assert doc["notes"] == shown.notes

    actual = doc["messages"]
    assert [(k, t) for k, t, _ in shown.messages] == [(m["kind"], m["topic"]) for m in actual]
    assert code == (0 if all(m["kind"] == "enriched" for m in actual) else 1)
    for (_, topic, fields), message in zip(shown.messages, actual, strict=True):
        stable = stable_fields(message["payload"])
        for key, raw in fields.items():
            if key not in stable:
                continue  # times, source, payload: not compared
            assert same(json.loads(raw), stable[key]), f"{topic}: {key} shown as {raw}"


def test_explain_blocks_cover_an_enriched_value_and_a_dead_letter() -> None:
    kinds = {k for b in EXPLAIN_BLOCKS for k, _, _ in parse_explain(b).messages}
    assert kinds == {"enriched", "deadletter"}
    shown_values = [
        f for b in EXPLAIN_BLOCKS for _, _, f in parse_explain(b).messages if "value" in f
    ]
    assert len(shown_values) >= 3
