"""Dead-letter spool: parse, filter, rotate; `uns replay --dry-run` against a fixed model."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest

from uns.cli import main
from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.errors import UnsError
from uns.pipeline import Enricher
from uns.replay import Spool, parse_spool, select

MODEL = Path(__file__).parent.parent / "data" / "models" / "plant"
NOW = 1774346400000  # 2026-03-24T10:00:00Z


def spool_of(tmp_path: Path, messages: list[tuple[str, bytes]]) -> Path:
    """Dead letters exactly as the pipeline publishes them, appended to a spool."""
    enricher = Enricher(load_model(MODEL), ContextStore())
    spool = Spool(tmp_path / "dead.jsonl")
    for i, (topic, payload) in enumerate(messages):
        for out in enricher.process(topic, payload, NOW + i * 60_000):
            assert out.kind == "deadletter"
            spool.append(out.payload)
    return spool.path


def test_spool_round_trip_keeps_binary_payloads(tmp_path: Path) -> None:
    path = spool_of(tmp_path, [("raw/scalar/O1/NOPE", b"1"), ("raw/json/L1/O1", b"\xff\xfe")])
    letters = list(parse_spool(path.read_bytes().splitlines()))
    assert [(x.reason, x.topic, x.payload) for x in letters] == [
        ("unknown_raw_tag", "raw/scalar/O1/NOPE", b"1"),
        ("not_utf8", "raw/json/L1/O1", b"\xff\xfe"),
    ]
    assert letters[1].received == "2026-03-24T10:01:00.000Z"


def test_select_by_reason_and_time(tmp_path: Path) -> None:
    path = spool_of(
        tmp_path,
        [("raw/scalar/O1/A", b"1"), ("raw/scalar/O1/B", b"1"), ("nowhere", b"1")],
    )
    letters = list(parse_spool(path.read_bytes().splitlines()))
    assert [x.topic for x in select(letters, {"unknown_raw_tag"})] == [
        "raw/scalar/O1/A",
        "raw/scalar/O1/B",
    ]
    since, until = NOW + 60_000, NOW + 120_000
    assert [x.topic for x in select(letters, None, since, until)] == ["raw/scalar/O1/B"]


def test_a_line_that_is_not_a_dead_letter_is_named(tmp_path: Path) -> None:
    good = orjson.dumps(
        {
            "reason": "x",
            "topic": "t",
            "payload": base64.b64encode(b"a").decode(),
            "payload_encoding": "base64",
        }
    )
    with pytest.raises(UnsError, match="spool:2: not a dead letter"):
        list(parse_spool([good, b"{not json"]))


def test_a_captured_excerpt_is_not_replayed_as_if_it_were_the_payload() -> None:
    line = orjson.dumps(
        {
            "reason": "decode_error",
            "topic": "plc/a",
            "payload": "abc",
            "payload_encoding": "utf-8-excerpt",
            "payload_sha256": "ab" * 32,
        }
    )
    with pytest.raises(UnsError, match=r"capture:1: holds only an excerpt .* from the spool"):
        list(parse_spool([line], "capture"))


def test_spool_rotates_at_its_size_limit(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.jsonl", max_bytes=100)
    for i in range(5):
        spool.append(b'{"n": %d, "pad": "%s"}' % (i, b"x" * 30))
    kept = spool.path.read_bytes().splitlines()
    rotated = (tmp_path / "s.jsonl.1").read_bytes().splitlines()
    assert len(kept) + len(rotated) >= 3
    assert all(len(line) < 100 for line in kept)
    assert orjson.loads(kept[-1])["n"] == 4


def test_dry_run_shows_what_a_fixed_model_does(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = spool_of(tmp_path, [("raw/scalar/O1/TEMP", b"21.5"), ("raw/scalar/O1/TEMP", b"22")])
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    text = (MODEL / "model.yaml").read_text()
    (fixed / "model.yaml").write_text(
        text.replace("      RUN: running\n", "      RUN: running\n      TEMP: state\n")
    )
    assert main(["replay", str(path), "--dry-run", "--models", str(MODEL)]) == 1
    assert "2  still dead-lettered: unknown_raw_tag" in capsys.readouterr().out
    assert main(["replay", str(path), "--dry-run", "--models", str(fixed)]) == 0
    assert "2  enriched" in capsys.readouterr().out


def test_a_batch_dead_letter_names_its_failed_values_and_replay_takes_only_those() -> None:
    enricher = Enricher(load_model(MODEL), ContextStore())
    batch = orjson.dumps(
        {"timestamp": NOW, "values": [{"id": "L9.OV9.TT1", "v": 1}, {"id": "L9.OV9.XX", "v": 2}]}
    )
    outs = enricher.process("raw/kepware/austin", batch, NOW)
    assert [o.kind for o in outs] == ["enriched", "deadletter"]
    assert orjson.loads(outs[1].payload)["values"] == ["L9.OV9.XX"]
    again = enricher.process("raw/kepware/austin", batch, NOW, frozenset(["L9.OV9.XX"]))
    assert [o.kind for o in again] == ["deadletter"]  # TT1 is not published a second time


def test_replay_hints_give_the_original_time_and_ignore_what_does_not_parse() -> None:
    from uns.delivery import REPLAY_RECEIVED, REPLAY_VALUES, replay_hints

    hints = ((REPLAY_RECEIVED, "2026-03-24T10:00:00.000Z"), (REPLAY_VALUES, '["a", "b"]'))
    assert replay_hints(hints, 5) == (NOW, frozenset(["a", "b"]))
    bad = ((REPLAY_RECEIVED, "yesterday"), (REPLAY_VALUES, "[1]"), ("other", "x"))
    assert replay_hints(bad, 5) == (5, None)
    assert replay_hints(((REPLAY_RECEIVED, "2026-03-24T10:00:00"),), 5) == (5, None)  # no zone


def test_a_spool_entry_keeps_the_whole_topic_and_bounds_the_payload() -> None:
    from uns.delivery import spool_entry

    long_topic = "plc/" + "a" * 2000
    dead = orjson.dumps({"reason": "topic_too_long", "topic": long_topic[:256] + "...",
                         "payload": "1", "payload_encoding": "utf-8"})  # fmt: skip
    kept = orjson.loads(spool_entry(dead, "topic_too_long", (long_topic, b"1"), 4096, 64))
    assert kept["topic"] == long_topic
    huge = b"x" * 10_000
    dead = orjson.dumps({"reason": "bad_json", "topic": "plc/a", "payload": huge.decode(),
                         "payload_encoding": "utf-8"})  # fmt: skip
    entry = spool_entry(dead, "bad_json", ("plc/a", huge), 4096, 64)
    assert len(entry) < 4096
    assert orjson.loads(entry)["payload_encoding"] == "utf-8-excerpt"
