"""Pure helpers of the delivery core: message ids and dead letters that fit the broker.

Message id (docs/payload.md): the first 32 hex digits of
sha256(raw topic, 0x00, raw payload, 0x00, output index). A broker redelivery or a replay of
the same raw message yields the same id for the same output, so a consumer can de-duplicate.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson

# Room for everything in a PUBLISH besides topic and payload: fixed header (<= 5 bytes),
# topic length, packet id, properties (content type "application/json" is 19 bytes).
PACKET_OVERHEAD = 64


class MessageIds:
    """The ids of the outputs of one raw message (the raw part is hashed once)."""

    __slots__ = ("_base",)

    def __init__(self, topic: str, payload: bytes) -> None:
        base = hashlib.sha256(topic.encode())
        base.update(b"\x00")
        base.update(payload)
        base.update(b"\x00")
        self._base = base

    def id(self, index: int | str) -> str:
        """`index`: the output's position; a replacement dead letter uses `reason:topic`."""
        h = self._base.copy()
        h.update(str(index).encode())
        return h.hexdigest()[:32]


def with_id(payload: bytes, message_id: str) -> bytes:
    """The JSON object `payload` with `"id"` as its first member (payloads are objects)."""
    if payload[:1] != b"{":
        return payload
    head = b'{"id":"' + message_id.encode() + (b'"}' if payload == b"{}" else b'",')
    return head if payload == b"{}" else head + payload[1:]


def fits(topic: str, payload: bytes, limit: int) -> bool:
    return len(topic) + len(payload) + PACKET_OVERHEAD <= limit


def bounded_dead_letter(dead_letter: bytes, raw_payload: bytes, excerpt_bytes: int) -> bytes:
    """A dead letter whose raw payload is cut to an excerpt, with the whole payload's size and
    sha256 so that the copy in the spool can be matched to it."""
    body: dict[str, Any] = orjson.loads(dead_letter)
    excerpt = raw_payload[:excerpt_bytes]
    body["payload"] = excerpt.decode("utf-8", errors="replace")
    body["payload_encoding"] = "utf-8-excerpt"
    body["payload_bytes"] = len(raw_payload)
    body["payload_sha256"] = hashlib.sha256(raw_payload).hexdigest()
    return orjson.dumps(body)


def spool_entry(
    dead_letter: bytes,
    reason: str | None,
    raw: tuple[str, bytes],
    max_bytes: int,
    excerpt_bytes: int,
) -> bytes:
    """What the spool keeps of a dead letter: what replay needs, within `max_bytes`.

    The whole raw topic (a `topic_too_long` dead letter publishes it cut); the whole raw
    payload while the entry stays within `max_bytes`, else only an excerpt with its size and
    sha256 (replay reports and skips such entries), so a few huge payloads cannot roll the spool.
    """
    raw_topic, raw_payload = raw
    if len(dead_letter) > max_bytes:
        dead_letter = bounded_dead_letter(dead_letter, raw_payload, excerpt_bytes)
    if reason == "topic_too_long":
        body: dict[str, Any] = orjson.loads(dead_letter)
        body["topic"] = raw_topic
        dead_letter = orjson.dumps(body)
    return dead_letter


# MQTT 5 user properties `uns replay` sends with a republished dead letter.
REPLAY_RECEIVED = "uns-received"  # the original arrival time (ISO-8601 UTC)
REPLAY_VALUES = "uns-values"  # JSON list: the values of a batch that failed


def replay_hints(
    properties: tuple[tuple[str, str], ...], now_ms: int
) -> tuple[int, frozenset[str] | None]:
    """The arrival time and the values to take of a message `uns replay` republished; a hint
    that does not parse is ignored (the message is then taken as a new one)."""
    received_ms, only = now_ms, None
    for key, value in properties:
        try:
            if key == REPLAY_RECEIVED:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
                if when.tzinfo is not None:
                    received_ms = int(when.timestamp() * 1000)
            elif key == REPLAY_VALUES:
                names = orjson.loads(value)
                if isinstance(names, list) and all(isinstance(n, str) for n in names):
                    only = frozenset(names)
        except (ValueError, orjson.JSONDecodeError):
            continue
    return received_ms, only
