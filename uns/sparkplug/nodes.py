"""What a host keeps per edge node: the birth caches of the node and its devices, its seq
tracker, bdSeq and rebirth throttle. Mutable state, owned by `SparkplugHost`."""

from __future__ import annotations

from dataclasses import dataclass

from uns.sparkplug.datatypes import DataType
from uns.sparkplug.seq import SeqTracker

__all__ = ["BirthCache", "EdgeNode", "NodeInfo", "NodeKey"]

NodeKey = tuple[str, str]


class BirthCache:
    """The birth cache of a node itself or of one of its devices."""

    __slots__ = ("aliases", "hidden", "names")

    def __init__(self) -> None:
        self.names: dict[str, DataType] = {}
        self.aliases: dict[int, tuple[str, DataType]] = {}
        self.hidden: set[str] = set()  # cached for datatypes, never yielded as samples

    def resolve(self, name: str | None, alias: int | None) -> int | None:
        """The DatatypeResolver handed to decode_payload for DATA messages."""
        if alias is not None:
            hit = self.aliases.get(alias)
            if hit is not None:
                return hit[1]
        if name is not None:
            return self.names.get(name)
        return None


class EdgeNode:
    __slots__ = (
        "alias_owner",
        "bd_seq",
        "births",
        "cache",
        "devices",
        "key",
        "last_rebirth_ms",
        "online",
        "retry_at",
        "seq",
    )

    def __init__(self, key: NodeKey) -> None:
        self.key = key
        self.online = False
        self.births = 0
        self.bd_seq: int | None = None
        self.cache = BirthCache()
        self.devices: dict[str, BirthCache] = {}
        self.alias_owner: dict[int, str | None] = {}  # alias -> device (None: the node)
        self.seq = SeqTracker()
        self.last_rebirth_ms: int | None = None
        self.retry_at: int | None = None  # a throttled rebirth is owed from then on

    def reset(self, online: bool, seq: int | None) -> None:
        self.online = online
        self.cache = BirthCache()
        self.devices = {}
        self.alias_owner = {}
        self.seq.reset(seq)
        self.retry_at = None

    def due(self) -> int | None:
        deadline, retry = self.seq.deadline, self.retry_at
        if deadline is None:
            return retry
        return deadline if retry is None else min(deadline, retry)


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """Introspection of one edge node, for metrics and `uns explain`."""

    group: str
    edge_node: str
    online: bool
    births: int
    bd_seq: int | None
    last_seq: int | None
    devices: tuple[str, ...]
    metrics: int  # cached metric names over the node and its devices
