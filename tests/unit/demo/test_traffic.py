"""The pump: what it publishes, in which order, and how it counts failures."""

from __future__ import annotations

import asyncio
from pathlib import Path

from uns.config.loader import load_model
from uns.demo.traffic import PumpStats, pump, wait_for
from uns.errors import TransportError
from uns.simulator import Simulator

MODELS = Path(__file__).resolve().parents[3] / "models"


class FakeClient:
    """Records publishes; sets `stop` after `limit` of them; refuses every `fail_every`-th."""

    def __init__(self, stop: asyncio.Event, limit: int, fail_every: int = 0) -> None:
        self.stop = stop
        self.limit = limit
        self.fail_every = fail_every
        self.published: list[tuple[str, int, bool]] = []
        self.calls = 0

    async def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.calls += 1
        if self.calls >= self.limit:
            self.stop.set()
        if self.fail_every and self.calls % self.fail_every == 0:
            raise TransportError("no PUBACK")
        self.published.append((topic, qos, retain))


def simulator() -> Simulator:
    return Simulator(load_model(MODELS), seed=3, invalid_every=10)


async def test_pump_counts_every_publish_by_kind_and_sends_context_retained() -> None:
    stop = asyncio.Event()
    client = FakeClient(stop, limit=300)
    stats = await pump(simulator(), client, 5_000.0, stop, qos=1)  # type: ignore[arg-type]
    assert stats.total == len(client.published) >= 300
    assert stats.failed == 0
    assert stats.context > 0
    assert stats.invalid > 0
    assert stats.data > stats.invalid
    assert all(qos == 1 for _, qos, _ in client.published)
    assert any(retain for _, _, retain in client.published)  # `current` MES state


async def test_pump_counts_unacknowledged_publishes_as_failed() -> None:
    stop = asyncio.Event()
    client = FakeClient(stop, limit=200, fail_every=4)
    stats = PumpStats()
    result = await pump(simulator(), client, 5_000.0, stop, qos=0, stats=stats)  # type: ignore[arg-type]
    assert result is stats
    assert stats.failed == client.calls // 4
    assert stats.total == len(client.published)


async def test_wait_for_tells_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert not await wait_for(event, 0.01)
    event.set()
    assert await wait_for(event, 10.0)
