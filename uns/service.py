"""Wiring of `uns run`: broker connection, the delivery core, metrics, graceful shutdown.

Delivery (docs/operations.md, "Delivery"): the transport hands over messages one at a time in
arrival order; each is enriched at once and its outputs published in that order, without a
task or a wait per message. A raw message is acknowledged once every output is PUBACKed with a
success code or durably dead-lettered; the transport sends the PUBACKs in arrival order and
takes at most Receive Maximum messages unacknowledged (the backpressure). A refused governed
publish becomes a `publish_refused` dead letter; a refused dead letter leaves its raw message
unacknowledged, fails /readyz and counts in `uns_deadletters_refused`. An output larger than
the broker's Maximum Packet Size or `max_publish_bytes` is never sent: a dead letter with an
excerpt and the sha256 of the raw payload goes instead (the spool keeps the whole payload).

A broker outage never ends the process: timers and subscriptions wait for the connection.

Shutdown: stop intake (undelivered messages stay with the broker), finish in-flight messages
under a deadline, report what was cut off in one line, disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from uns.config.settings import ServiceSettings
from uns.context.production import ContextStore
from uns.delivery import (
    MessageIds,
    bounded_dead_letter,
    fits,
    replay_hints,
    spool_entry,
    with_id,
)
from uns.host_state import HostState
from uns.io.client import Mqtt5Transport
from uns.io.compat import Mqtt311Transport
from uns.io.transport import PACKET_TOO_LARGE, REFUSED, Inbound, Transport
from uns.logs import RateLimitedLog
from uns.metrics import Stats
from uns.model.namespace import Namespace
from uns.model.topics import minimal_filters
from uns.partitioning import PartitionPlan
from uns.pipeline import Enricher, Outgoing, Rejection
from uns.replay import Spool
from uns.sparkplug import SparkplugHost, sparkplug_subscriptions

log = logging.getLogger(__name__)
CONTENT_TYPE = "application/json"
NOT_AUTHORIZED = 0x87
REFUSED_TOPIC_TTL_S = 60.0


class OutputObserver(Protocol):
    """Sees every message published and every model switched to (the namespace page,
    `uns.web`). Called on the event loop after the broker acknowledged: must not block."""

    def published(self, out: Outgoing) -> None: ...

    def model_changed(self, ns: Namespace, version: str) -> None: ...


@dataclass
class DrainReport:
    finished: bool
    cut_off: int


class _Pending:
    """One raw message whose outputs are not all settled yet."""

    __slots__ = ("connection", "dead", "enriched", "left", "message", "received_ms", "started")

    def __init__(self, message: Inbound, left: int, received_ms: int, connection: int) -> None:
        self.message = message
        self.left = left
        self.received_ms = received_ms
        self.started = time.perf_counter()
        self.connection = connection
        self.dead: str | None = None  # the first dead-letter reason among its outputs
        self.enriched = False  # it has governed outputs (else: context, births without values)


class Service:
    def __init__(
        self,
        settings: ServiceSettings,
        ns: Namespace,
        *,
        stats: Stats | None = None,
        context: ContextStore | None = None,
    ) -> None:
        self.settings = settings
        self.stats = stats or Stats()
        self.context = context or ContextStore()
        self.counters = self.stats.counters  # the pipeline counts, the collector reads
        sp = settings.sparkplug
        self.sparkplug = SparkplugHost(
            active=sp.active,
            reorder_timeout_ms=sp.reorder_timeout_ms,
            rebirth_min_interval_ms=sp.rebirth_min_interval_ms,
            host_id=sp.host_id,
            check_seq=sp.check_seq if sp.check_seq is not None else not settings.share_group,
            max_nodes=sp.max_nodes,
            max_metrics_per_node=sp.max_metrics_per_node,
            node_idle_ms=sp.node_idle_ms,
            rebirth_rate_per_s=sp.rebirth_rate_per_s,
            rebirth_burst=sp.rebirth_burst,
        )
        self.partition = settings.partition_of()
        self._index = self.partition.index if self.partition is not None else 0
        self.plan = self._plan(ns)
        self.enricher = self._enricher(ns)
        self.spool = (
            Spool(settings.deadletter_spool, settings.deadletter_spool_max_mb * 1024 * 1024)
            if settings.deadletter_spool
            else None
        )
        self.transport: Transport | None = None
        self.observer: OutputObserver | None = None  # hook: the namespace page (uns.web)
        self._state: HostState | None = None  # primary-host STATE when host_id is set
        self._stopping = False
        self._connection = 0  # bumped on every loss: older pending messages cannot be acked
        self._open = 0  # messages taken on this connection and not settled
        # Raised by a refused dead letter, lowered by the next accepted one: until then the
        # refused messages stay unacknowledged and /readyz fails.
        self._deadletters_blocked = False
        # Governed topics the broker refused (not authorized): later outputs to them become
        # dead letters without being tried, since mosquitto 2.0 drops the connection after
        # refusing a QoS 1 publish and a retry per redelivery would never get further.
        self._refused_topics: dict[str, float] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self.subscribed = asyncio.Event()  # set once the first subscription is acknowledged
        self._warn = RateLimitedLog(log)
        self.stats.gauges["uns_messages_in_flight"] = lambda: float(
            self.transport.in_flight if self.transport else 0
        )
        self.stats.gauges["uns_publishes_pending"] = lambda: float(
            self.transport.publishes_pending if self.transport else 0
        )
        self.stats.gauges["uns_deadletters_blocked"] = lambda: float(self._deadletters_blocked)
        # Sparkplug edge nodes seen: online, or offline since their death (their tags are stale).
        self.stats.gauges["uns_sparkplug_nodes_online"] = lambda: float(
            sum(1 for n in self.sparkplug.nodes() if n.online)
        )
        self.stats.gauges["uns_sparkplug_nodes_offline"] = lambda: float(
            sum(1 for n in self.sparkplug.nodes() if not n.online)
        )

    # -- model -------------------------------------------------------------------------

    async def use_model(self, ns: Namespace, version: str = "") -> None:
        """Swap the model between messages (each message is enriched by one model).

        New subscriptions are added (once connected: an outage only delays them); ones the
        new model no longer needs stay, so their traffic is dead-lettered as `no_binding`.
        """
        before = set(self.subscriptions())
        self.stats.model_version = version or self.stats.model_version
        self.plan = self._plan(ns)
        self.enricher = self._enricher(ns)
        self.stats.model_loaded_at = time.time()
        if self.observer is not None:  # hook: the namespace page (uns.web)
            self.observer.model_changed(ns, self.stats.model_version)
        added = [s for s in self.subscriptions() if s not in before]
        if added and self.transport is not None and self.subscribed.is_set():
            await self.transport.subscribe(added)
            log.info("subscribed to %s", ", ".join(f for f, _ in added))

    def _enricher(self, ns: Namespace) -> Enricher:
        return Enricher(
            ns,
            self.context,
            max_payload=self.settings.max_payload_bytes,
            max_topic=self.settings.max_topic_bytes,
            max_context_value=self.settings.max_context_value_chars,
            counters=self.counters,
            sparkplug=self.sparkplug,
            revision=self.stats.model_version or None,  # lineage: outputs name the model
        )

    def _plan(self, ns: Namespace) -> PartitionPlan | None:
        if self.partition is None:
            return None
        return PartitionPlan(ns, self.partition.count, self.settings.subscribe)

    def subscriptions(self) -> list[tuple[str, int]]:
        """The filters to hold, without overlaps (a broker delivers once per matching filter).

        Context (MES) and Sparkplug births/deaths are never shared: every replica must see
        every announcement to join context and resolve aliases. Raw data and Sparkplug DATA
        go through `$share/<share_group>/` when scale-out is on. A partition holds context and
        the filters of what it owns (`uns.partitioning`).
        """
        qos: int = self.settings.qos
        state = [self.sparkplug.state_topic()] if self.sparkplug.host_id is not None else []
        if self.plan is not None and self.partition is not None:
            owned = self.plan.filters(self.partition.index)
            return [(f, qos) for f in minimal_filters(owned + state)]
        context = self.enricher.context_subscriptions()
        private = list(context)
        shared = self.settings.subscribe or [
            f for f in self.enricher.subscriptions() if f not in context
        ]
        if self.enricher.uses_sparkplug:
            for f in sparkplug_subscriptions():
                (shared if f.split("/")[2].endswith("DATA") else private).append(f)
        private += state  # to answer a stray offline STATE
        group = self.settings.share_group
        if not group:
            return [(f, qos) for f in minimal_filters(private + shared)]
        return [(f, qos) for f in minimal_filters(private)] + [
            (f"$share/{group}/{f}", qos) for f in minimal_filters(shared)
        ]

    def ready(self) -> tuple[bool, str]:
        if self._stopping:
            return False, "stopping"
        if not self.stats.connected:
            return False, "not connected to the broker"
        if not self.subscribed.is_set():
            return False, "not subscribed yet"
        if self._deadletters_blocked:
            return False, "the broker refuses dead letters: messages stay unacknowledged"
        return True, "ready"

    # -- lifecycle -----------------------------------------------------------------------

    def make_transport(self) -> Transport:
        if self.sparkplug.host_id is not None:
            self._state = HostState(self.sparkplug, int(time.time() * 1000))
        settings = self.settings.broker_settings()
        will = None if self._state is None else self._state.will()
        if settings.protocol != 5:
            return Mqtt311Transport(settings, self._on_message, self._on_connection_change, will)
        return Mqtt5Transport(
            settings,
            self._on_message,
            self._on_connection_change,
            will=will,
            refused=self._known_refused,  # not sent again on a resumed session
        )

    async def run(self, stop: asyncio.Event) -> DrainReport:
        """Serve until `stop` is set, then drain; returns how the drain went."""
        transport = self.transport = self.make_transport()
        transport.start()
        try:
            async with asyncio.TaskGroup() as tg:
                tasks = [
                    tg.create_task(self._subscribe(transport), name="uns.subscribe"),
                    tg.create_task(self._tick(transport), name="uns.sparkplug.tick"),
                ]
                await stop.wait()
                for task in tasks:
                    task.cancel()
            return await self.drain()
        finally:
            if self._state is not None:
                await self._state.offline(transport, self.settings.broker.connect_timeout_s)
            await transport.close()

    async def _subscribe(self, transport: Transport) -> None:
        filters = self.subscriptions()
        await transport.subscribe(filters)
        self.subscribed.set()
        log.info("subscribed to %s", ", ".join(f for f, _ in filters))
        if self._state is not None:
            self._state.online(transport)

    async def _tick(self, transport: Transport, every_s: float = 0.1) -> None:
        """Sparkplug host timers: seq reorder deadlines and throttled rebirth requests. They
        wait for the connection, so an outage delays a rebirth request, never fails it."""
        while True:
            await asyncio.sleep(every_s)
            await transport.wait_connected()
            for out in self.enricher.tick(int(time.time() * 1000)):
                ids = MessageIds(out.topic, out.payload)
                self._publish(out, with_id(out.payload, ids.id(0)), None)

    async def drain(self) -> DrainReport:
        self._stopping = True
        if self.transport is not None:
            self.transport.close_intake()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.settings.drain_timeout_s):
                await self._idle.wait()
        if self._open:
            transport = self.transport
            held = transport.in_flight - self._open if transport else 0
            unacked = transport.publishes_pending if transport else 0
            self.stats.publish_failures += unacked  # no PUBACK within the drain: failed
            log.error(
                "drain deadline of %.1fs passed; %d message(s) not finished, %d more not "
                "taken, %d publish(es) without PUBACK (unacknowledged: the broker "
                "redelivers them)",
                self.settings.drain_timeout_s,
                self._open,
                max(held, 0),
                unacked,
            )
            return DrainReport(False, self._open)
        if self._deadletters_blocked:
            log.error(
                "stopping while the broker refuses dead letters: their raw messages "
                "stay unacknowledged (the broker redelivers them)"
            )
            return DrainReport(False, 1)
        log.info("drained: every message taken in was published and acknowledged")
        return DrainReport(True, 0)

    def _on_connection_change(self, up: bool) -> None:
        self.stats.connected = up
        if up and self._state is not None and self.subscribed.is_set():
            assert self.transport is not None
            self._state.online(self.transport)  # a reconnect: the broker sent our Will
        if not up:  # what was taken on the old connection is redelivered by the broker
            self._connection += 1
            self._open = 0
            self._idle.set()

    # -- per message ---------------------------------------------------------------------

    def _on_message(self, msg: Inbound) -> None:
        """Enrich one message and publish its outputs; called in arrival order, never awaits."""
        self.stats.received += 1
        plan = self.plan
        if plan is not None and plan.foreign(msg.topic, self._index):
            # Another partition enriches it (overlapping filters or a spread Sparkplug binding).
            self.stats.outcome("other_partition")
            assert self.transport is not None
            self.transport.ack(msg)
            return
        enricher = self.enricher  # one model for the whole message, even across a reload
        received_ms, only = int(time.time() * 1000), None
        if msg.user_properties:  # a replayed dead letter: its original time, its failed values
            received_ms, only = replay_hints(msg.user_properties, received_ms)
        try:
            outs = enricher.process(msg.topic, msg.payload, received_ms, only)
        except Exception as exc:  # a bug must cost one message, not the service
            self.stats.message_failures += 1
            self._warn.warning("internal_error", "internal error on %r: %r", msg.topic, exc)
            rejection = Rejection("internal_error", repr(exc))
            outs = [enricher.dead_letter(msg.topic, msg.payload, received_ms, rejection)]
        pending = _Pending(msg, len(outs), received_ms, self._connection)
        self._open += 1
        self._idle.clear()
        ids = MessageIds(msg.topic, msg.payload)
        for index, out in enumerate(outs):
            pending.enriched = pending.enriched or out.kind == "enriched"
            self._send(out, with_id(out.payload, ids.id(index)), pending)
        if not outs:
            self._settle(pending)

    def _limit(self) -> int:
        broker = self.transport.max_packet_size if self.transport else None
        limit = self.settings.max_publish_bytes
        return limit if broker is None else min(limit, broker)

    def _send(self, out: Outgoing, payload: bytes, pending: _Pending) -> None:
        """Publish one output of a raw message; too large or refused -> a dead letter."""
        if out.kind == "deadletter":
            pending.dead = pending.dead or out.reason
            self._spool(payload, out.reason, pending)
            # An oversized raw payload is not copied whole into its dead letter either.
            if out.reason == "payload_too_large" or not fits(out.topic, payload, self._limit()):
                payload = self._bounded(payload, pending)
        elif out.kind == "enriched":
            if not fits(out.topic, payload, self._limit()):
                detail = f"{out.topic}: {len(payload)} bytes exceed the publish limit"
                self._refused(pending, out.topic, "output_too_large", detail)
                return
            if self._refused_topics and self._known_refused(out.topic):
                detail = f"{out.topic}: the broker refused it (reason code 0x87)"
                self._refused(pending, out.topic, "publish_refused", detail)
                return
        self._publish(out, payload, pending)

    def _publish(self, out: Outgoing, payload: bytes, pending: _Pending | None) -> None:
        assert self.transport is not None
        kind = out.kind

        def on_ack(code: int) -> None:
            if code < REFUSED:
                self.stats.published[kind] = self.stats.published.get(kind, 0) + 1
                if self.observer is not None:  # hook: the namespace page (uns.web)
                    self.observer.published(out)
                if kind == "deadletter":
                    self._deadletters_blocked = False
                if pending is not None:
                    pending.left -= 1
                    if pending.left == 0:
                        self._settle(pending)
                return
            self.stats.publish_failures += 1
            if pending is None:
                self._warn.warning("refused", "the broker refused %r (0x%02x)", out.topic, code)
            elif kind != "deadletter":
                detail = f"{out.topic}: the broker refused it (reason code 0x{code:02x})"
                if code == NOT_AUTHORIZED:
                    self._refused_topics[out.topic] = time.monotonic() + REFUSED_TOPIC_TTL_S
                self._refused(pending, out.topic, "publish_refused", detail)
            elif code == PACKET_TOO_LARGE and b'"payload_sha256"' not in payload:
                self._publish(out, self._bounded(payload, pending), pending)
            else:
                self.stats.deadletters_refused += 1
                self._deadletters_blocked = True
                log_key = f"deadletter-refused-{code}"
                self._warn.warning(
                    log_key,
                    "the broker refused dead letter %r (0x%02x): raw message %r stays "
                    "unacknowledged",
                    out.topic,
                    code,
                    pending.message.topic,
                )

        json = kind != "command"
        qos = self.settings.qos if out.qos is None else out.qos
        content_type = CONTENT_TYPE if json else None
        self.transport.publish(
            out.topic, payload, qos, out.retain, content_type=content_type, on_ack=on_ack
        )

    def _refused(self, pending: _Pending, topic: str, reason: str, detail: str) -> None:
        """An output that cannot be delivered: a dead letter takes its place."""
        msg = pending.message
        self.stats.publishes_refused += 1
        self._warn.warning(reason, "%s for %r: %s", reason, msg.topic, detail)
        out = self.enricher.dead_letter(
            msg.topic, msg.payload, pending.received_ms, Rejection(reason, detail)
        )
        message_id = MessageIds(msg.topic, msg.payload).id(f"{reason}:{topic}")
        payload = with_id(out.payload, message_id)
        self._send(out, payload, pending)

    def _known_refused(self, topic: str) -> bool:
        until = self._refused_topics.get(topic)
        if until is None:
            return False
        if until < time.monotonic():
            del self._refused_topics[topic]  # the ACL may have changed: try again
            return False
        return True

    def _bounded(self, payload: bytes, pending: _Pending) -> bytes:
        return bounded_dead_letter(
            payload, pending.message.payload, self.settings.deadletter_excerpt_bytes
        )

    def _spool(self, payload: bytes, reason: str | None, pending: _Pending) -> None:
        # Spooled before publishing: a redelivery may spool a line twice, but nothing
        # dead-lettered is ever missing from the spool.
        if self.spool is not None:
            raw = (pending.message.topic, pending.message.payload)
            limit = self.settings.deadletter_spool_entry_max_kb * 1024
            entry = spool_entry(payload, reason, raw, limit, self.settings.deadletter_excerpt_bytes)
            try:
                self.spool.append(entry)
            except OSError as exc:  # a full disk must not stop the stream
                self._warn.warning("spool", "cannot write the dead-letter spool: %s", exc)

    def _settle(self, pending: _Pending) -> None:
        """Every output of the message is acknowledged: count it and acknowledge it."""
        if pending.connection != self._connection:
            return  # taken on a connection that is gone: the broker redelivers it
        self._open -= 1
        if self._open == 0:
            self._idle.set()
        stats = self.stats
        if pending.dead is not None:
            stats.outcome("deadletter", pending.dead)
            topic = pending.message.topic
            self._warn.warning(pending.dead, "dead-lettered %r: %s", topic, pending.dead)
        elif pending.enriched:
            stats.outcome("enriched")
        else:
            stats.outcome("context")  # MES announcements, Sparkplug births without values
        stats.latency.observe(time.perf_counter() - pending.started)
        assert self.transport is not None
        self.transport.ack(pending.message)
