"""The Sparkplug B topic namespace, parsed once into a frozen, structured topic.

`spBv1.0/{group}/{message_type}/{edge_node}[/{device}]` and `spBv1.0/STATE/{host_id}`.
`parse_sparkplug_topic` returns None for a topic outside the namespace and raises
`SparkplugTopicError` (both a `TopicError` and a `DecodeError` with reason
`bad_sparkplug_topic`) naming the bad segment for a malformed one.

Every non-STATE topic carries its `address`: the edge node or device the message is about,
without the message type. Births, data and deaths of one device share one address, which is
what a `format: sparkplug` binding matches (on `address.levels`, never on a rebuilt string)
and what enriched messages name as their source (`address.text`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Final

from uns.errors import DecodeError, TopicError

__all__ = [
    "NAMESPACE",
    "MessageType",
    "SparkplugAddress",
    "SparkplugTopic",
    "SparkplugTopicError",
    "parse_sparkplug_topic",
]

NAMESPACE: Final = "spBv1.0"
BAD_TOPIC: Final = "bad_sparkplug_topic"


class SparkplugTopicError(DecodeError, TopicError):
    """A malformed topic under `spBv1.0/`: a bad topic, and an undecodable message."""

    def __init__(self, detail: str) -> None:
        super().__init__(BAD_TOPIC, detail)


class MessageType(StrEnum):
    """The Sparkplug verb in a topic's third segment (or STATE)."""

    NBIRTH = "NBIRTH"
    NDATA = "NDATA"
    NDEATH = "NDEATH"
    NCMD = "NCMD"
    DBIRTH = "DBIRTH"
    DDATA = "DDATA"
    DDEATH = "DDEATH"
    DCMD = "DCMD"
    STATE = "STATE"

    @property
    def has_device(self) -> bool:
        """True for the device-level types, whose topics end in a device segment."""
        return self in _DEVICE_TYPES


_DEVICE_TYPES: Final = frozenset(
    {MessageType.DBIRTH, MessageType.DDATA, MessageType.DDEATH, MessageType.DCMD}
)
_NODE_TYPES: Final = {t.value: t for t in MessageType if t is not MessageType.STATE}
_TYPE_NAMES: Final = ", ".join(_NODE_TYPES)


@dataclass(frozen=True, slots=True)
class SparkplugAddress:
    """An edge node (`device` None) or one of its devices.

    `levels` is `(namespace, group, edge_node[, device])`, the topic levels a binding's
    `spBv1.0/{group}/{node}[/{device}]` pattern is matched against; `text` is the same
    joined by '/', kept for the enriched message's `source.topic`. Both are computed once.
    """

    group: str
    edge_node: str
    device: str | None = None
    namespace: str = NAMESPACE
    levels: tuple[str, ...] = field(init=False, repr=False, compare=False)
    text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        levels: tuple[str, ...] = (self.namespace, self.group, self.edge_node)
        if self.device is not None:
            levels += (self.device,)
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "text", "/".join(levels))

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class SparkplugTopic:
    """A parsed Sparkplug topic. STATE topics have only `host_id`; every other type has
    `group` and `edge_node`, the D* types also `device`, and all of them an `address`."""

    message_type: MessageType
    group: str | None = None
    edge_node: str | None = None
    device: str | None = None
    host_id: str | None = None
    namespace: str = NAMESPACE
    address: SparkplugAddress | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        address = None
        if self.group is not None and self.edge_node is not None:
            address = SparkplugAddress(self.group, self.edge_node, self.device, self.namespace)
        object.__setattr__(self, "address", address)

    def __str__(self) -> str:
        if self.message_type is MessageType.STATE:
            return f"{self.namespace}/STATE/{self.host_id}"
        parts = [self.namespace, self.group, self.message_type.value, self.edge_node]
        if self.device is not None:
            parts.append(self.device)
        return "/".join(p for p in parts if p is not None)


_SEGMENT_NAMES: Final = ("namespace", "group", "message type", "edge node", "device")


def _check_segment(topic: str, index: int, name: str, value: str) -> None:
    if not value:
        raise SparkplugTopicError(f"Sparkplug topic {topic!r}: {name} segment {index} is empty")
    for wildcard in "+#":
        if wildcard in value:
            raise SparkplugTopicError(
                f"Sparkplug topic {topic!r}: {name} segment {index} contains the wildcard "
                f"{wildcard!r}"
            )


def parse_sparkplug_topic(topic: str) -> SparkplugTopic | None:
    """Parse `spBv1.0/{group}/{type}/{edge_node}[/{device}]` or `spBv1.0/STATE/{host_id}`.

    Returns None when the topic is outside the Sparkplug B namespace; raises
    SparkplugTopicError naming the bad segment when it is inside it but malformed. Results
    are cached (topics repeat, and SparkplugTopic is immutable); errors are not.
    """
    return _parse_topic(topic)


@lru_cache(maxsize=4096)
def _parse_topic(topic: str) -> SparkplugTopic | None:
    parts = topic.split("/")
    if parts[0] != NAMESPACE:
        return None
    if len(parts) >= 2 and parts[1] == "STATE":
        if len(parts) != 3:
            raise SparkplugTopicError(
                f"Sparkplug topic {topic!r}: a STATE topic is {NAMESPACE}/STATE/{{host_id}}, "
                f"this one has {len(parts)} segments"
            )
        _check_segment(topic, 2, "host id", parts[2])
        return SparkplugTopic(MessageType.STATE, host_id=parts[2])
    if len(parts) < 4:
        missing = _SEGMENT_NAMES[len(parts)]
        raise SparkplugTopicError(
            f"Sparkplug topic {topic!r}: {missing} segment {len(parts)} is missing"
        )
    if len(parts) > 5:
        raise SparkplugTopicError(
            f"Sparkplug topic {topic!r} has {len(parts)} segments; at most 5 are allowed"
        )
    message_type = _NODE_TYPES.get(parts[2])
    if message_type is None:
        raise SparkplugTopicError(
            f"Sparkplug topic {topic!r}: message type segment 2 is {parts[2]!r}, "
            f"not one of {_TYPE_NAMES}"
        )
    for index in range(1, len(parts)):
        _check_segment(topic, index, _SEGMENT_NAMES[index], parts[index])
    if message_type.has_device and len(parts) == 4:
        raise SparkplugTopicError(f"Sparkplug topic {topic!r}: device segment 4 is missing")
    if not message_type.has_device and len(parts) == 5:
        raise SparkplugTopicError(
            f"Sparkplug topic {topic!r}: {message_type} topics have no device segment; "
            "only DBIRTH, DDATA, DDEATH and DCMD name a device"
        )
    device = parts[4] if len(parts) == 5 else None
    return SparkplugTopic(message_type, group=parts[1], edge_node=parts[3], device=device)
