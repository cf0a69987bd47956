"""What each of N partitions subscribes to and which messages it enriches (issue 15).

Ownership, with the keys hashed by `uns.model.partition`:

- a raw binding belongs to the partition that owns its name;
- a Sparkplug edge node belongs to the partition that owns "group/edge_node", so its births,
  data, deaths, seq check and rebirth requests stay in one process. A Sparkplug binding that
  names its group and node literally is subscribed to by that node's owner only; one with a
  wildcard group or node cannot be split by topic (the message type sits between group and
  node), so every partition subscribes to it and skips the nodes it does not own;
- context sources (MES) and Sparkplug STATE go to every partition (each keeps its own context);
- a topic no binding or context source matches (a dead letter) belongs to the lowest partition
  whose filters receive it, so exactly one partition dead-letters it.

Filters overlap across partitions (a `plc/+/#` binding owned by one, `plc/L1/temp` by
another): the receiving partition routes the topic as the pipeline does (context first, then
the most specific binding) and skips it unless it owns the winner. So every message is
enriched exactly once, whatever the filters.

Pure: no I/O. The service builds one plan per model.
"""

from __future__ import annotations

from dataclasses import dataclass

from uns.config.loader import no_gc_pauses
from uns.formats import get_format
from uns.model.namespace import Binding, Namespace
from uns.model.partition import Partition, owner
from uns.model.topics import LITERAL, TopicPattern, minimal_filters
from uns.model.trie import TopicIndex
from uns.sparkplug import sparkplug_subscriptions
from uns.sparkplug.topic import NAMESPACE

EVERY = -1  # owner of a topic every partition processes (context, Sparkplug STATE)
SPARKPLUG_VERBS = ("NBIRTH", "NDEATH", "DBIRTH", "DDEATH", "NDATA", "DDATA")
_CACHE_SIZE = 200_000


@dataclass(frozen=True, slots=True)
class BindingOwner:
    """Who owns a binding: a partition, or None when its Sparkplug nodes are spread."""

    binding: str
    partition: int | None
    key: str  # what was hashed: the binding name or "group/edge_node"


def host_routed(binding: Binding) -> bool:
    """Sparkplug: the pipeline hands its topics to the Sparkplug host, as here."""
    return get_format(binding.spec.format).host_routed


def sparkplug_node(binding: Binding) -> str | None:
    """The edge node a Sparkplug binding names literally, as "group/edge_node", else None."""
    levels = binding.pattern.levels
    if len(levels) < 3 or levels[1].kind != LITERAL or levels[2].kind != LITERAL:
        return None
    return f"{levels[1].text}/{levels[2].text}"


def node_filters(node: str) -> list[str]:
    group, edge_node = node.split("/", 1)
    return [f"{NAMESPACE}/{group}/{verb}/{edge_node}/#" for verb in SPARKPLUG_VERBS]


class PartitionPlan:
    def __init__(self, ns: Namespace, count: int, subscribe: list[str] | None = None) -> None:
        with no_gc_pauses():  # over a large model, the collector's passes cost two thirds
            self._build(ns, count, subscribe)

    def _build(self, ns: Namespace, count: int, subscribe: list[str] | None) -> None:
        self.ns = ns
        self.count = count
        self.subscribe = subscribe
        self.owners = [self.binding_owner(b) for b in ns.bindings]
        self._context = TopicIndex[str]()
        for s in ns.context_sources:
            self._context.add(s.pattern, s.name)
        self._bindings = TopicIndex[Binding]()
        for b in ns.bindings:
            if not host_routed(b):
                self._bindings.add(b.pattern, b)
        self._filters = self._all_filters()
        self._receivers: TopicIndex[int] | None = None  # built for the first unmatched topic
        self._cache: dict[str, int] = {}

    def binding_owner(self, binding: Binding) -> BindingOwner:
        if host_routed(binding):
            node = sparkplug_node(binding)
            if node is None:
                return BindingOwner(binding.name, None, "group/edge_node of each message")
            return BindingOwner(binding.name, owner(node, self.count), node)
        return BindingOwner(binding.name, owner(binding.name, self.count), binding.name)

    def filters(self, partition: int) -> list[str]:
        """The minimal covering set of filters partition `partition` subscribes to."""
        return self._filters[partition]

    def _all_filters(self) -> list[list[str]]:
        """Every partition's filters, in one pass over the bindings."""
        common = [s.pattern.subscription() for s in self.ns.context_sources]
        if self.subscribe:  # explicit raw filters: every partition holds them, routing splits
            common += self.subscribe
        owned: list[list[str]] = [[] for _ in range(self.count)]
        spread = sparkplug = False
        for b, who in zip(self.ns.bindings, self.owners, strict=True):
            sparkplug = sparkplug or host_routed(b)
            if who.partition is None:
                spread = True
            elif host_routed(b):
                owned[who.partition] += node_filters(who.key)
            elif not self.subscribe:
                owned[who.partition].append(b.pattern.subscription())
        if spread:
            common += sparkplug_subscriptions()
        elif sparkplug:
            common.append(f"{NAMESPACE}/STATE/+")  # as the unpartitioned host does
        return [minimal_filters(common + mine) for mine in owned]

    def _lowest_receiver(self, topic: str) -> int:
        """The lowest partition holding a filter that matches `topic` (0 when none does)."""
        if self._receivers is None:
            self._receivers = TopicIndex[int]()
            lowest: dict[str, int] = {}
            for p in reversed(range(self.count)):
                for f in self._filters[p]:
                    lowest[f] = p
            for f, p in lowest.items():
                self._receivers.add(TopicPattern.parse(f), p)
        return min((h.value for h in self._receivers.candidates(topic)), default=0)

    def owner(self, topic: str) -> int:
        """The partition that enriches `topic`, or EVERY."""
        found = self._cache.get(topic)
        if found is None:
            found = self._owner(topic)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[topic] = found
        return found

    def _owner(self, topic: str) -> int:
        if topic.startswith(NAMESPACE + "/"):  # the pipeline hands these to the Sparkplug host
            levels = topic.split("/")
            if levels[1] == "STATE":
                return EVERY
            if len(levels) >= 4:
                return owner(f"{levels[1]}/{levels[3]}", self.count)
        elif self._context.lookup(topic) is not None:
            return EVERY
        else:
            hit = self._bindings.lookup(topic)
            if hit is not None:
                return owner(hit.value.name, self.count)
        return self._lowest_receiver(topic)

    def foreign(self, topic: str, partition: int) -> bool:
        """True when partition `partition` must skip `topic` (another one enriches it)."""
        who = self.owner(topic)
        return who not in (EVERY, partition)


def split_report(ns: Namespace, count: int) -> list[tuple[int | None, list[BindingOwner]]]:
    """Bindings per partition (None: Sparkplug bindings spread over all by edge node)."""
    plan = PartitionPlan(ns, count)
    by_partition: dict[int | None, list[BindingOwner]] = {p: [] for p in range(count)}
    for who in plan.owners:
        by_partition.setdefault(who.partition, []).append(who)
    return list(by_partition.items())


__all__ = ["EVERY", "BindingOwner", "Partition", "PartitionPlan", "split_report"]
