"""A partitioned service acknowledges what another partition owns without enriching it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tests.partition_model import write_model
from uns.config.loader import load_model
from uns.config.settings import ServiceSettings
from uns.io.transport import Inbound, OnAck
from uns.model.partition import owner
from uns.service import Service


class RecordingTransport:
    """Acknowledges every publish at once and records publishes and acks."""

    connected = True
    in_flight = 0
    publishes_pending = 0
    max_packet_size: int | None = None

    def __init__(self) -> None:
        self.published: list[str] = []
        self.acked: list[str] = []

    def start(self) -> None: ...

    async def close(self) -> None: ...

    async def wait_connected(self) -> None: ...

    async def subscribe(self, filters: Sequence[tuple[str, int]]) -> list[int]:
        return [1 for _ in filters]

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
        self.published.append(topic)
        if on_ack is not None:
            on_ack(0)

    def ack(self, message: Inbound) -> None:
        self.acked.append(message.topic)

    def close_intake(self) -> None: ...


def inbound(topic: str, payload: bytes, packet_id: int) -> Inbound:
    return Inbound(topic, payload, 1, False, False, None, packet_id, 0)


def test_foreign_messages_are_acknowledged_without_output(tmp_path: Path) -> None:
    root = write_model(tmp_path, 10)
    mine = owner("line-b0", 3)
    theirs = next(k for k in range(10) if owner(f"line-b{k}", 3) != mine)
    service = Service(ServiceSettings(models=str(root), partition=f"{mine}/3"), load_model(root))
    transport = service.transport = RecordingTransport()
    service._on_message(inbound(f"raw/b{theirs}/T0", b"1", 1))
    service._on_message(inbound("raw/b0/T0", b"2", 2))
    service._on_message(inbound("mes/batch", b'{"batch_id": "B1"}', 3))
    assert transport.acked == [f"raw/b{theirs}/T0", "raw/b0/T0", "mes/batch"]
    assert transport.published == ["acme/plant/area/line/m0/tag0"]
    assert service.stats.outcomes == {
        ("other_partition", ""): 1,
        ("enriched", ""): 1,
        ("context", ""): 1,
    }
