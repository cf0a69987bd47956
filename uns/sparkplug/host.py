"""The Sparkplug B 3.0 host application, as a pure state machine: no MQTT, no asyncio.

The service feeds it every message under `spBv1.0/` with `handle(topic, payload, now_ms)` and
calls `tick(now_ms)` about every 100 ms; both return `HostActions` (samples to enrich, stale
samples, rebirth requests to publish, problems to count). What it keeps per edge node:

- Birth cache: NBIRTH resets the node and all its devices; each birth records every
  metric's name, alias and datatype. DATA may carry alias only, name only or both: the
  name comes from the alias through the cache, and a missing datatype from the cache too
  (`decode_payload(..., resolve=...)`). A metric name in DATA that no birth declared is
  passed through as it is; an alias no birth declared is a problem and a rebirth trigger.
- seq: one counter per node over NBIRTH/DBIRTH/NDATA/DDATA/DDEATH (`uns.sparkplug.seq`).
  Messages are processed in arrival order and never deduplicated on seq. A gap starts a
  reorder deadline (one per node); if seqs are still missing when it passes, `tick` reports
  `sparkplug_seq_gap` and requests a rebirth. A late message that fills the gap in time
  cancels it; its samples carry their own source timestamps, so downstream can order them.
- bdSeq: the NBIRTH's `bdSeq` pairs it with the NDEATH Will of the same session. An NDEATH
  with another bdSeq belongs to an older session (the broker delivered the old Will late)
  and is ignored with the problem `sparkplug_stale_death`.
- Death: NDEATH marks every metric of the node and its devices stale at host time and takes
  the node offline; DDEATH marks the device's metrics stale at the DDEATH's own timestamp.
- Rebirth requests (active host only, passive by default): on an unknown alias, DATA before
  its BIRTH, or a seq gap that timed out. At most one per node per
  `rebirth_min_interval_ms`; one wanted inside that window is sent once when it closes,
  unless the node has reborn by then. On top of that, a global token bucket
  (`rebirth_rate_per_s`, `rebirth_burst`) bounds the requests of all nodes together; one it
  holds back is dropped, and the node's next trigger asks again.
- Bounds (`uns.sparkplug.bounds`): at most `max_nodes` edge nodes are tracked (the least
  recently seen is evicted to make room), offline nodes not seen for `node_idle_ms` are
  evicted by `tick`, and a birth caches at most `max_metrics_per_node` metrics over the node
  and its devices (the rest is a `bad_sparkplug` problem). Evictions are counted.

Problems from `handle` belong to that message (dead-letter a copy of it, count the reason);
its samples are still valid. Problems from `tick` have no message: count them.

Not samples: `bdSeq`, the `Node Control/*` and `Device Control/*` command metrics and
Template definitions (they describe types, not values). Template instances, DataSets and
every other value pass through as the codec decodes them. Commands (NCMD/DCMD) are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from uns.errors import DecodeError, SettingsError
from uns.sparkplug.bounds import NodeTable, RebirthBucket
from uns.sparkplug.decode import decode_payload
from uns.sparkplug.encode import rebirth_request
from uns.sparkplug.nodes import BirthCache, EdgeNode, NodeInfo, NodeKey, stale_samples
from uns.sparkplug.payload import SparkplugMetric, SparkplugPayload, SparkplugTemplate
from uns.sparkplug.samples import BAD_QUALITY, ActionsDraft, HostActions
from uns.sparkplug.seq import SEQ_MODULUS
from uns.sparkplug.state import check_host_id, encode_state, parse_state
from uns.sparkplug.subscriptions import sparkplug_subscriptions
from uns.sparkplug.topic import (
    BAD_TOPIC,
    MessageType,
    SparkplugTopic,
    SparkplugTopicError,
    parse_sparkplug_topic,
)

__all__ = [
    "BAD_QUALITY",
    "BAD_SPARKPLUG",
    "BAD_TOPIC",
    "DATA_BEFORE_BIRTH",
    "DUPLICATE_ALIAS",
    "SEQ_GAP",
    "STALE_DEATH",
    "UNKNOWN_ALIAS",
    "NodeInfo",
    "SparkplugHost",
    "sparkplug_subscriptions",
]

# Problem reasons (stable: they become dead-letter reasons and metric labels).
BAD_SPARKPLUG: Final = "bad_sparkplug"
DATA_BEFORE_BIRTH: Final = "sparkplug_data_before_birth"
DUPLICATE_ALIAS: Final = "sparkplug_duplicate_alias"
SEQ_GAP: Final = "sparkplug_seq_gap"
STALE_DEATH: Final = "sparkplug_stale_death"
UNKNOWN_ALIAS: Final = "sparkplug_unknown_alias"

BD_SEQ: Final = "bdSeq"
_CONTROL_PREFIXES: Final = ("Node Control/", "Device Control/")


def _is_hidden(name: str, metric: SparkplugMetric, device: str | None) -> bool:
    if name.startswith(_CONTROL_PREFIXES) or (device is None and name == BD_SEQ):
        return True
    value = metric.value
    return isinstance(value, SparkplugTemplate) and value.is_definition


def _where(topic: SparkplugTopic) -> str:
    where = f"{topic.group}/{topic.edge_node}"
    return where if topic.device is None else f"{where}/{topic.device}"


class SparkplugHost:
    """The Sparkplug host state of one service replica (see the module docstring).

    `active`: request rebirths (NCMD); a passive host only reports problems. `reorder_timeout_ms`:
    how long a seq gap may stay open before it counts as lost. `rebirth_min_interval_ms`: the
    per-node throttle. `host_id`: this host's id for the optional primary-host STATE topic.
    `check_seq=False` turns seq tracking off (shared DATA subscriptions). The bounds
    (`max_nodes`, `max_metrics_per_node`, `node_idle_ms`, `rebirth_rate_per_s`,
    `rebirth_burst`) are described in the module docstring.
    """

    def __init__(
        self,
        active: bool = False,
        reorder_timeout_ms: int = 2000,
        rebirth_min_interval_ms: int = 5000,
        host_id: str | None = None,
        *,
        check_seq: bool = True,
        max_nodes: int = 10_000,
        max_metrics_per_node: int = 10_000,
        node_idle_ms: int = 3_600_000,
        rebirth_rate_per_s: float = 10.0,
        rebirth_burst: int = 100,
    ) -> None:
        if reorder_timeout_ms < 0 or rebirth_min_interval_ms < 0:
            raise SettingsError("Sparkplug reorder timeout and rebirth interval must be >= 0")
        if host_id is not None:
            check_host_id(host_id)
        if max_metrics_per_node < 1:
            raise SettingsError("Sparkplug max_metrics_per_node must be >= 1")
        self.active = active
        self.reorder_timeout_ms = reorder_timeout_ms
        self.rebirth_min_interval_ms = rebirth_min_interval_ms
        self.host_id = host_id
        self.check_seq = check_seq
        self.max_metrics_per_node = max_metrics_per_node
        self._nodes = NodeTable(max_nodes, node_idle_ms)
        self._bucket = RebirthBucket(rebirth_rate_per_s, rebirth_burst)
        self._timers: dict[NodeKey, EdgeNode] = {}  # nodes with a reorder deadline or owed rebirth
        self._hosts: dict[str, tuple[bool, int | None]] = {}
        self._state_ts: int | None = None  # set while this host has announced itself online
        self._handlers: dict[
            MessageType, Callable[[SparkplugTopic, bytes, int, ActionsDraft], None] | None
        ] = {
            MessageType.NBIRTH: self._nbirth,
            MessageType.DBIRTH: self._dbirth,
            MessageType.NDATA: self._data,
            MessageType.DDATA: self._data,
            MessageType.NDEATH: self._ndeath,
            MessageType.DDEATH: self._ddeath,
            MessageType.STATE: self._state,
            MessageType.NCMD: None,  # commands to edge nodes, not data
            MessageType.DCMD: None,
        }

    # -- public API ------------------------------------------------------------------------

    def handle(self, topic: str, payload: bytes, now_ms: int) -> HostActions:
        """Process one message from under `spBv1.0/`; `now_ms` is the host's clock."""
        out = ActionsDraft()
        try:
            parsed = parse_sparkplug_topic(topic)
        except SparkplugTopicError as exc:
            out.problems.append((exc.reason, exc.detail))
            return self._finish(out, None, now_ms)
        if parsed is None:
            out.problems.append((BAD_TOPIC, f"{topic!r} is not a Sparkplug B topic"))
            return self._finish(out, None, now_ms)
        handler = self._handlers[parsed.message_type]
        if handler is not None:
            handler(parsed, payload, now_ms, out)
        node = None
        if out.rebirth and self.active:
            node = self._node((parsed.group or "", parsed.edge_node or ""), now_ms, out)
        return self._finish(out, node, now_ms)

    def tick(self, now_ms: int) -> HostActions:
        """Expire reorder deadlines (-> `sparkplug_seq_gap`, rebirth) and send owed rebirths."""
        out = ActionsDraft()
        self._evicted(self._nodes.expire(now_ms), out)
        for key, node in list(self._timers.items()):
            seq = node.seq
            if seq.deadline is not None and seq.deadline <= now_ms:
                missing = seq.expire()
                out.timeouts += 1
                group, edge_node = key
                out.problems.append(
                    (
                        SEQ_GAP,
                        f"{group}/{edge_node}: {missing} seq value(s) still missing "
                        f"{self.reorder_timeout_ms} ms after the gap",
                    )
                )
                if self.active and node.retry_at is None:
                    node.retry_at = now_ms
            if node.retry_at is not None and node.retry_at <= now_ms:
                self._rebirth(node, now_ms, out)
            if node.due() is None:
                del self._timers[key]
        return self._finish(out, None, now_ms)

    def nodes(self) -> list[NodeInfo]:
        """Every edge node seen, online or not (count `online` for a gauge)."""
        return [
            NodeInfo(
                group=node.key[0],
                edge_node=node.key[1],
                online=node.online,
                births=node.births,
                bd_seq=node.bd_seq,
                last_seq=node.seq.last,
                devices=tuple(sorted(node.devices)),
                metrics=len(node.cache.names) + sum(len(d.names) for d in node.devices.values()),
            )
            for node in self._nodes
        ]

    def hosts(self) -> dict[str, tuple[bool, int | None]]:
        """The last STATE seen per host id: (online, timestamp ms)."""
        return dict(self._hosts)

    def next_deadline(self) -> int | None:
        """The earliest time `tick` has work to do, or None (for a scheduler; optional)."""
        return min((d for n in self._timers.values() if (d := n.due()) is not None), default=None)

    @staticmethod
    def rebirth_topic(group: str, edge_node: str) -> str:
        """Where a rebirth request goes: `spBv1.0/{group}/NCMD/{edge_node}`."""
        return str(SparkplugTopic(MessageType.NCMD, group=group, edge_node=edge_node))

    @staticmethod
    def rebirth_payload(now_ms: int) -> bytes:
        """The NCMD payload: `Node Control/Rebirth` = true. Publish with QoS 0, not retained."""
        return rebirth_request(now_ms)

    def state_topic(self) -> str:
        """`spBv1.0/STATE/{host_id}`, this host's STATE topic (needs `host_id`)."""
        if self.host_id is None:
            raise SettingsError("a Sparkplug STATE topic needs a host_id")
        return str(SparkplugTopic(MessageType.STATE, host_id=self.host_id))

    def state_online_payload(self, timestamp_ms: int) -> bytes:
        """The retained QoS 1 STATE birth. Use the same `timestamp_ms` as the Will built by
        `state_offline_payload` for this connection (Sparkplug 3.0 pairs them by timestamp).
        Calling it records that this host is online, so that `handle` can answer an OFFLINE
        on its own topic with `republish_state`."""
        self._state_ts = timestamp_ms
        return encode_state(True, timestamp_ms)

    @property
    def state_timestamp_ms(self) -> int | None:
        """The timestamp of this host's online STATE while it is announced online, else None."""
        return self._state_ts

    def state_offline_payload(self, timestamp_ms: int) -> bytes:
        """The STATE death: the connection's Will (retained, QoS 1), and what a clean
        shutdown publishes before disconnecting. Calling it records that this host is
        going offline."""
        self._state_ts = None
        return encode_state(False, timestamp_ms)

    # -- message types ---------------------------------------------------------------------

    def _nbirth(self, topic: SparkplugTopic, data: bytes, now_ms: int, out: ActionsDraft) -> None:
        node = self._node((topic.group or "", topic.edge_node or ""), now_ms, out)
        try:
            payload = decode_payload(data)
        except DecodeError as exc:
            # The new session's aliases are unknown: forget the old ones, wait for DATA to
            # trigger a rebirth.
            node.reset(online=False, seq=None)
            self._timers.pop(node.key, None)
            out.problems.append((exc.reason, f"NBIRTH {_where(topic)}: {exc.detail}"))
            return
        seq = payload.seq if payload.seq is not None and payload.seq < SEQ_MODULUS else None
        node.reset(online=True, seq=seq)
        node.births += 1
        self._timers.pop(node.key, None)
        node.bd_seq = None
        for metric in payload.metrics:
            if metric.name == BD_SEQ and type(metric.value) is int:
                node.bd_seq = metric.value
        self._birth(topic, node, node.cache, payload, out)

    def _dbirth(self, topic: SparkplugTopic, data: bytes, now_ms: int, out: ActionsDraft) -> None:
        node = self._nodes.get((topic.group or "", topic.edge_node or ""), now_ms)
        device = topic.device or ""
        if node is None or not node.online:
            out.problems.append((DATA_BEFORE_BIRTH, f"DBIRTH {_where(topic)} before its NBIRTH"))
            out.rebirth = True
            return
        try:
            payload = decode_payload(data)
        except DecodeError as exc:
            node.drop_device(device)
            out.problems.append((exc.reason, f"DBIRTH {_where(topic)}: {exc.detail}"))
            return
        self._check_seq(topic, node, payload.seq, now_ms, out)
        node.drop_device(device)
        cache = node.devices[device] = BirthCache()
        self._birth(topic, node, cache, payload, out)

    def _data(self, topic: SparkplugTopic, data: bytes, now_ms: int, out: ActionsDraft) -> None:
        node = self._nodes.get((topic.group or "", topic.edge_node or ""), now_ms)
        device = topic.device
        if node is None or not node.online:
            what = f"{topic.message_type} {_where(topic)} before its NBIRTH"
            out.problems.append((DATA_BEFORE_BIRTH, what))
            out.rebirth = True
            return
        cache = node.cache if device is None else node.devices.get(device)
        if cache is None:
            out.problems.append((DATA_BEFORE_BIRTH, f"DDATA {_where(topic)} before its DBIRTH"))
            out.rebirth = True
            return
        try:
            payload = decode_payload(data, cache.resolve)
        except DecodeError as exc:
            out.problems.append((exc.reason, f"{topic.message_type} {_where(topic)}: {exc.detail}"))
            return
        self._check_seq(topic, node, payload.seq, now_ms, out)
        address = topic.address
        assert address is not None  # every topic but STATE has one
        aliases, hidden = cache.aliases, cache.hidden
        unknown: list[int | None] = []
        payload_ts = payload.timestamp
        for metric in payload.metrics:
            name = metric.name
            if name is None:
                hit = aliases.get(metric.alias) if metric.alias is not None else None
                if hit is None:
                    unknown.append(metric.alias)
                    continue
                name = hit[0]
            if name in hidden:
                continue
            out.sample(address, name, metric, payload_ts)
        if unknown:
            listed = ", ".join("none" if a is None else str(a) for a in unknown)
            out.problems.append(
                (UNKNOWN_ALIAS, f"{topic.message_type} {_where(topic)}: unknown alias(es) {listed}")
            )
            out.rebirth = True

    def _ddeath(self, topic: SparkplugTopic, data: bytes, now_ms: int, out: ActionsDraft) -> None:
        node = self._nodes.get((topic.group or "", topic.edge_node or ""), now_ms)
        if node is None or not node.online:
            return  # nothing is known about the device, so nothing goes stale
        try:
            payload = decode_payload(data)
        except DecodeError as exc:
            out.problems.append((exc.reason, f"DDEATH {_where(topic)}: {exc.detail}"))
            return
        self._check_seq(topic, node, payload.seq, now_ms, out)
        device = topic.device or ""
        cache = node.devices.get(device)
        if cache is None:
            return
        node.drop_device(device)
        ts = now_ms if payload.timestamp is None else payload.timestamp
        out.stale += stale_samples(node.key, device, cache, ts)

    def _ndeath(self, topic: SparkplugTopic, data: bytes, now_ms: int, out: ActionsDraft) -> None:
        node = self._nodes.get((topic.group or "", topic.edge_node or ""), now_ms)
        if node is None or not node.online:
            return  # already offline (or never seen): nothing to mark
        try:
            payload = decode_payload(data)
        except DecodeError as exc:
            out.problems.append((exc.reason, f"NDEATH {_where(topic)}: {exc.detail}"))
            return
        bd_seq = next(
            (m.value for m in payload.metrics if m.name == BD_SEQ and type(m.value) is int), None
        )
        if node.bd_seq is not None and bd_seq is not None and bd_seq != node.bd_seq:
            detail = f"NDEATH {_where(topic)} has bdSeq {bd_seq}, the current birth {node.bd_seq}"
            out.problems.append((STALE_DEATH, detail))
            return
        out.stale += stale_samples(node.key, None, node.cache, now_ms)
        for device, cache in node.devices.items():
            out.stale += stale_samples(node.key, device, cache, now_ms)
        node.reset(online=False, seq=None)
        self._timers.pop(node.key, None)

    def _state(self, topic: SparkplugTopic, data: bytes, now_ms: int, out: ActionsDraft) -> None:
        host = topic.host_id or ""
        try:
            online, ts = parse_state(data)
        except DecodeError as exc:
            out.problems.append((exc.reason, f"STATE {host}: {exc.detail}"))
            return
        hosts = self._hosts
        if host not in hosts and len(hosts) >= self._nodes.max_nodes:
            del hosts[next(iter(hosts))]  # bounded like the nodes: forget the oldest host id
        hosts[host] = (online, ts)
        if host == self.host_id and not online and self._state_ts is not None:
            out.republish = True

    # -- helpers ---------------------------------------------------------------------------

    def _node(self, key: NodeKey, now_ms: int, out: ActionsDraft) -> EdgeNode:
        node, evicted = self._nodes.add(key, now_ms)
        self._evicted(evicted, out)
        return node

    def _evicted(self, nodes: list[EdgeNode], out: ActionsDraft) -> None:
        for node in nodes:
            self._timers.pop(node.key, None)
        out.evicted += len(nodes)

    def _birth(
        self,
        topic: SparkplugTopic,
        node: EdgeNode,
        cache: BirthCache,
        payload: SparkplugPayload,
        out: ActionsDraft,
    ) -> None:
        """Cache a birth's metrics and yield their values as samples."""
        address = topic.address
        assert address is not None  # every topic but STATE has one
        device = topic.device
        owner = node.alias_owner
        payload_ts = payload.timestamp
        room = self.max_metrics_per_node - node.metric_count()
        for metric in payload.metrics:
            name = metric.name
            if name is None:
                detail = f"{topic.message_type} {_where(topic)}: metric alias {metric.alias} "
                out.problems.append((BAD_SPARKPLUG, detail + "has no name"))
                continue
            if name not in cache.names:
                room -= 1
                if room < 0:
                    limit = f"more than {self.max_metrics_per_node} metrics, the rest not cached"
                    out.problems.append((BAD_SPARKPLUG, f"{_where(topic)}: {limit}"))
                    break
            cache.names[name] = metric.datatype
            alias = metric.alias
            if alias is not None:
                if alias in owner or alias in cache.aliases:
                    where = owner.get(alias) or "the node"
                    out.problems.append(
                        (
                            DUPLICATE_ALIAS,
                            f"{topic.message_type} {_where(topic)}: alias {alias} of {name!r} "
                            f"is already used by {where}",
                        )
                    )
                owner[alias] = device
                cache.aliases[alias] = (name, metric.datatype)
            if _is_hidden(name, metric, device):
                cache.hidden.add(name)
                continue
            out.sample(address, name, metric, payload_ts)

    def _check_seq(
        self, topic: SparkplugTopic, node: EdgeNode, seq: int | None, now_ms: int, out: ActionsDraft
    ) -> None:
        if not self.check_seq or seq is None:
            return
        if seq >= SEQ_MODULUS:
            out.problems.append((BAD_SPARKPLUG, f"{_where(topic)}: seq {seq} is outside 0..255"))
            return
        if node.seq.observe(seq, now_ms, self.reorder_timeout_ms) is not None:
            out.gaps += 1
            self._timers[node.key] = node
        elif node.key in self._timers and node.due() is None:
            del self._timers[node.key]

    def _rebirth(self, node: EdgeNode, now_ms: int, out: ActionsDraft) -> None:
        """Request a rebirth now if the throttle allows, else owe one for when it does."""
        last = node.last_rebirth_ms
        if last is not None and now_ms - last < self.rebirth_min_interval_ms:
            out.throttled += 1
            node.retry_at = last + self.rebirth_min_interval_ms
            self._timers[node.key] = node
            return
        node.retry_at = None
        if not self._bucket.take(now_ms):
            out.throttled += 1  # over the global rate: dropped, the next trigger asks again
            return
        node.last_rebirth_ms = now_ms
        out.rebirths.append(node.key)

    def _finish(self, out: ActionsDraft, node: EdgeNode | None, now_ms: int) -> HostActions:
        if node is not None and self.active:
            self._rebirth(node, now_ms, out)
        return out.finish()
