"""Two services with one client id kick each other off; the log says so in one line."""

from __future__ import annotations

import asyncio
import logging
import secrets

import pytest

from tests.integration.delivery_kit import endpoint, fast_settings

pytestmark = pytest.mark.broker


async def test_a_second_client_with_our_id_is_named(broker, caplog) -> None:  # type: ignore[no-untyped-def]
    client_id = f"uns-twin-{secrets.token_hex(3)}"
    settings = fast_settings(broker.port, client_id)
    with caplog.at_level(logging.WARNING, logger="uns.io"):
        async with endpoint(settings), endpoint(settings):
            await asyncio.sleep(1.5)  # long enough for them to take the id from each other
    hints = [r.getMessage() for r in caplog.records if "is in use by another" in r.getMessage()]
    assert hints, [r.getMessage() for r in caplog.records]
    assert f"client id {client_id!r}" in hints[0]
    assert len(hints) <= 2  # once per transport, not once per kick
