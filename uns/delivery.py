"""Pure helpers of the delivery core: message ids and dead letters that fit the broker.

Message id (docs/payload.md): the first 32 hex digits of
sha256(raw topic, 0x00, raw payload, 0x00, output index). A broker redelivery or a replay of
the same raw message yields the same id for the same output, so a consumer can de-duplicate.
"""

from __future__ import annotations

import hashlib
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
