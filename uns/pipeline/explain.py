"""`uns explain` for Sparkplug: the births a dry run of one message needs. Pure, no I/O.

Sparkplug is stateful: a DATA metric sent by alias means nothing without the birth that
declared the alias (and a DATA metric without a datatype takes it from the birth). A dry run
has no session, so before the message itself the host is given, in order:

- an NBIRTH for the edge node: the birth given beside the message for node messages (NDATA,
  NDEATH), otherwise an empty one;
- for device messages (DDATA, DDEATH), the device's DBIRTH: the birth given, or an empty one.

An empty birth is enough for metrics sent by name; metrics by alias then come out as
`sparkplug_unknown_alias`, which is what a host without the birth would do too. Birth and
death messages themselves need only the edge node's birth (an empty one).
"""

from __future__ import annotations

from uns.errors import UnsError
from uns.sparkplug import (
    MessageType,
    SparkplugHost,
    SparkplugPayload,
    SparkplugTopicError,
    encode_payload,
)
from uns.sparkplug.topic import parse_sparkplug_topic

_NODE_MESSAGES = frozenset({MessageType.NDATA, MessageType.NDEATH})
_DEVICE_MESSAGES = frozenset({MessageType.DDATA, MessageType.DDEATH})


def prime_sparkplug_host(
    host: SparkplugHost, topic: str, birth: bytes | None, now_ms: int
) -> list[str]:
    """Feed `host` the births a message on `topic` needs; notes on what was fed, for the
    trace. A birth given where none is read (a birth's own topic, STATE) is a usage error."""
    try:
        parsed = parse_sparkplug_topic(topic)
    except SparkplugTopicError:
        parsed = None  # the pipeline reports the bad topic itself
    if parsed is None or parsed.message_type is MessageType.STATE:
        if birth is not None:
            raise UnsError("--birth goes with a Sparkplug DATA or DEATH topic")
        return []
    kind = parsed.message_type
    if birth is not None and kind not in _NODE_MESSAGES | _DEVICE_MESSAGES:
        raise UnsError(f"--birth goes with NDATA, DDATA, NDEATH or DDEATH, not {kind}")
    if kind is MessageType.NBIRTH:
        return []
    node = f"spBv1.0/{parsed.group}/NBIRTH/{parsed.edge_node}"
    node_birth = birth if kind in _NODE_MESSAGES else None
    notes = [_feed(host, node, node_birth, now_ms)]
    if kind in _DEVICE_MESSAGES:
        device = f"spBv1.0/{parsed.group}/DBIRTH/{parsed.edge_node}/{parsed.device}"
        notes.append(_feed(host, device, birth, now_ms))
    return notes


def _feed(host: SparkplugHost, topic: str, birth: bytes | None, now_ms: int) -> str:
    if birth is None:
        empty = encode_payload(SparkplugPayload(timestamp=now_ms, seq=0))
        host.handle(topic, empty, now_ms)
        return f"birth: none given, {topic} assumed with no metrics (names only, no aliases)"
    acts = host.handle(topic, birth, now_ms)
    problems = "; ".join(f"{reason}: {detail}" for reason, detail in acts.problems)
    declared = len(acts.samples) + len(acts.stale)
    note = f"birth: {topic} from --birth, {declared} metric(s)"
    return f"{note}; problems: {problems}" if problems else note
