"""The incoming side of an MQTT 5 session: the window of QoS 1 messages taken and not yet
acknowledged, in arrival order (used by `uns.io.client`).

Rules (MQTT 5.0 sections 4.6 and 4.9): PUBACKs leave in the order the PUBLISHes arrived, a
message's only once it and every earlier one are acknowledged; at most Receive Maximum are
taken. A broker past that limit gets its extra messages held back, up to `held_max`; beyond
that reading stops, unless one of our own PUBACKs may be waiting behind them in the stream
(stopping would then wait forever): then further PUBLISHes are dropped unacknowledged, the
window and the held ones are finished and the connection renewed, and the resumed session
sends the dropped ones again.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Final

import mqtt5

from uns.io.transport import Inbound

log = logging.getLogger(__name__)

_PUBACK: Final = b"\x40\x02"  # PUBACK, remaining length 2: packet id only, reason 0 (MQTT 5)


class InboundWindow:
    def __init__(
        self,
        receive_max: int,
        held_max: int,
        *,
        deliver: Callable[[mqtt5.PublishPacket], Inbound | None],
        write: Callable[[bytes], None],
        set_reading: Callable[[bool], None],
        may_stop_reading: Callable[[], bool],
        renew: Callable[[], None] | None,
    ) -> None:
        """`may_stop_reading`: no PUBACK of ours is due. `renew`: end the connection so that
        a resumed session redelivers; None when there is no session to resume."""
        self.receive_max = receive_max
        self.held_max = held_max
        self._deliver = deliver
        self._write = write
        self._set_reading = set_reading
        self._may_stop_reading = may_stop_reading
        self._renew = renew
        self.generation = 0  # the connection: an ack for an older one is ignored
        self.taken: deque[Inbound] = deque()
        self.held: deque[mqtt5.PublishPacket] = deque()
        self.reading = True
        self.intake_open = True
        self.dropping = False
        self.dropped = 0
        self._acking = False
        self._warned = False

    def __len__(self) -> int:
        return len(self.taken) + len(self.held)

    def reset(self) -> None:
        """A connection began or ended: what was taken on the old one is redelivered."""
        self.generation += 1
        self.taken.clear()
        self.held.clear()
        self.reading = True
        self.dropping = False

    def offer(self, packet: mqtt5.PublishPacket) -> None:
        """A QoS 1 PUBLISH from the broker."""
        if self.dropping:
            self.dropped += 1  # unacknowledged: the resumed session sends it again
        elif len(self.taken) < self.receive_max and self.intake_open and not self.held:
            self._take(packet)
        else:
            self.held.append(packet)
            if len(self.held) >= self.held_max:
                self._over_limit()

    def _take(self, packet: mqtt5.PublishPacket) -> None:
        message = self._deliver(packet)
        if message is not None:
            self.taken.append(message)
            if message.acked:  # acked while being delivered, before it was in the window
                self.ack(message, force=True)

    def ack(self, message: Inbound, force: bool = False) -> None:
        if not message.packet_id or message.connection != self.generation:
            return  # QoS 0, or from a connection that is gone (the broker redelivers it)
        if message.acked and not force:
            return
        message.acked = True
        if self._acking:
            return  # the loop below is already running further up the stack
        self._acking = True
        try:
            taken, held = self.taken, self.held
            while True:
                while taken and taken[0].acked:
                    self._write(_PUBACK + taken.popleft().packet_id.to_bytes(2, "big"))
                if not held or len(taken) >= self.receive_max:
                    break
                if not self.intake_open:
                    break
                self._take(held.popleft())
        finally:
            self._acking = False
        if not self.reading and len(held) < self.held_max:
            self.reading = True
            self._set_reading(True)
        if self.dropping and not taken and not held and self._renew is not None:
            self._renew()  # the resumed session sends the dropped ones again, in order

    def _over_limit(self) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "the broker sends more than our Receive Maximum (%d) unacknowledged",
                self.receive_max,
            )
        if self._may_stop_reading():
            if self.reading:
                self.reading = False
                self._set_reading(False)
        elif self._renew is not None:
            self.dropping = True
        # else: no session to resume, so nothing may be dropped: hold them all
