"""What a host keeps per edge node: the birth caches of the node and its devices, its seq
tracker, bdSeq and rebirth throttle. Mutable state, owned by `SparkplugHost`."""

from __future__ import annotations

from dataclasses import dataclass

from uns.sparkplug.datatypes import DataType
from uns.sparkplug.samples import MetricSample, make_sample
from uns.sparkplug.seq import SeqTracker
from uns.sparkplug.topic import SparkplugAddress

__all__ = ["BirthCache", "EdgeNode", "NodeInfo", "NodeKey", "stale_samples"]

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
        "seen_ms",
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
        self.seen_ms = 0  # host time of the last message from this node (for eviction)

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

    def drop_device(self, device: str) -> None:
        """Forget a device's birth cache and release the aliases it owned."""
        cache = self.devices.pop(device, None)
        if cache is not None:
            owner = self.alias_owner
            for alias in cache.aliases:
                if owner.get(alias) == device:
                    del owner[alias]

    def metric_count(self) -> int:
        """Cached metric names over the node and its devices."""
        return len(self.cache.names) + sum(len(d.names) for d in self.devices.values())


def stale_samples(
    key: NodeKey, device: str | None, cache: BirthCache, ts: int
) -> list[MetricSample]:
    """A stale sample (value None) of every visible metric in a birth cache, at `ts`."""
    address = SparkplugAddress(*key, device)
    hidden = cache.hidden
    return [
        make_sample(address, name, None, ts, "stale", False, datatype)
        for name, datatype in cache.names.items()
        if name not in hidden
    ]


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
