"""Wiring of `uns run`: broker connection, per-message handling, metrics, graceful shutdown.

Delivery: each incoming message is handled in its own task (the MQTT client's model); the
handler enriches synchronously and awaits the broker's PUBACK for every message it publishes.
Only then does it return, and only then does the client acknowledge the raw message. A crash
or lost connection before that leaves the raw message unacknowledged, and the broker
redelivers it (at-least-once). The number of messages in flight is bounded by the MQTT 5
receive maximum, which is the backpressure: the broker stops sending when we are behind.

Shutdown (uvicorn's order): stop intake (new deliveries are refused unacknowledged, so the
broker keeps them for the next session), finish in-flight work under a deadline, report what
was cut off, disconnect.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from uns.config.settings import ServiceSettings
from uns.context.production import ContextStore
from uns.errors import TransportError
from uns.io.mqtt import Message, MqttClient, Will, backoff_delay
from uns.metrics import Stats
from uns.model.namespace import Namespace
from uns.model.topics import minimal_filters
from uns.pipeline import Enricher, Outgoing, Rejection
from uns.replay import Spool
from uns.sparkplug import SparkplugHost, sparkplug_subscriptions

log = logging.getLogger(__name__)
CONTENT_TYPE = "application/json"


class OutputObserver(Protocol):
    """Sees every message published and every model switched to (the namespace page,
    `uns.web`). Called on the event loop after the broker acknowledged: must not block."""

    def published(self, out: Outgoing) -> None: ...

    def model_changed(self, ns: Namespace, version: str) -> None: ...


class _RefusedError(Exception):
    """Raised for deliveries after shutdown began: no PUBACK, the broker redelivers later."""


@dataclass
class DrainReport:
    finished: bool
    cut_off: int


class RateLimitedLog:
    """At most one line per key per interval, with the number of lines held back.
    `clock` gives monotonic seconds (tests pass their own)."""

    def __init__(
        self, interval_s: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, key: str, msg: str, *args: object) -> None:
        now = self._clock()
        if now - self._last.get(key, -1e9) < self.interval_s:
            self._held[key] = self._held.get(key, 0) + 1
            return
        held = self._held.pop(key, 0)
        self._last[key] = now
        suffix = f" (+{held} similar since last report)" if held else ""
        log.warning(msg + suffix, *args)


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
        self.enricher = self._enricher(ns)
        self.spool = (
            Spool(settings.deadletter_spool, settings.deadletter_spool_max_mb * 1024 * 1024)
            if settings.deadletter_spool
            else None
        )
        self.client: MqttClient | None = None
        self._state_ts = 0  # the primary-host STATE timestamp of this session (host_id)
        self.observer: OutputObserver | None = None  # hook: the namespace page (uns.web)
        self._stopping = False
        self._inflight = 0
        self._drain_failures = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.subscribed = asyncio.Event()  # set once the first subscription is acknowledged
        self._warn = RateLimitedLog()
        # The two queues: raw messages taken but not yet acknowledged (bounded by the MQTT 5
        # receive maximum), and our publishes waiting for the broker's PUBACK.
        self.stats.gauges["uns_messages_in_flight"] = lambda: float(
            self.client.in_flight if self.client else 0  # running and waiting for a slot
        )
        self.stats.gauges["uns_publishes_pending"] = lambda: float(
            self.client.publishes_pending if self.client else 0
        )
        # Sparkplug edge nodes seen: online, or offline since their death (their tags are stale).
        self.stats.gauges["uns_sparkplug_nodes_online"] = lambda: float(
            sum(1 for n in self.sparkplug.nodes() if n.online)
        )
        self.stats.gauges["uns_sparkplug_nodes_offline"] = lambda: float(
            sum(1 for n in self.sparkplug.nodes() if not n.online)
        )

    # -- model -------------------------------------------------------------------------

    async def use_model(self, ns: Namespace, version: str = "") -> None:
        """Swap the model between messages (the handler reads `self.enricher` once per message).

        New subscriptions are added; ones the new model no longer needs stay, so traffic on
        them is dead-lettered as `no_binding` rather than silently dropped at the broker.
        """
        before = set(self.subscriptions())
        self.enricher = self._enricher(ns)
        self.stats.model_version = version or self.stats.model_version
        self.stats.model_loaded_at = time.time()
        if self.observer is not None:  # hook: the namespace page (uns.web)
            self.observer.model_changed(ns, self.stats.model_version)
        added = [s for s in self.subscriptions() if s not in before]
        if added and self.client is not None and self.subscribed.is_set():
            await self.client.subscribe(added)
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
        )

    def subscriptions(self) -> list[tuple[str, int]]:
        """The filters to hold, without overlaps (a broker delivers once per matching filter).

        Context (MES) and Sparkplug births/deaths are never shared: every replica must see
        every announcement to join context and resolve aliases. Raw data and Sparkplug DATA
        go through `$share/<share_group>/` when scale-out is on.
        """
        context = self.enricher.context_subscriptions()
        private = list(context)
        shared = self.settings.subscribe or [
            f for f in self.enricher.subscriptions() if f not in context
        ]
        if self.enricher.uses_sparkplug:
            for f in sparkplug_subscriptions():
                (shared if f.split("/")[2].endswith("DATA") else private).append(f)
        if self.sparkplug.host_id is not None:
            private.append(self.sparkplug.state_topic())  # to answer a stray offline STATE
        qos: int = self.settings.qos
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
        return True, "ready"

    # -- lifecycle -----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> DrainReport:
        """Serve until `stop` is set, then drain; returns how the drain went."""
        will = self._state_will(int(time.time() * 1000))
        client = MqttClient(
            self.settings.broker_settings(), self._handle, self._on_connection_change, will=will
        )
        self.client = client
        if not await self._connect(client, stop):
            return DrainReport(True, 0)
        try:
            await client.subscribe(self.subscriptions())
            self.subscribed.set()
            log.info("subscribed to %s", ", ".join(f for f, _ in self.subscriptions()))
            if will is not None:
                await self._publish_state(online=True)
            async with asyncio.TaskGroup() as tg:
                ticker = tg.create_task(self._tick(), name="uns.sparkplug.tick")
                await stop.wait()
                ticker.cancel()
            return await self.drain()
        finally:
            if will is not None and client.connected:
                await self._publish_state(online=False)
            await client.disconnect()

    def _state_will(self, now_ms: int) -> Will | None:
        """The Sparkplug primary-host Will (offline STATE), when a host_id is set. Its
        timestamp is this session's: the online STATE published after it carries the same."""
        host = self.sparkplug
        if host.host_id is None:
            return None
        self._state_ts = now_ms
        return Will(host.state_topic(), host.state_offline_payload(now_ms), qos=1, retain=True)

    async def _publish_state(self, *, online: bool) -> None:
        """Publish this primary host's STATE (retained, QoS 1) with the session timestamp."""
        assert self.client is not None
        host = self.sparkplug
        ts = self._state_ts
        payload = host.state_online_payload(ts) if online else host.state_offline_payload(ts)
        try:
            await self.client.publish(host.state_topic(), payload, 1, True)
        except TransportError as exc:  # online: the edge nodes wait; offline: the Will says it
            log.warning("cannot publish the Sparkplug STATE (online=%s): %s", online, exc)

    async def _tick(self, every_s: float = 0.1) -> None:
        """Sparkplug host timers: seq reorder deadlines and throttled rebirth requests."""
        while True:
            await asyncio.sleep(every_s)
            for out in self.enricher.tick(int(time.time() * 1000)):
                await self._publish(out)

    async def _connect(self, client: MqttClient, stop: asyncio.Event) -> bool:
        """Connect, retrying with backoff until it works or `stop` is set."""
        s = client.settings
        attempt = 0
        while not stop.is_set():
            try:
                await client.connect()
                return True
            except TransportError as exc:
                delay = backoff_delay(attempt, s.backoff_min_s, s.backoff_max_s)
                log.warning("%s; retrying in %.1fs", exc, delay)
                attempt += 1
                try:
                    async with asyncio.timeout(delay):
                        await stop.wait()
                except TimeoutError:
                    pass
        return False

    async def drain(self) -> DrainReport:
        self._stopping = True
        try:
            async with asyncio.timeout(self.settings.drain_timeout_s):
                await self._idle.wait()
        except TimeoutError:
            log.error(
                "drain deadline of %.1fs passed; %d message(s) not finished "
                "(unacknowledged: the broker redelivers them)",
                self.settings.drain_timeout_s,
                self._inflight,
            )
            return DrainReport(False, self._inflight)
        if self._drain_failures:
            log.error(
                "drain ended with %d message(s) whose publish failed "
                "(unacknowledged: the broker redelivers them)",
                self._drain_failures,
            )
            return DrainReport(False, self._drain_failures)
        log.info("drained: every message taken in was published and acknowledged")
        return DrainReport(True, 0)

    async def _publish(self, out: Outgoing) -> None:
        assert self.client is not None
        if out.kind == "deadletter" and self.spool is not None:
            # Spooled before publishing: a redelivery after a failed publish may spool a line
            # twice, but nothing dead-lettered is ever missing from the spool.
            try:
                self.spool.append(out.payload)
            except OSError as exc:  # a full disk must not stop the stream
                self._warn.warning("spool", "cannot write the dead-letter spool: %s", exc)
        json = out.kind != "command"
        qos = self.settings.qos if out.qos is None else out.qos
        await self.client.publish(
            out.topic, out.payload, qos, out.retain, CONTENT_TYPE if json else None
        )
        self.stats.published[out.kind] = self.stats.published.get(out.kind, 0) + 1
        if self.observer is not None:  # hook: the namespace page (uns.web)
            self.observer.published(out)

    def _on_connection_change(self, up: bool) -> None:
        self.stats.connected = up

    # -- per message ---------------------------------------------------------------------

    async def _handle(self, msg: Message) -> None:
        if self._stopping:
            raise _RefusedError("shutting down")
        started = time.perf_counter()
        self._inflight += 1
        self._idle.clear()
        try:
            await self._handle_one(msg)
        except BaseException:
            if self._stopping:
                self._drain_failures += 1  # taken in but not published: not a clean drain
            raise
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()
        self.stats.latency.observe(time.perf_counter() - started)

    async def _handle_one(self, msg: Message) -> None:
        stats = self.stats
        stats.received += 1
        enricher = self.enricher  # one model for the whole message, even across a reload
        received_ms = int(time.time() * 1000)
        try:
            outs = enricher.process(msg.topic, msg.payload, received_ms)
        except Exception as exc:  # a bug must cost one message, not the service
            log.exception("internal error on %r", msg.topic)
            outs = [
                enricher.dead_letter(
                    msg.topic, msg.payload, received_ms, Rejection("internal_error", repr(exc))
                )
            ]
        assert self.client is not None
        try:
            for out in outs:
                if self.client.is_stale(
                    msg
                ):  # the broker redelivers it: a copy would be a duplicate
                    raise _RefusedError("connection replaced")
                await self._publish(out)
        except TransportError:
            stats.publish_failures += 1
            raise  # unacknowledged: the broker redelivers the raw message
        dead = next((o.reason for o in outs if o.kind == "deadletter"), None)
        if dead is not None:
            stats.outcome("deadletter", dead)
            self._warn.warning(dead, "dead-lettered %r: %s", msg.topic, dead)
        elif any(o.kind == "enriched" for o in outs):
            stats.outcome("enriched")
        else:
            stats.outcome("context")  # MES announcements, Sparkplug births without values
