"""The namespace page's HTTP side: static assets, JSON endpoints and the live event stream.

Served by the metrics listener (`uns.io.http.HealthServer` hands it every GET it does not
answer itself). Read-only by construction: every route is a GET that reads `NamespaceState`.

Live updates are server-sent events: one pusher task takes the coalesced changes every
`push_every_s` and hands the same encoded event to every connected page. A page that cannot
keep up (its queue is full) gets its queue replaced by one `resync` event and re-reads what
it shows, instead of the service buffering without bound for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

import orjson

from uns.model.namespace import Namespace
from uns.model.problem import Problem
from uns.pipeline import Outgoing
from uns.web.state import STALE_FACTOR, STALE_MIN_S, NamespaceState

log = logging.getLogger(__name__)

STATIC = {  # URL path -> (file in uns/web/static, content type)
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
    "/static/icon.svg": ("icon.svg", "image/svg+xml"),
}
HEADERS = (
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n"
)
QUEUE_EVENTS = 32  # events a page may be behind before it is told to resync
KEEPALIVE_S = 15.0


def _head(status: str, ctype: str, length: int | None = None) -> bytes:
    size = f"Content-Length: {length}\r\nConnection: close\r\n" if length is not None else ""
    return f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n{HEADERS}{size}\r\n".encode("latin-1")


def sse(event: str, data: object) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class NamespacePage:
    """The page and its data endpoints over a `NamespaceState`; also the service's observer."""

    def __init__(
        self,
        state: NamespaceState,
        *,
        push_every_s: float = 0.5,
        clock: Callable[[], float] = time.time,
        lint: Callable[[Namespace], list[Problem]] | None = None,
    ) -> None:
        self.state = state
        self.push_every_s = push_every_s
        self.clock = clock
        self._lint = lint
        self._ns: Namespace | None = None
        self._linting: asyncio.Task[None] | None = None
        self._clients: set[asyncio.Queue[bytes | None]] = set()
        self._pusher: asyncio.Task[None] | None = None
        self._assets = {
            path: (resources.files("uns.web").joinpath("static", name).read_bytes(), ctype)
            for path, (name, ctype) in STATIC.items()
        }

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- the service's observer hook -----------------------------------------------------

    def published(self, out: Outgoing) -> None:
        self.state.observe(out.topic, out.payload, out.kind, self.now_ms())

    def model_changed(self, ns: Namespace, version: str) -> None:
        self._ns = ns
        self.state.use_model(ns, version, self.clock())

    def reload_result(self, ok: bool, version: str, problems: list[Problem]) -> None:
        self.state.reload_result(ok, version, problems, self.clock())

    # -- HTTP ----------------------------------------------------------------------------

    async def serve(self, path: str, query: str, writer: asyncio.StreamWriter) -> bool:
        """Answer one GET; False when `path` is not ours."""
        if path in self._assets:
            body, ctype = self._assets[path]
            writer.write(_head("200 OK", ctype, len(body)) + body)
        elif path == "/api/events":
            await self._events(writer)
        elif path.startswith("/api/"):
            status, doc = self._api(path, parse_qs(query))
            body = orjson.dumps(doc)
            writer.write(_head(status, "application/json", len(body)) + body)
        else:
            return False
        await writer.drain()
        return True

    def _api(self, path: str, query: dict[str, list[str]]) -> tuple[str, Any]:
        state, now = self.state, self.now_ms()
        arg = query.get("path", query.get("q", [""]))[0]
        if path == "/api/tree":
            rows = state.children(arg.strip("/"), now)
            if rows is None:
                return "404 Not Found", {"error": f"no level {arg!r}"}
            return "200 OK", {"path": arg, "rows": rows}
        if path == "/api/search":
            rows, total = state.search(arg, now)
            return "200 OK", {"q": arg, "rows": rows, "total": total}
        if path == "/api/deadletters":
            return "200 OK", state.deadletters()
        if path == "/api/model":
            self._lint_in_background()
            doc = state.model()
            doc["stale_rule"] = {"factor": STALE_FACTOR, "min_s": STALE_MIN_S}
            doc["stale"] = state.stale_count(now)
            return "200 OK", doc
        return "404 Not Found", {"error": f"no endpoint {path}"}

    def _lint_in_background(self) -> None:
        """Lint the running model once per version, when a page first asks (it costs seconds
        on a large model, so not at every start of a service nobody is looking at)."""
        ns, lint = self._ns, self._lint
        if ns is None or lint is None or self.state.findings is not None:
            return
        if self._linting is not None and not self._linting.done():
            return
        version = self.state.model_version

        async def run() -> None:
            try:
                findings = await asyncio.to_thread(lint, ns)
            except Exception:  # lint must never take the page or the service down
                log.exception("linting the running model failed")
                findings = []
            self.state.set_findings(version, findings)

        self._linting = asyncio.create_task(run(), name="uns.web.lint")

    # -- server-sent events --------------------------------------------------------------

    async def _events(self, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_EVENTS)
        self._clients.add(queue)
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.create_task(self._push(), name="uns.web.push")
        try:
            writer.write(_head("200 OK", "text/event-stream") + b"retry: 2000\n\n")
            await writer.drain()
            while True:
                try:
                    async with asyncio.timeout(KEEPALIVE_S):
                        chunk = await queue.get()
                except TimeoutError:
                    chunk = b": keepalive\n\n"  # also how a closed page is noticed
                if chunk is None:
                    return
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._clients.discard(queue)

    async def _push(self) -> None:
        while self._clients:
            await asyncio.sleep(self.push_every_s)
            for chunk in self.pending_events():
                self.broadcast(chunk)

    def pending_events(self) -> list[bytes]:
        """What changed since the last push, as encoded events (tags, dead letters, model)."""
        state, now = self.state, self.now_ms()
        out = []
        rows, left = state.take_changes(now)
        if rows:
            out.append(sse("tags", {"rows": rows, "more": left}))
        if state.dl_changed:
            state.dl_changed = False
            out.append(sse("deadletters", state.deadletters()))
        if state.model_changed:
            state.model_changed = False
            out.append(sse("model", {"version": state.model_version}))
        return out

    def broadcast(self, chunk: bytes) -> None:
        for queue in list(self._clients):
            try:
                queue.put_nowait(chunk)
            except asyncio.QueueFull:
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(sse("resync", {}))

    async def close(self) -> None:
        """End every event stream (the listener waits for open connections when it stops)."""
        for queue in list(self._clients):
            if queue.full():
                queue.get_nowait()  # a lagging page loses one update: it is closing anyway
            queue.put_nowait(None)
        for task in (self._pusher, self._linting):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
