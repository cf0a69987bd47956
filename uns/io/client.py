"""The service's MQTT 5 transport: an `asyncio.Protocol` over the `mqtt5` packet codec (Rust,
sans-IO); why hand-written: docs/decisions.md, "Transport". The session rules kept here:
- Incoming QoS 1: handed to `on_message` in arrival order; the window (`uns.io.window`) sends
  the PUBACKs in that order and bounds what is taken by our Receive Maximum.
- Outgoing QoS 1: at most the broker's Receive Maximum unacknowledged, the rest wait in order;
  the PUBACK reason code goes to the publish's callback; a packet over the broker's Maximum
  Packet Size is never sent (its callback gets 0x95).
- Session: only the first connection may start clean; a resumed session gets our unacked
  publishes again with DUP, a lost one as new packets with the subscriptions renewed.
- Keep-alive: PINGREQ every half interval, dropped when a PINGRESP is an interval late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Final

import mqtt5

from uns.config.broker import BrokerSettings
from uns.errors import SettingsError, TransportError
from uns.io.connection import TakeoverWatch, backoff_delay, log_refused, ssl_context
from uns.io.resend import Publish, give_up
from uns.io.transport import PACKET_TOO_LARGE, Inbound, OnAck, Will
from uns.io.window import InboundWindow

log = logging.getLogger(__name__)
# At most this many held back: with the window, below the 65,535 packet ids a broker has, so
# that a broker past our Receive Maximum never has to reuse an id we have not acknowledged.
HELD_MAX: Final = 32_768

_PINGREQ: Final = mqtt5.PingReqPacket().write()
_QOS: Final = (mqtt5.QoS.AT_MOST_ONCE, mqtt5.QoS.AT_LEAST_ONCE)


class _Wire(asyncio.Protocol):
    def __init__(self, owner: Mqtt5Transport) -> None:
        self.owner = owner
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        view = memoryview(buffer)
        offset, end = 0, len(buffer)
        dispatch = self.owner._dispatch
        try:
            while offset < end:
                try:
                    packet, size = mqtt5.read(view[offset:])
                except IndexError:  # an incomplete packet: wait for more bytes
                    break
                offset += size
                dispatch(packet, self)
        except Exception as exc:  # a malformed packet: MQTT says close the connection
            log.error("closing the connection: cannot read a packet from the broker: %r", exc)
            self.owner._abort(self)
        finally:
            view.release()
        self.buffer = buffer[offset:]
        self.owner._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._connection_lost(self, exc)


class Mqtt5Transport:
    """A persistent MQTT 5 session with one broker (see the module docstring for the rules)."""

    def __init__(
        self,
        settings: BrokerSettings,
        on_message: Callable[[Inbound], None],
        on_connection_change: Callable[[bool], None] | None = None,
        *,
        will: Will | None = None,
        held_windows: int = 16,
        refused: Callable[[str], bool] | None = None,
    ) -> None:
        if settings.protocol != 5:
            raise SettingsError("uns run needs MQTT 5 (reason codes, Receive Maximum)")
        self.settings = settings
        self._on_message = on_message
        self._on_change = on_connection_change
        self._will = will
        self._refused = refused  # topics the broker refused moments ago (see uns.io.resend)
        self._ssl = ssl_context(settings)
        # Held back past the window before reading stops or PUBLISHes are dropped: room for a
        # broker over its limit (a few MB), fewer reconnects to get dropped ones again.
        self._window = InboundWindow(
            settings.receive_maximum,
            min(held_windows * settings.receive_maximum, HELD_MAX),
            deliver=self._deliver,
            write=self._write,
            set_reading=self._set_reading,
            may_stop_reading=lambda: not self._unacked,
            renew=self._renew if settings.session_expiry_s > 0 else None,
        )
        self._wire: _Wire | None = None
        self._socket: asyncio.Transport | None = None
        self._connack: asyncio.Future[mqtt5.ConnAckPacket] | None = None
        self._connected = asyncio.Event()
        self._lost = asyncio.Event()
        self._takeover = TakeoverWatch(settings.client_id)
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._renewing = False  # our own reconnect, to get dropped messages again
        self._renewed = False
        self._resumable = False  # a session of ours exists at the broker
        # outgoing
        self._outbox: deque[Publish] = deque()
        self._unacked: dict[int, Publish] = {}
        self._send_quota = 0
        self._next_id = 0
        self._max_packet: int | None = None
        self._filters: dict[str, int] = {}
        self._subacks: dict[int, asyncio.Future[list[int]]] = {}
        self._ping_due: float | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._keepalive: asyncio.Task[None] | None = None

    # -- state ------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def in_flight(self) -> int:
        return len(self._window)

    @property
    def publishes_pending(self) -> int:
        return len(self._unacked) + len(self._outbox)

    @property
    def max_packet_size(self) -> int | None:
        return self._max_packet

    @property
    def dropped(self) -> int:
        """PUBLISHes dropped unacknowledged past the window (the session sends them again)."""
        return self._window.dropped

    async def wait_connected(self) -> None:
        await self._connected.wait()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name="uns.mqtt.session")

    async def close(self) -> None:
        """Stop reconnecting and send DISCONNECT (the Will is not published)."""
        for task in (self._supervisor, self._keepalive):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._supervisor = self._keepalive = None
        socket = self._socket
        if socket is not None and not socket.is_closing():
            self._flush()
            socket.write(mqtt5.DisconnectPacket().write())
            socket.close()
        self._set_down()

    def close_intake(self) -> None:
        self._window.intake_open = False

    async def _supervise(self) -> None:
        s = self.settings
        attempt = 0
        while True:
            try:
                await self._connect_once()
                attempt = 0
                await self._lost.wait()
            except (TransportError, OSError, TimeoutError) as exc:
                log.warning("cannot connect to %s: %s", s.address, exc)
            except Exception as exc:  # a bug here must not end the session for good
                log.error("connecting to %s failed: %r", s.address, exc)
            delay = backoff_delay(attempt, s.backoff_min_s, s.backoff_max_s)
            attempt += 1
            self._renewed = self._renewing
            if self._renewing:  # our own reconnect after dropping messages: no wait
                self._renewing, attempt, delay = False, 0, 0.0
            else:
                log.info("reconnecting to %s in %.2fs", s.address, delay)
            await asyncio.sleep(delay)

    async def _connect_once(self) -> None:
        s = self.settings
        loop = asyncio.get_running_loop()
        self._lost.clear()
        will = self._will
        connect = mqtt5.ConnectPacket(
            s.client_id,
            username=s.username,
            password=s.password.encode() if s.password is not None else None,
            # Only the first connection may start clean: later ones resume our own session
            # (it lives on for session_expiry_s), so nothing taken but unacknowledged is lost.
            clean_start=s.clean_start and not self._resumable,
            keep_alive=s.keepalive_s,
            session_expiry_interval=s.session_expiry_s,
            receive_max=s.receive_maximum,
            will=None
            if will is None
            else mqtt5.Will(
                will.topic, payload=will.payload, qos=_QOS[will.qos], retain=will.retain
            ),
        )
        async with asyncio.timeout(s.connect_timeout_s):
            socket, wire = await loop.create_connection(
                lambda: _Wire(self), s.host, s.port, ssl=self._ssl
            )
            self._socket, self._wire = socket, wire
            self._connack = loop.create_future()
            socket.write(connect.write())
            try:
                connack = await self._connack
            except BaseException:
                socket.abort()
                raise
        if int(connack.reason_code) >= 0x80:
            socket.close()
            raise TransportError(f"the broker refused the connection: {connack.reason_code!r}")
        keep_alive = connack.server_keep_alive or s.keepalive_s
        if keep_alive:
            self._keepalive = asyncio.create_task(self._ping(keep_alive), name="uns.mqtt.ping")
        if self._filters and not connack.session_present:
            codes = await self._send_subscribe(list(self._filters.items()))
            log_refused(self._filters.keys(), codes)
        log.log(
            logging.DEBUG if self._renewed else logging.INFO,
            "connected to %s (session present: %s)",
            s.address,
            connack.session_present,
        )
        self._connected.set()
        self._takeover.up()
        if self._on_change is not None:
            self._on_change(True)

    def _session_up(self, connack: mqtt5.ConnAckPacket) -> None:
        """A new connection: what the broker allows, then the publishes it has not acked."""
        self._window.reset()
        self._resumable = self.settings.session_expiry_s > 0
        self._ping_due = None
        self._send_quota = connack.receive_max
        self._max_packet = connack.max_packet_size
        resend = list(self._unacked.values())
        self._unacked.clear()
        for out, code in give_up(resend, self._refused):
            resend.remove(out)
            if out.on_ack is not None:
                out.on_ack(code)
        if connack.session_present:  # the broker holds these ids: same ids, DUP set
            for out in resend:
                self._send(out, duplicate=True)
        else:
            self._outbox.extendleft(reversed(resend))
        self._drain_outbox()

    def _connection_lost(self, wire: _Wire, exc: Exception | None) -> None:
        if wire is not self._wire:
            return
        if self._connack is not None and not self._connack.done():
            self._connack.set_exception(TransportError(f"connection closed: {exc!r}"))
        was_up = self.connected
        if was_up and self._unacked:
            next(iter(self._unacked.values())).blamed += 1
        self._set_down()
        if not self._renewing:  # our own reconnects are no sign of another client
            self._takeover.down()
        if was_up and not self._renewing:
            log.warning("lost connection to %s: %s", self.settings.address, exc or "closed")
        self._lost.set()

    def _set_down(self) -> None:
        self._wire, self._socket = None, None
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None
        for future in self._subacks.values():
            if not future.done():
                future.set_exception(TransportError("connection lost before SUBACK"))
        self._subacks.clear()
        self._window.reset()  # unacknowledged: the broker redelivers them
        if self._connected.is_set():
            self._connected.clear()
            if self._on_change is not None:
                self._on_change(False)

    def _abort(self, wire: _Wire) -> None:
        if wire is self._wire and self._socket is not None:
            self._socket.abort()

    async def _ping(self, keep_alive: int) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(keep_alive / 2)
            now = loop.time()
            if self._ping_due is not None and now > self._ping_due:
                log.warning("no PINGRESP within %ds: dropping the connection", keep_alive)
                if self._wire is not None:
                    self._abort(self._wire)
                return
            if self._ping_due is None and self._socket is not None:
                self._ping_due = now + keep_alive
                self._write(_PINGREQ)

    # -- subscriptions -----------------------------------------------------------------------

    async def subscribe(self, filters: Sequence[tuple[str, int]]) -> list[int]:
        items = [(str(f), int(q)) for f, q in filters]
        if bad := [f for f, q in items if q not in (0, 1) or not f]:
            raise TransportError(f"bad subscription (QoS must be 0 or 1): {bad}")
        while True:
            await self._connected.wait()
            try:
                codes = await self._send_subscribe(items)
            except TransportError:
                continue  # lost before the SUBACK: sent again on the next connection
            self._filters.update(items)  # renewed from now on when a session is lost
            log_refused([f for f, _ in items], codes)
            return codes

    async def _send_subscribe(self, items: list[tuple[str, int]]) -> list[int]:
        packet_id = self._new_id()
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._subacks[packet_id] = future
        topic_filters = [mqtt5.TopicFilter(f, max_qos=_QOS[q]) for f, q in items]
        self._write(mqtt5.SubscribePacket(packet_id, topic_filters).write())
        try:
            async with asyncio.timeout(self.settings.connect_timeout_s):
                return await future
        except TimeoutError:
            raise TransportError("no SUBACK in time") from None
        finally:
            self._subacks.pop(packet_id, None)

    # -- publishing --------------------------------------------------------------------------

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        *,
        content_type: str | None = None,
        on_ack: OnAck | None = None,
    ) -> None:
        if qos not in (0, 1) or not topic or "+" in topic or "#" in topic:
            raise TransportError(f"cannot publish to {topic!r} with QoS {qos}")
        out = Publish(topic, payload, qos, retain, content_type, on_ack)
        if self._outbox or self._socket is None or (qos and self._send_quota <= 0):
            self._outbox.append(out)
        else:
            self._send(out)

    def _send(self, out: Publish, duplicate: bool = False) -> None:
        if out.qos and not duplicate:
            out.packet_id = self._new_id()
        packet = mqtt5.PublishPacket(
            out.topic,
            out.payload,
            qos=_QOS[out.qos],
            retain=out.retain,
            packet_id=out.packet_id or None,
            duplicate=duplicate,
            content_type=out.content_type,
        ).write()
        if self._max_packet is not None and len(packet) > self._max_packet:
            if out.on_ack is not None:
                out.on_ack(PACKET_TOO_LARGE)  # never sent: the broker would disconnect us
            return
        self._write(packet)
        if out.qos:
            self._unacked[out.packet_id] = out
            self._send_quota -= 1
            if not self._window.reading:  # its PUBACK must be read
                self._window.reading = True
                self._set_reading(True)
        elif out.on_ack is not None:
            out.on_ack(0)

    def _drain_outbox(self) -> None:
        outbox = self._outbox
        while outbox and self._socket is not None and (self._send_quota > 0 or not outbox[0].qos):
            self._send(outbox.popleft())

    def _new_id(self) -> int:
        for _ in range(65535):
            self._next_id = self._next_id % 65535 + 1
            if self._next_id not in self._unacked and self._next_id not in self._subacks:
                return self._next_id
        raise TransportError("every packet id is in use")

    # -- incoming ----------------------------------------------------------------------------

    def _dispatch(self, packet: mqtt5.Packet, wire: _Wire) -> None:
        if wire is not self._wire:
            return
        if isinstance(packet, mqtt5.PublishPacket):
            if int(packet.qos) == 0:
                self._deliver(packet)
            else:
                self._window.offer(packet)
        elif isinstance(packet, mqtt5.PubAckPacket):
            out = self._unacked.pop(packet.packet_id, None)
            if out is None:
                return
            self._send_quota += 1
            if self._outbox:
                self._drain_outbox()
            if out.on_ack is not None:
                out.on_ack(int(packet.reason_code))
        elif isinstance(packet, mqtt5.SubAckPacket):
            future = self._subacks.get(packet.packet_id)
            if future is not None and not future.done():
                future.set_result([int(code) for code in packet.reason_codes])
        elif isinstance(packet, mqtt5.PingRespPacket):
            self._ping_due = None
        elif isinstance(packet, mqtt5.ConnAckPacket):
            # At once: the broker's first PUBLISHes may follow in the same read.
            if int(packet.reason_code) < 0x80:
                self._session_up(packet)
            if self._connack is not None and not self._connack.done():
                self._connack.set_result(packet)
        elif isinstance(packet, mqtt5.DisconnectPacket):
            log.warning("the broker disconnected us: %r", packet.reason_code)
            self._takeover.disconnected(int(packet.reason_code))
        else:
            log.warning("ignoring an unexpected %s from the broker", type(packet).__name__)

    def _deliver(self, packet: mqtt5.PublishPacket) -> Inbound | None:
        message = Inbound(
            packet.topic,
            packet.payload,
            int(packet.qos),
            packet.retain,
            packet.duplicate,
            packet.content_type,
            packet.packet_id or 0,
            self._window.generation,
            user_properties=tuple(packet.user_properties or ()),
        )
        try:
            self._on_message(message)
        except Exception:  # the service handles its own errors; this is a bug
            log.exception("message handler failed on %r", packet.topic)
            return None  # never acknowledged: redelivered on the next session
        return message

    def ack(self, message: Inbound) -> None:
        """Mark a taken message done; PUBACKs leave for the done prefix of the arrival order."""
        self._window.ack(message)

    def _renew(self) -> None:
        """Every message taken is acknowledged: reconnect at once to get the dropped ones."""
        self._renewing = True
        if self._socket is not None:
            self._write(mqtt5.DisconnectPacket().write())
            self._flush()
            self._socket.close()

    def _set_reading(self, on: bool) -> None:
        if self._socket is not None:
            (self._socket.resume_reading if on else self._socket.pause_reading)()

    # -- writing -----------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        """Packets written in one event-loop pass leave in one send, in order."""
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if not self._out:
            return
        data = b"".join(self._out) if len(self._out) > 1 else self._out[0]
        self._out = []
        socket = self._socket
        if socket is not None and not socket.is_closing():
            socket.write(data)
