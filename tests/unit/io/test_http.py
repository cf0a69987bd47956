"""The metrics listener answers an over-long request line with 414, and logs no traceback."""

from __future__ import annotations

import asyncio
import logging

import pytest

from uns.io.http import HealthServer
from uns.metrics import Stats, registry_for


@pytest.mark.parametrize("where", ["request line", "header"])
async def test_a_line_over_64_kib_gets_414_without_a_traceback(caplog, where: str) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    server = HealthServer(registry_for(Stats()), lambda: (True, "ready"), port=0)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        long = b"x" * 70_000
        request = (
            b"GET /" + long + b" HTTP/1.1\r\n\r\n"
            if where == "request line"
            else b"GET /healthz HTTP/1.1\r\nX-Long: " + long + b"\r\n\r\n"
        )
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
    finally:
        await server.stop()
    assert answer.startswith(b"HTTP/1.1 414 ")
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
