"""The session rules of the service transport (uns/io/client.py), on a fake socket.

The broker side is played by feeding packets built with the same codec; what the client
writes is decoded back. Real-broker behaviour: tests/integration/test_delivery.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import mqtt5
import pytest

from uns.config.broker import BrokerSettings
from uns.io.client import Mqtt5Transport, _Wire
from uns.io.transport import PACKET_TOO_LARGE, Inbound

QOS1 = mqtt5.QoS.AT_LEAST_ONCE


class FakeSocket:
    def __init__(self) -> None:
        self.sent = b""
        self.reading = True
        self.closed = False

    def write(self, data: bytes) -> None:
        self.sent += data

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def abort(self) -> None:
        self.closed = True

    close = abort

    def packets(self) -> list[Any]:
        out, view, offset = [], memoryview(self.sent), 0
        while offset < len(self.sent):
            packet, size = mqtt5.read(view[offset:])
            out.append(packet)
            offset += size
        self.sent = b""
        return out


class Session:
    """A transport whose CONNACK arrived on a fake socket."""

    def __init__(self, receive_maximum: int = 4, **connack: Any) -> None:
        settings = BrokerSettings(client_id="t", receive_maximum=receive_maximum)
        self.taken: list[Inbound] = []
        self.transport = Mqtt5Transport(settings, self.taken.append, held_windows=1)
        self.socket = FakeSocket()
        self.wire = _Wire(self.transport)
        self.transport._socket, self.transport._wire = self.socket, self.wire  # type: ignore[assignment]
        self.feed(mqtt5.ConnAckPacket(**connack))

    def feed(self, *packets: Any) -> None:
        self.wire.data_received(b"".join(p.write() for p in packets))

    async def written(self) -> list[Any]:
        await asyncio.sleep(0)  # writes of one pass leave together, at its end
        return self.socket.packets()


def publish(pid: int, topic: str = "raw/a") -> mqtt5.PublishPacket:
    return mqtt5.PublishPacket(topic, b"%d" % pid, qos=QOS1, packet_id=pid)


async def test_pubacks_leave_in_arrival_order_whatever_order_the_acks_come_in() -> None:
    s = Session()
    s.feed(publish(7), publish(3), publish(9))
    assert [m.packet_id for m in s.taken] == [7, 3, 9]
    s.transport.ack(s.taken[2])
    s.transport.ack(s.taken[1])
    assert await s.written() == []  # 7 is not done: nothing may be acknowledged yet
    s.transport.ack(s.taken[0])
    assert [p.packet_id for p in await s.written()] == [7, 3, 9]


async def test_a_full_window_holds_messages_back_and_then_stops_reading() -> None:
    s = Session(receive_maximum=2)
    s.feed(*(publish(i) for i in range(1, 4)))
    assert [m.packet_id for m in s.taken] == [1, 2]  # the window
    assert s.transport.in_flight == 3
    assert s.socket.reading  # one held back: not yet a second window
    s.feed(publish(4))
    assert not s.socket.reading  # backpressure: the broker is over its limit
    s.transport.ack(s.taken[0])
    assert [m.packet_id for m in s.taken] == [1, 2, 3]  # in order, one freed slot
    assert s.socket.reading
    for message in list(s.taken):
        s.transport.ack(message)
    assert [m.packet_id for m in s.taken] == [1, 2, 3, 4]
    assert [p.packet_id for p in await s.written()] == [1, 2, 3]


async def test_a_message_acknowledged_while_it_is_handed_over_still_waits_its_turn() -> None:
    s = Session()
    s.transport._on_message = lambda m: (s.taken.append(m), m.packet_id == 2 and s.transport.ack(m))  # type: ignore[assignment]
    s.feed(publish(1), publish(2))
    assert await s.written() == []
    s.transport.ack(s.taken[0])
    assert [p.packet_id for p in await s.written()] == [1, 2]


async def test_an_ack_from_an_earlier_connection_is_ignored() -> None:
    s = Session()
    s.feed(publish(1))
    old = s.taken[0]
    s.feed(mqtt5.ConnAckPacket(session_present=True))  # as after a reconnect
    s.transport.ack(old)
    assert await s.written() == []


async def test_publishes_wait_for_the_brokers_receive_maximum_and_get_its_reason_code() -> None:
    s = Session(receive_max=2)
    codes: dict[str, int] = {}
    for name in "abc":
        s.transport.publish(f"uns/{name}", b"{}", on_ack=lambda c, n=name: codes.__setitem__(n, c))
    sent = await s.written()
    assert [p.topic for p in sent] == ["uns/a", "uns/b"]  # the third waits for a PUBACK
    s.feed(mqtt5.PubAckPacket(sent[1].packet_id, reason_code=mqtt5.PubAckReasonCode.NOT_AUTHORIZED))
    assert codes == {"b": 0x87}
    assert [p.topic for p in await s.written()] == ["uns/c"]
    s.feed(mqtt5.PubAckPacket(sent[0].packet_id))
    assert codes == {"b": 0x87, "a": 0}


async def test_a_publish_over_the_brokers_maximum_packet_size_is_never_sent() -> None:
    s = Session(max_packet_size=1000)
    codes: list[int] = []
    s.transport.publish("uns/big", b"x" * 1000, on_ack=codes.append)
    s.transport.publish("uns/small", b"x" * 10, on_ack=codes.append)
    assert [p.topic for p in await s.written()] == ["uns/small"]
    assert codes == [PACKET_TOO_LARGE]


async def test_unacknowledged_publishes_are_sent_again_with_dup_when_the_session_resumes() -> None:
    s = Session()
    s.transport.publish("uns/a", b"1")
    s.transport.publish("uns/b", b"2")
    first = await s.written()
    s.feed(mqtt5.PubAckPacket(first[0].packet_id))
    s.feed(mqtt5.ConnAckPacket(session_present=True))
    again = await s.written()
    assert [(p.topic, p.packet_id, p.duplicate) for p in again] == [
        ("uns/b", first[1].packet_id, True)
    ]
    s.feed(mqtt5.ConnAckPacket(session_present=False))  # the broker forgot: a new publish
    assert [(p.topic, p.duplicate) for p in await s.written()] == [("uns/b", False)]


async def test_the_mqtt5_transport_refuses_mqtt_3() -> None:
    with pytest.raises(Exception, match="MQTT 5"):
        Mqtt5Transport(BrokerSettings(client_id="t", protocol=4), print)


async def test_over_the_limit_while_a_puback_is_due_it_drops_and_reconnects_instead() -> None:
    s = Session(receive_maximum=2)
    s.transport.publish("uns/a", b"{}")  # its PUBACK may be behind the flood in the stream
    s.feed(*(publish(i) for i in range(1, 8)))
    assert s.socket.reading  # stopping now could wait forever for that PUBACK
    assert s.transport.dropped == 3  # 1-2 taken, 3-4 held, the rest dropped unacknowledged
    for _ in range(2):  # acknowledging the window takes the held ones into it
        for message in list(s.taken):
            s.transport.ack(message)
    assert [m.packet_id for m in s.taken] == [1, 2, 3, 4]
    sent = await s.written()
    assert [p.packet_id for p in sent if isinstance(p, mqtt5.PubAckPacket)] == [1, 2, 3, 4]
    assert isinstance(sent[-1], mqtt5.DisconnectPacket)  # the broker sends 5-7 again
    assert s.socket.closed
