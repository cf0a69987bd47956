"""A tiny HTTP endpoint for Prometheus and health probes: /metrics, /healthz, /readyz.

Other GETs go to `pages` when given (the namespace page, `uns.web`), which may keep the
connection open (server-sent events).

asyncio streams instead of a framework: three fixed GET routes do not justify a dependency,
and it runs on the service's own event loop (no thread to coordinate with).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

log = logging.getLogger(__name__)


class Pages(Protocol):
    async def serve(self, path: str, query: str, writer: asyncio.StreamWriter) -> bool:
        """Answer a GET of `path`; False when it is not one of its routes."""
        ...

    async def close(self) -> None:
        """End long-lived responses: stopping waits for every open connection."""
        ...


class HealthServer:
    def __init__(
        self,
        registry: CollectorRegistry,
        ready: Callable[[], tuple[bool, str]],
        host: str = "127.0.0.1",
        port: int = 9464,
        pages: Pages | None = None,
    ) -> None:
        self.registry = registry
        self.pages = pages
        self.ready = ready
        self.host, self.port = host, port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        sock = self._server.sockets[0].getsockname()
        self.port = sock[1]
        log.info("metrics on http://%s:%d/metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            if self.pages is not None:
                await self.pages.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                async with asyncio.timeout(5):  # for the request only: event streams stay open
                    request = await reader.readline()
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass  # headers are not needed
            except ValueError:  # a line over the reader's 64 KiB limit
                await self._answer(writer, "414 URI Too Long", b"request line or header too long\n")
                return
            parts = request.decode("latin-1").split()
            method = parts[0] if parts else ""
            path, _, query = (parts[1] if len(parts) >= 2 else "").partition("?")
            pages = self.pages if method == "GET" else None
            if pages is not None and await pages.serve(path, query, writer):
                return
            status, ctype, body = self._route(method, path)
            await self._answer(writer, status, body, ctype)
        except (TimeoutError, ConnectionError, UnicodeDecodeError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _answer(
        writer: asyncio.StreamWriter,
        status: str,
        body: bytes,
        ctype: str = "text/plain; charset=utf-8",
    ) -> None:
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode("latin-1") + body)
        await writer.drain()

    def _route(self, method: str, path: str) -> tuple[str, str, bytes]:
        text = "text/plain; charset=utf-8"
        if method != "GET":
            return "405 Method Not Allowed", text, b"GET only\n"
        if path == "/metrics":
            return "200 OK", CONTENT_TYPE_LATEST, generate_latest(self.registry)
        if path == "/healthz":
            return "200 OK", text, b"alive\n"
        if path == "/readyz":
            ok, why = self.ready()
            return ("200 OK" if ok else "503 Service Unavailable"), text, f"{why}\n".encode()
        routes = "/metrics, /healthz or /readyz"
        if self.pages is not None:
            routes = "/ (the namespace page), " + routes
        return "404 Not Found", text, f"try {routes}\n".encode()
