"""Sparkplug primary-host STATE on the service's transport (Sparkplug 3.0, `sparkplug.host_id`).

The session's timestamp T is fixed when the transport is made: the Will says
`{"online": false, "timestamp": T}` (retained, QoS 1); every connection, once subscribed,
publishes `{"online": true, "timestamp": T}` (a Will published by the broker after a drop is
answered that way on the next connection); a clean stop publishes the offline message itself
and waits for its PUBACK before disconnecting.
"""

from __future__ import annotations

import asyncio
import logging

from uns.io.transport import REFUSED, Transport, Will
from uns.sparkplug import SparkplugHost

log = logging.getLogger(__name__)


class HostState:
    def __init__(self, host: SparkplugHost, now_ms: int) -> None:
        self.host = host
        self.timestamp = now_ms

    def will(self) -> Will:
        host = self.host
        return Will(host.state_topic(), host.state_offline_payload(self.timestamp), 1, True)

    def online(self, transport: Transport) -> None:
        """Sent now, or first thing on the next connection."""
        payload = self.host.state_online_payload(self.timestamp)
        transport.publish(self.host.state_topic(), payload, 1, True, on_ack=self._refused)

    async def offline(self, transport: Transport, timeout_s: float) -> None:
        """Publish offline and wait for the PUBACK (else the Will says it for us)."""
        if not transport.connected:
            return
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def acked(code: int) -> None:
            if not done.done():
                done.set_result(code)

        payload = self.host.state_offline_payload(self.timestamp)
        transport.publish(self.host.state_topic(), payload, 1, True, on_ack=acked)
        try:
            async with asyncio.timeout(timeout_s):
                self._refused(await done)
        except TimeoutError:
            log.warning("no PUBACK for the offline Sparkplug STATE; the Will says it instead")

    @staticmethod
    def _refused(code: int) -> None:
        if code >= REFUSED:
            log.warning("the broker refused the Sparkplug STATE (reason code 0x%02x)", code)
