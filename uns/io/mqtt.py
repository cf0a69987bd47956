"""MQTT transport: the only module that imports the MQTT client (gmqtt 0.8).

Why gmqtt, and what it can and cannot do: docs/decisions.md, section "MQTT client".

`MqttClient` connects, reconnects with capped, jittered exponential backoff (re-subscribing
when the broker did not keep the session), publishes with `await` until the PUBACK arrives, and
hands every incoming message to one async handler. The PUBACK of an incoming QoS 1 message is
sent only when that handler returns. If it raises, is cancelled, or the connection was replaced
while it ran, no PUBACK is sent and the broker redelivers the message when the session resumes;
gmqtt's ack callback then reports our `NotAcknowledgedError` through asyncio's exception
handler (one "Exception in callback" log line per message), which gmqtt 0.8 offers no way to
avoid. Handlers run concurrently, at most `receive_maximum` at once (mosquitto 2.0 does not
hold to Receive Maximum under load); the rest wait in arrival order and count in `in_flight`.
No gmqtt exception leaves this module: everything becomes `TransportError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import gmqtt
from gmqtt.mqtt.constants import MQTTv50, MQTTv311
from gmqtt.storage import PersistentStorage

from uns.config.broker import BrokerSettings
from uns.errors import TransportError
from uns.io.connection import TakeoverWatch, backoff_delay, ssl_context
from uns.io.transport import Will

__all__ = ["BrokerSettings", "Message", "MqttClient", "Will", "backoff_delay", "ssl_context"]

log = logging.getLogger(__name__)

_QOS: Final = (0, 1)

Handler = Callable[["Message"], Awaitable[None]]


@dataclass(slots=True)
class Message:
    """One incoming message. Its PUBACK (QoS 1) is sent when the handler given it returns."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    dup: bool = False  # the broker is redelivering it (an earlier copy was not acknowledged)
    content_type: str | None = None
    connection: int = 0  # which connection it came on (see MqttClient.is_stale)


class NotAcknowledgedError(TransportError):
    """Raised to gmqtt's ack callback so that it sends no PUBACK: the broker will redeliver."""


class _AckTracker(PersistentStorage):  # type: ignore[misc]
    """gmqtt's store of unacknowledged outgoing QoS 1 packets, plus a waiter per packet id.

    gmqtt pushes a packet here synchronously inside `publish()` and removes it on its PUBACK;
    `clear()` means the broker kept no session, so those packets will never be acked. Waiters
    expire through one shared timer (their deadlines come in insertion order), which is cheaper
    than a timeout context per publish on the hot path.
    """

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self._timeout_s = timeout_s
        self._waiters: dict[int, tuple[asyncio.Future[None], float]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._freed = asyncio.Event()
        self.last: asyncio.Future[None] | None = None

    def push_message(self, mid: int, raw_package: bytes) -> None:
        super().push_message(mid, raw_package)
        loop = asyncio.get_running_loop()
        self.last = loop.create_future()
        self._waiters[mid] = (self.last, loop.time() + self._timeout_s)
        if self._timer is None:
            self._timer = loop.call_at(loop.time() + self._timeout_s, self._expire)

    def remove_message_by_mid(self, mid: int) -> None:
        super().remove_message_by_mid(mid)
        waiter = self._waiters.pop(mid, None)
        if waiter is not None and not waiter[0].done():
            waiter[0].set_result(None)
        self._freed.set()

    def clear(self) -> None:
        super().clear()
        self._fail(list(self._waiters), "the broker kept no session")
        self._freed.set()

    def _expire(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        expired = [mid for mid, (_, deadline) in self._waiters.items() if deadline <= now]
        self._fail(expired, f"no PUBACK within {self._timeout_s}s")
        oldest = next(iter(self._waiters.values()), None)
        self._timer = None if oldest is None else loop.call_at(oldest[1], self._expire)

    def _fail(self, mids: list[int], reason: str) -> None:
        for mid in mids:
            future, _ = self._waiters.pop(mid)
            if not future.done():
                future.set_exception(TransportError(f"publish not acknowledged: {reason}"))

    async def wait_freed(self) -> None:
        self._freed.clear()
        await self._freed.wait()

    @property
    def pending(self) -> int:
        return len(self._waiters)


class _Gate:
    """At most `size` holders, FIFO. asyncio.Semaphore in 3.11 rescans woken waiters on every
    release, which turned a 90k-message backlog quadratic (bench/transport_relay.py)."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await future  # release() hands its slot over by resolving this
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed a slot while being cancelled: pass it on
            raise

    def release(self) -> None:
        while self._waiters:
            future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)
                return
        self._free += 1


class _CoalescingTransport:
    """Gathers the packets written in one event-loop pass into one socket write.

    gmqtt writes every packet (each PUBLISH, each PUBACK) with its own `send()`; on virtual
    machines a send costs tens of microseconds, more than enriching a message. Writes made
    while handling one batch of incoming data go out together at the end of the pass: same
    order, same loop iteration, a fraction of the system calls (docs/performance.md).
    """

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        data, self._pending = b"".join(self._pending), []
        if data and not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)  # is_closing, abort, get_extra_info, ...


class _Gmqtt(gmqtt.Client):  # type: ignore[misc]
    """gmqtt's client without its own reconnect (fixed delay, not jittered): ours replaces it."""

    async def reconnect(self, delay: bool = False) -> None:
        return None

    def _clear_resend_qos_queue(self) -> None:
        # The broker kept no session: gmqtt forgets the unacknowledged publishes but not their
        # packet ids, so a full window would leave no id even to re-subscribe. Free them.
        ids = self._package_handler.id_generator
        for mid, _ in self._persistent_storage.get_all():
            ids.free_id(mid)
        super()._clear_resend_qos_queue()


class MqttClient:
    """A connection to one broker; see the module docstring for the acknowledgement rules.

    `handler` receives every incoming message (each in its own task, so they run
    concurrently); `on_connection_change(up)` is called on every connect and loss, e.g. to
    drive a gauge. Use as `async with MqttClient(...)` or call `connect()` / `disconnect()`.
    """

    def __init__(
        self,
        settings: BrokerSettings,
        handler: Handler | None = None,
        on_connection_change: Callable[[bool], None] | None = None,
        *,
        will: Will | None = None,
    ) -> None:
        self.settings = s = settings
        self._handler = handler
        self._on_change = on_connection_change
        self._ssl = ssl_context(s)
        self._acks = _AckTracker(s.publish_timeout_s)
        self._takeover = TakeoverWatch(s.client_id)
        v5 = {"session_expiry_interval": s.session_expiry_s, "receive_maximum": s.receive_maximum}
        self._client = client = _Gmqtt(
            s.client_id,
            clean_session=s.clean_start,
            optimistic_acknowledgement=False,  # PUBACK when the on_message coroutine completes
            persistent_storage=self._acks,
            will_message=None
            if will is None
            else gmqtt.Message(will.topic, will.payload, qos=will.qos, retain=will.retain),
            **(v5 if s.protocol == 5 else {}),
        )
        if s.username is not None:
            client.set_auth_credentials(s.username, s.password)
        client.on_connect, client.on_disconnect = self._on_connect, self._on_disconnect
        client.on_subscribe, client.on_message = self._on_subscribe, self._on_message
        self._filters: dict[str, int] = {}
        self._subacks: dict[int, asyncio.Future[tuple[int, ...]]] = {}
        self._handlers: set[asyncio.Task[Any]] = set()
        # mosquitto 2.0 lets more than Receive Maximum through under load (decisions.md), so
        # handlers also queue here: at most receive_maximum run, and publish, at once.
        self._slots = _Gate(s.receive_maximum)
        self._connected = asyncio.Event()
        self._lost = asyncio.Event()
        self._session_present = False
        self._generation = 0  # bumped per connection: a handler never acks on a newer one
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def in_flight(self) -> int:
        """Incoming messages not yet handled (running or waiting for a handler slot)."""
        return len(self._handlers)

    @property
    def publishes_pending(self) -> int:
        """Outgoing QoS 1 messages still waiting for their PUBACK."""
        return int(self._acks.pending)

    def is_stale(self, message: Message) -> bool:
        """True for a QoS 1 message from a connection that has since been replaced: it can no
        longer be acknowledged, and the broker redelivers it, so working on it is wasted."""
        return bool(message.qos) and message.connection != self._generation

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def __aenter__(self) -> MqttClient:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.disconnect()

    async def connect(self) -> None:
        """Connect once (TransportError if that fails), then keep reconnecting when dropped."""
        if self._supervisor is not None:
            raise TransportError(f"already connected to {self.settings.address}")
        self._closing = False
        self._lost.clear()
        await self._attempt()
        self._supervisor = asyncio.create_task(self._supervise(), name="uns.mqtt.reconnect")

    async def disconnect(self) -> None:
        """Stop reconnecting, cancel unfinished handlers (not acked: redelivered), disconnect."""
        self._closing = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        if handlers := list(self._handlers):
            log.warning("disconnecting with %d message(s) unacknowledged", len(handlers))
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
        if self._connected.is_set():
            self._set_connected(False)
            # gmqtt writes the DISCONNECT through the protocol (our coalescing wrapper), then
            # closes the connection's own transport reference at once: point that at the
            # wrapper too, so the DISCONNECT goes out first. Without it the broker sees a lost
            # client and publishes our Will (e.g. the Sparkplug STATE) on a clean stop.
            with contextlib.suppress(Exception):  # closing anyway; nothing to recover
                connection = self._client._connection
                connection._transport = connection._protocol._transport
                await self._client.disconnect()

    async def subscribe(self, filters: Sequence[tuple[str, int]]) -> None:
        """Subscribe (QoS 0 or 1 each); remembered and renewed when a session is lost."""
        if self._handler is None:
            raise TransportError("subscribe needs a message handler")
        items = [(str(f), int(q)) for f, q in filters]
        if bad := [f for f, q in items if q not in _QOS or not f]:
            raise TransportError(f"bad subscription (QoS must be 0 or 1): {bad}")
        await self._ready(self.settings.connect_timeout_s, "subscribe")
        await self._send_subscribe(items)
        self._filters.update(items)

    async def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        content_type: str | None = None,
        *,
        user_properties: list[tuple[str, str]] | None = None,
    ) -> None:
        """Publish; with QoS 1, return once the broker's PUBACK has arrived."""
        if qos not in _QOS or not topic or "+" in topic or "#" in topic:
            raise TransportError(f"cannot publish to {topic!r} with QoS {qos}")
        props: dict[str, object] = {}
        if self.settings.protocol == 5:
            if content_type:
                props["content_type"] = content_type
            if user_properties:
                props["user_property"] = user_properties
        await self._ready(self.settings.publish_timeout_s, f"publish to {topic!r}")
        while True:
            try:
                self._client.publish(topic, payload, qos=qos, retain=retain, **props)
                break
            except OverflowError:  # every packet id in use: the broker's receive maximum
                try:
                    async with asyncio.timeout(self.settings.publish_timeout_s):
                        await self._acks.wait_freed()
                except TimeoutError:
                    raise TransportError(f"publish to {topic!r}: no free packet id") from None
            except Exception as exc:
                raise TransportError(f"publish to {topic!r} failed: {exc!r}") from exc
        if qos:
            assert self._acks.last is not None
            await self._acks.last  # TransportError when it expires or the session is lost

    # -- connection lifecycle ---------------------------------------------------------------

    async def _ready(self, timeout_s: float, what: str) -> None:
        if not self._connected.is_set():
            try:
                async with asyncio.timeout(timeout_s):
                    await self._connected.wait()
            except TimeoutError:
                raise TransportError(f"cannot {what}: not connected") from None

    async def _attempt(self) -> None:
        s = self.settings
        self._generation += 1
        try:
            async with asyncio.timeout(s.connect_timeout_s):
                await self._client.connect(
                    s.host,
                    s.port,
                    ssl=self._ssl or False,
                    keepalive=s.keepalive_s,
                    version=MQTTv50 if s.protocol == 5 else MQTTv311,
                )
            if not self._client.is_connected:
                raise TransportError("connection closed during the handshake")
            if self._filters and not self._session_present:
                self._client.subscriptions = []  # gmqtt's own list would only grow
                await self._send_subscribe(self._filters.items())
        except (Exception, asyncio.CancelledError) as exc:
            if not isinstance(exc, OSError):  # OSError: no TCP connection, nothing to close
                with contextlib.suppress(Exception):
                    await self._client.disconnect()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise TransportError(f"cannot connect to {s.address}: {exc!r}") from exc
        log.info("connected to %s (session present: %s)", s.address, self._session_present)
        self._set_connected(True)

    async def _supervise(self) -> None:
        s = self.settings
        while True:
            await self._lost.wait()
            self._lost.clear()
            attempt = 0
            while True:
                delay = backoff_delay(attempt, s.backoff_min_s, s.backoff_max_s)
                log.info("reconnecting to %s in %.2fs", s.address, delay)
                await asyncio.sleep(delay)
                try:
                    await self._attempt()
                    break
                except TransportError as exc:
                    log.warning("%s", exc)
                    attempt += 1

    async def _send_subscribe(self, items: Iterable[tuple[str, int]]) -> None:
        items = list(items)
        future: asyncio.Future[tuple[int, ...]] = asyncio.get_running_loop().create_future()
        subscriptions = [gmqtt.Subscription(f, qos=q) for f, q in items]
        try:
            async with asyncio.timeout(self.settings.connect_timeout_s):
                while True:
                    try:
                        mid = self._client.subscribe(subscriptions)
                        break
                    except OverflowError:  # publishes hold every packet id: wait for a PUBACK
                        await self._acks.wait_freed()
                self._subacks[mid] = future
                granted = await future
        except TransportError:
            raise
        except Exception as exc:
            raise TransportError(f"subscribe failed: {exc!r}") from exc
        if refused := [f for (f, _), code in zip(items, granted, strict=False) if code >= 0x80]:
            raise TransportError(f"broker refused subscription to {refused}")

    def _set_connected(self, up: bool) -> None:
        (self._connected.set if up else self._connected.clear)()
        if self._on_change is not None:
            self._on_change(up)

    # -- gmqtt callbacks ----------------------------------------------------------------------

    def _on_connect(self, _client: Any, flags: int, _rc: int, _props: Any) -> None:
        self._session_present = bool(flags)
        self._takeover.up()
        protocol = self._client._connection._protocol
        if not isinstance(protocol._transport, _CoalescingTransport):
            protocol._transport = _CoalescingTransport(protocol._transport)

    def _on_disconnect(self, _client: Any, *_: Any) -> None:
        self._generation += 1
        for future in self._subacks.values():
            if not future.done():
                future.set_exception(TransportError("connection lost before SUBACK"))
        self._subacks.clear()
        if self._connected.is_set():
            self._set_connected(False)
            if not self._closing:
                log.warning("lost connection to %s", self.settings.address)
                self._takeover.down()
                self._lost.set()

    def _on_subscribe(self, _client: Any, mid: int, granted: Sequence[int], _props: Any) -> None:
        future = self._subacks.pop(mid, None)
        if future is not None and not future.done():
            future.set_result(tuple(granted))

    async def _on_message(
        self, _client: Any, topic: str, payload: bytes, qos: int, props: dict[str, Any]
    ) -> int:
        """Runs as its own task; for QoS 1, gmqtt sends the PUBACK when it returns 0."""
        generation, task = self._generation, asyncio.current_task()
        assert task is not None
        content_type = props.get("content_type")  # MQTT 5 properties arrive as lists
        message = Message(
            topic, payload, qos, bool(props.get("retain")), bool(props.get("dup")),
            content_type[0] if content_type else None, generation,
        )  # fmt: skip
        self._handlers.add(task)
        try:
            if self._handler is not None:
                await self._slots.acquire()
                try:
                    await self._handler(message)
                finally:
                    self._slots.release()
        except (Exception, asyncio.CancelledError) as exc:
            if qos == 0:
                log.warning("handler failed for %s: %r", topic, exc)
                return 0
            raise NotAcknowledgedError(f"{topic}: handler did not finish ({exc!r})") from exc
        finally:
            self._handlers.discard(task)
        if qos and generation != self._generation:
            raise NotAcknowledgedError(f"{topic}: connection replaced; the broker redelivers")
        return 0
