"""PUBACKs leave in receive order (MQTT 5.0 section 4.6), checked by a raw-socket test broker
that acknowledges the service's outputs in reverse order."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import mqtt5

from tests.integration.delivery_kit import seq_model, service_settings
from tests.integration.harness import serving


class PacketStream:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.buffer = b""

    async def next(self) -> Any:
        while True:
            try:
                packet, size = mqtt5.read(memoryview(self.buffer))
            except IndexError:
                data = await self.reader.read(65536)
                assert data, "the client closed the connection"
                self.buffer += data
                continue
            self.buffer = self.buffer[size:]
            return packet

    async def expect(self, kind: type) -> Any:
        while not isinstance(packet := await self.next(), kind):
            assert not isinstance(packet, mqtt5.DisconnectPacket)
        return packet

    def send(self, *packets: Any) -> None:
        self.writer.write(b"".join(p.write() for p in packets))


class FakeBroker:
    """Accepts one client: CONNACK, SUBACK, then the test drives the packets."""

    def __init__(self) -> None:
        self.connected: asyncio.Queue[PacketStream] = asyncio.Queue()
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> FakeBroker:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = PacketStream(reader, writer)
        await stream.expect(mqtt5.ConnectPacket)
        stream.send(mqtt5.ConnAckPacket(receive_max=1000))
        sub = await stream.expect(mqtt5.SubscribePacket)
        codes = [mqtt5.SubAckReasonCode.GRANTED_QOS_AT_LEAST_ONCE] * len(sub.topic_filters)
        stream.send(mqtt5.SubAckPacket(sub.packet_id, codes))
        await self.connected.put(stream)


async def test_pubacks_leave_in_receive_order_once_every_output_is_acknowledged(
    tmp_path: Path,
) -> None:
    token = secrets.token_hex(4)
    prefix, enterprise = f"t{token}", f"e{token}"
    models = seq_model(tmp_path / "models", prefix, enterprise)
    n = 50
    raw_ids = [1000 + 7 * i for i in range(n)]  # any ids: the order is what counts
    async with (
        FakeBroker() as broker,
        serving(service_settings(models, broker.port, f"uns-{enterprise}")),
    ):
        client = await asyncio.wait_for(broker.connected.get(), 10)
        client.send(
            *(
                mqtt5.PublishPacket(
                    f"{prefix}/raw/seq/m{i % 20:02d}",
                    b"s%d" % i,
                    qos=mqtt5.QoS.AT_LEAST_ONCE,
                    packet_id=pid,
                )
                for i, pid in enumerate(raw_ids)
            )
        )
        outputs = [await client.expect(mqtt5.PublishPacket) for _ in range(n)]
        assert [p.payload.count(b'"value":"s%d"' % i) for i, p in enumerate(outputs)] == [
            1
        ] * n  # the outputs leave in receive order too
        # Acknowledge every output but the first, newest first.
        client.send(*(mqtt5.PubAckPacket(p.packet_id) for p in reversed(outputs[1:])))
        # A barrier: one more raw message. Its output is written after any PUBACK the
        # acks above could have caused, so everything before it is all there is.
        client.send(
            mqtt5.PublishPacket(
                f"{prefix}/raw/seq/m00", b"last", qos=mqtt5.QoS.AT_LEAST_ONCE, packet_id=9
            )
        )
        before: list[Any] = []
        while not isinstance(packet := await client.next(), mqtt5.PublishPacket):
            before.append(packet)
        assert before == []  # raw message 1 is not done, so none may be acknowledged
        client.send(mqtt5.PubAckPacket(outputs[0].packet_id))
        acks = [await client.expect(mqtt5.PubAckPacket) for _ in range(n)]
        assert [a.packet_id for a in acks] == raw_ids
        client.send(mqtt5.PubAckPacket(packet.packet_id))  # the barrier's output
        last = await client.expect(mqtt5.PubAckPacket)
        assert last.packet_id == 9
