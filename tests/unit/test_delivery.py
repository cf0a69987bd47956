"""Message ids and dead letters that fit the broker (uns/delivery.py)."""

from __future__ import annotations

import hashlib

import orjson

from uns.delivery import MessageIds, bounded_dead_letter, fits, with_id


def test_a_message_id_depends_on_topic_payload_and_output_index() -> None:
    ids = MessageIds("plc/a", b"1")
    assert ids.id(0) == MessageIds("plc/a", b"1").id(0)  # a redelivery: the same id
    others = {MessageIds("plc/b", b"1").id(0), MessageIds("plc/a", b"2").id(0), ids.id(1)}
    assert ids.id(0) not in others
    assert len(others) == 3
    assert len(ids.id(0)) == 32


def test_topic_and_payload_cannot_trade_bytes() -> None:
    assert MessageIds("a", b"b/c").id(0) != MessageIds("a/b", b"c").id(0)


def test_the_id_is_the_first_member_of_the_json_object() -> None:
    assert with_id(b'{"value":1}', "abc") == b'{"id":"abc","value":1}'
    assert orjson.loads(with_id(b'{"value":1}', "abc")) == {"id": "abc", "value": 1}
    assert orjson.loads(with_id(b"{}", "abc")) == {"id": "abc"}


def test_a_payload_that_is_not_a_json_object_is_left_alone() -> None:
    assert with_id(b"\x08\x01", "abc") == b"\x08\x01"


def test_fits_counts_the_topic_and_the_packet_overhead() -> None:
    assert fits("t", b"x" * 100, 165)
    assert not fits("t", b"x" * 100, 164)


def test_a_bounded_dead_letter_keeps_an_excerpt_and_the_hash_of_the_raw_payload() -> None:
    raw = bytes(range(256)) * 1000
    full = orjson.dumps({"reason": "decode_error", "topic": "t", "payload": "A" * 400_000})
    bounded = orjson.loads(bounded_dead_letter(full, raw, 1024))
    assert bounded["reason"] == "decode_error"
    assert bounded["payload_bytes"] == len(raw)
    assert bounded["payload_sha256"] == hashlib.sha256(raw).hexdigest()
    assert bounded["payload_encoding"] == "utf-8-excerpt"
    assert len(bounded["payload"].encode()) <= 3 * 1024  # replacement characters at most
    assert len(orjson.dumps(bounded)) < 4096
