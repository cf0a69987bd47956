"""The seam between the service and an MQTT connection: what `Service` may ask of a transport.

The service never sees a client library. It gets every incoming message through one
synchronous callback, in arrival order, and acknowledges it with `ack()` when every output of
that message is settled; the transport sends the PUBACKs in arrival order (MQTT 5.0 section
4.6) and takes no more unacknowledged messages than its Receive Maximum. Publishes are
non-blocking: the broker's PUBACK reason code comes back through a callback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

# MQTT 5 reason codes the service acts on (a code >= 0x80 is a refusal).
REFUSED: Final = 0x80
PACKET_TOO_LARGE: Final = 0x95

OnAck = Callable[[int], None]  # the PUBACK reason code (0 for QoS 0 once written)


@dataclass(slots=True)
class Inbound:
    """One incoming message; for QoS 1, `ack()` it once its outputs are settled."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    dup: bool  # the broker is redelivering it (an earlier copy was not acknowledged)
    content_type: str | None
    packet_id: int  # 0 for QoS 0
    connection: int  # which connection it came on: an ack for an older one is ignored
    acked: bool = False
    user_properties: tuple[tuple[str, str], ...] = ()  # MQTT 5 (uns replay's hints)


@dataclass(frozen=True, slots=True)
class Will:
    """The message the broker publishes for us if the connection dies without a clean
    disconnect (e.g. the Sparkplug primary host's offline STATE)."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


class Transport(Protocol):
    """What the service needs from a broker connection (implemented by `uns.io.client`)."""

    @property
    def connected(self) -> bool: ...

    @property
    def in_flight(self) -> int:
        """Incoming QoS 1 messages taken and not yet acknowledged, plus those held back."""
        ...

    @property
    def publishes_pending(self) -> int:
        """Our publishes waiting for a PUBACK or for a send slot."""
        ...

    @property
    def max_packet_size(self) -> int | None:
        """The broker's Maximum Packet Size from CONNACK (None: no limit announced)."""
        ...

    def start(self) -> None:
        """Connect in the background and keep reconnecting until `close()`."""
        ...

    async def close(self) -> None: ...

    async def wait_connected(self) -> None: ...

    async def subscribe(self, filters: Sequence[tuple[str, int]]) -> list[int]:
        """Waits for a connection; returns the SUBACK reason code of each filter."""
        ...

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
        """Send now, or as soon as a send slot and a connection exist; never blocks."""
        ...

    def ack(self, message: Inbound) -> None: ...

    def close_intake(self) -> None:
        """Stop handing over new messages (they stay unacknowledged for the next session)."""
        ...
