"""Limits on the host state: a bounded node table and the global rebirth rate.

Edge node ids come from the network, so a flood of distinct ids (a misconfigured fleet, a
hostile client) must not grow the host without end, nor turn into one NCMD per id.

- `NodeTable`: the edge nodes in least-recently-seen order. Adding one beyond `max_nodes`
  evicts the least recently seen; `expire` evicts offline nodes (dead, or never born) not seen
  for `idle_ms`. An online node is never evicted for age: a quiet node that only reports by
  exception keeps its birth cache.
- `RebirthBucket`: a token bucket over every node's rebirth requests, on top of the per-node
  throttle. A request it holds back is dropped, not owed: the node's next trigger asks again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Final

from uns.errors import SettingsError
from uns.sparkplug.nodes import EdgeNode, NodeKey

__all__ = ["NodeTable", "RebirthBucket"]

# How many least-recently-seen nodes one `expire` call looks at: a tick stays cheap however
# many nodes there are, and an idle crowd still drains over a few ticks.
_EXPIRE_SCAN: Final = 1000


class NodeTable:
    """Edge nodes by (group, edge_node), least recently seen first (see the module docstring)."""

    def __init__(self, max_nodes: int, idle_ms: int) -> None:
        if max_nodes < 1 or idle_ms < 0:
            raise SettingsError("Sparkplug max_nodes must be >= 1 and node_idle_ms >= 0")
        self.max_nodes = max_nodes
        self.idle_ms = idle_ms
        self._nodes: OrderedDict[NodeKey, EdgeNode] = OrderedDict()

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[EdgeNode]:
        return iter(self._nodes.values())

    def get(self, key: NodeKey, now_ms: int) -> EdgeNode | None:
        """The node, marked as seen now; None when it is not tracked."""
        node = self._nodes.get(key)
        if node is not None:
            node.seen_ms = now_ms
            self._nodes.move_to_end(key)
        return node

    def add(self, key: NodeKey, now_ms: int) -> tuple[EdgeNode, list[EdgeNode]]:
        """The node (created if new), marked as seen now, and the nodes evicted to make room."""
        node = self.get(key, now_ms)
        if node is not None:
            return node, []
        evicted = []
        while len(self._nodes) >= self.max_nodes:
            evicted.append(self._nodes.popitem(last=False)[1])
        node = self._nodes[key] = EdgeNode(key)
        node.seen_ms = now_ms
        return node, evicted

    def expire(self, now_ms: int) -> list[EdgeNode]:
        """Evict offline nodes not seen for `idle_ms`; an idle online node moves to the back."""
        evicted = []
        cutoff = now_ms - self.idle_ms
        nodes = self._nodes
        for _ in range(min(_EXPIRE_SCAN, len(nodes))):
            key, node = next(iter(nodes.items()))
            if node.seen_ms > cutoff:
                break
            if node.online:
                nodes.move_to_end(key)
            else:
                evicted.append(nodes.pop(key))
        return evicted


class RebirthBucket:
    """At most `burst` rebirth requests at once, refilled at `rate_per_s` (injected clock)."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise SettingsError("Sparkplug rebirth_rate_per_s must be > 0 and rebirth_burst >= 1")
        self.rate_per_ms = rate_per_s / 1000.0
        self.burst = burst
        self._tokens = float(burst)
        self._at_ms: int | None = None

    def take(self, now_ms: int) -> bool:
        """Spend one token if there is one."""
        if self._at_ms is not None and now_ms > self._at_ms:
            refill = (now_ms - self._at_ms) * self.rate_per_ms
            self._tokens = min(float(self.burst), self._tokens + refill)
        if self._at_ms is None or now_ms > self._at_ms:
            self._at_ms = now_ms
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
