"""docs/payload.md's `internal_error`: a bug while enriching costs one message, which is
dead-lettered with the original payload, and the service goes on with the next one."""

from __future__ import annotations

import pytest

from tests.integration.harness import Running
from uns.pipeline import Outgoing

pytestmark = pytest.mark.broker


async def test_a_bug_while_enriching_dead_letters_the_message_as_internal_error(
    running: Running,
) -> None:
    enricher = running.service.enricher
    process = enricher.process
    poisoned = f"{running.prefix}/raw/scalar/O1/STATE"

    def buggy(
        topic: str, payload: bytes, received_ms: int, only: frozenset[str] | None = None
    ) -> list[Outgoing]:
        if topic == poisoned:
            raise KeyError("a bug")
        return process(topic, payload, received_ms, only)

    enricher.process = buggy  # type: ignore[method-assign]
    await running.publish("raw/scalar/O1/STATE", b"running")
    await running.publish("raw/scalar/O1/PT100", b"14.5038")  # the next message still works
    messages = dict(await running.sink.wait_for(2))
    e = running.enterprise
    dead = messages[f"{e}/_deadletter/internal_error"]
    assert dead["reason"] == "internal_error"
    assert dead["topic"] == poisoned
    assert dead["payload"] == "running"
    assert "KeyError" in dead["detail"]
    assert f"{e}/berlin/baking/line-1/oven-cell/oven-1/pressure" in messages
