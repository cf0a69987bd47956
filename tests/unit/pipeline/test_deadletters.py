"""Rejections -> dead-letter messages."""

from __future__ import annotations

import base64

import orjson

from uns.model.namespace import Namespace
from uns.pipeline.deadletters import DeadLetters
from uns.pipeline.outputs import Rejection

NOW = 1_774_346_400_000


def test_a_dead_letter_keeps_the_raw_message(plant: Namespace) -> None:
    out = DeadLetters(plant).message("raw/x", b"\xff\x00", NOW, Rejection("bad_json", "no"), "b1")
    assert out.topic == "testco/_deadletter/bad_json"
    assert out.kind == "deadletter"
    assert out.reason == "bad_json"
    assert not out.retain
    body = orjson.loads(out.payload)
    assert body["payload_encoding"] == "base64"
    assert base64.b64decode(body["payload"]) == b"\xff\x00"
    assert body["binding"] == "b1"
    assert body["received"] == "2026-03-24T10:00:00.000Z"


def test_one_dead_letter_per_reason_naming_at_most_twenty_values(plant: Namespace) -> None:
    failed = {"unknown_tag": [f"t{i}" for i in range(23)], "bad_value": ["v"]}
    outs = DeadLetters(plant).per_reason("raw/x", b"{}", NOW, failed)
    assert [o.reason for o in outs] == ["unknown_tag", "bad_value"]
    detail = orjson.loads(outs[0].payload)["detail"]
    assert detail.startswith("t0; t1; ")
    assert detail.endswith("; t19; ... 3 more")
    assert orjson.loads(outs[1].payload)["detail"] == "v"
