"""Which unacknowledged publishes a resumed session sends again, and which it gives up.

mosquitto 2.0.11 closes the connection after refusing a QoS 1 publish (0x87 not authorized),
and its PUBACK does not always reach us before the close. Sending every unacknowledged publish
again on each reconnect then wedges the session: one reconnect per refused publish in flight,
or forever when no PUBACK ever arrives. So a resumed session does not send again a publish to a
topic the broker refused moments ago (the service remembers those), nor one that was first in
line when the connection was lost several times in a row: both settle as refused, and the
service dead-letters them (`publish_refused`) instead of losing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from uns.io.transport import OnAck

NOT_AUTHORIZED: Final = 0x87
UNSPECIFIED: Final = 0x80  # never acknowledged: the broker closed the connection each time
POISON_AFTER: Final = 3  # connections lost in a row with the same publish first in line


@dataclass(slots=True)
class Publish:
    """One publish: waiting for a send slot, or sent and waiting for its PUBACK."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    content_type: str | None
    on_ack: OnAck | None
    packet_id: int = 0
    blamed: int = 0  # connections lost while this was the oldest unacknowledged publish


def give_up(
    unacked: Iterable[Publish], refused: Callable[[str], bool] | None
) -> list[tuple[Publish, int]]:
    """The publishes not to send again, each with the reason code to settle it with."""
    out: list[tuple[Publish, int]] = []
    for item in unacked:
        if refused is not None and refused(item.topic):
            out.append((item, NOT_AUTHORIZED))
        elif item.blamed >= POISON_AFTER:
            out.append((item, UNSPECIFIED))
    return out
