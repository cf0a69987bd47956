"""The page's HTTP endpoints on a real listener (loopback), fed like the service feeds them."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.io.http import HealthServer
from uns.metrics import Stats, registry_for
from uns.model.namespace import Namespace
from uns.model.problem import Position, Problem
from uns.pipeline import Enricher
from uns.web.page import NamespacePage
from uns.web.state import NamespaceState

EXTERNAL = re.compile(rb"""(src|href|import)\s*=?\s*["']?(https?:)?//|url\(["']?(https?:)?//""")
MODEL = Path(__file__).parent.parent / "data" / "models" / "plant" / "model.yaml"
OVEN1 = "testco/berlin/baking/line-1/oven-cell/oven-1"


def lint_finding(ns: Namespace) -> list[Problem]:
    return [Problem(Position("model.yaml", 2, 1), "a finding", "some-rule", "warning")]


@pytest.fixture
async def served() -> AsyncIterator[tuple[HealthServer, NamespacePage, Enricher]]:
    ns = load_model(MODEL)
    page = NamespacePage(NamespaceState(), push_every_s=0.05, lint=lint_finding)
    page.model_changed(ns, "v1")
    server = HealthServer(registry_for(Stats()), lambda: (True, "ready"), port=0, pages=page)
    await server.start()
    yield server, page, Enricher(ns, ContextStore())
    await server.stop()


def feed(page: NamespacePage, enricher: Enricher, topic: str, payload: bytes) -> None:
    for out in enricher.process(topic, payload, page.now_ms()):
        page.published(out)


async def get(server: HealthServer, path: str) -> tuple[int, dict[str, str], bytes]:
    def fetch() -> tuple[int, dict[str, str], bytes]:
        url = f"http://127.0.0.1:{server.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    return await asyncio.to_thread(fetch)


async def get_json(server: HealthServer, path: str) -> Any:
    status, headers, body = await get(server, path)
    assert status == 200, body
    assert headers["Content-Type"] == "application/json"
    return json.loads(body)


async def test_the_page_and_its_assets_are_served_from_the_package(served: Any) -> None:
    server, _, _ = served
    status, headers, body = await get(server, "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert b'src="/static/app.js"' in body
    for asset in (b"/static/app.js", b"/static/app.css", b"/static/icon.svg"):
        assert asset in body
        status, _, text = await get(server, asset.decode())
        assert status == 200
        assert EXTERNAL.search(text) is None  # nothing loaded from outside


async def test_metrics_and_probes_still_answer_next_to_the_page(served: Any) -> None:
    server, _, _ = served
    status, _, body = await get(server, "/metrics")
    assert status == 200
    assert b"uns_messages_received_total" in body
    status, _, body = await get(server, "/healthz")
    assert (status, body) == (200, b"alive\n")
    status, _, body = await get(server, "/nowhere")
    assert status == 404
    assert b"namespace page" in body


async def test_tree_endpoint_gives_one_level_with_last_values(served: Any) -> None:
    server, page, enricher = served
    feed(page, enricher, "raw/scalar/O1/STATE", b"running")
    top = await get_json(server, "/api/tree?path=")
    assert [r["name"] for r in top["rows"]] == ["testco"]
    oven = await get_json(server, f"/api/tree?path={OVEN1}")
    state = next(r for r in oven["rows"] if r["name"] == "state")
    assert state["value"] == "running"
    assert state["quality"] == "good"
    status, _, body = await get(server, "/api/tree?path=testco/none")
    assert status == 404
    assert b"no level" in body


async def test_search_endpoint(served: Any) -> None:
    server, _, _ = served
    found = await get_json(server, "/api/search?q=austin%20pressure")
    assert found["total"] == 1
    assert found["rows"][0]["path"] == "testco/austin/baking/line-9/oven-9/pressure"


async def test_deadletter_endpoint_counts_by_reason(served: Any) -> None:
    server, page, enricher = served
    feed(page, enricher, "raw/scalar/O1/NOPE", b"1")
    doc = await get_json(server, "/api/deadletters")
    assert doc["total"] == 1
    assert doc["by_reason"][0]["reason"] == "unknown_raw_tag"
    assert doc["by_reason"][0]["samples"][0]["topic"] == "raw/scalar/O1/NOPE"


async def test_model_endpoint_lints_the_running_model_once_asked(served: Any) -> None:
    server, page, _ = served
    page.reload_result(True, "v2", [])
    first = await get_json(server, "/api/model")
    assert first["version"] == "v1"
    assert first["last_reload"]["ok"] is True
    assert first["stale_rule"] == {"factor": 3.0, "min_s": 5.0}
    assert first["findings"] is None  # linting started in the background
    assert page._linting is not None
    await asyncio.wait_for(page._linting, 5)
    doc = await get_json(server, "/api/model")
    assert doc["findings"]["shown"] == ["model.yaml:2:1: [warning] a finding (some-rule)"]


async def test_only_get_is_answered(served: Any) -> None:
    server, _, _ = served

    def post() -> int:
        req = urllib.request.Request(f"http://127.0.0.1:{server.port}/api/model", b"{}")
        try:
            with urllib.request.urlopen(req, timeout=5) as reply:
                return int(reply.status)
        except urllib.error.HTTPError as err:
            return err.code

    assert await asyncio.to_thread(post) == 405


async def read_event(reader: asyncio.StreamReader, name: str) -> Any:
    """The data of the next event called `name` (others are skipped)."""
    async with asyncio.timeout(5):
        while True:
            block = (await reader.readuntil(b"\n\n")).decode()
            lines = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
            if lines.get("event") == name:
                return json.loads(lines["data"])


async def test_event_stream_pushes_changed_tags_and_dead_letters(served: Any) -> None:
    server, page, enricher = served
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert b"200 OK" in head
    assert b"text/event-stream" in head
    page.state.take_changes(page.now_ms())  # nothing from before the page opened
    feed(page, enricher, "raw/scalar/O1/STATE", b"idle")
    feed(page, enricher, "raw/scalar/O1/STATE", b"heating")
    tags = await read_event(reader, "tags")
    assert [(r["name"], r["value"]) for r in tags["rows"]] == [("state", "heating")]
    feed(page, enricher, "raw/scalar/O1/NOPE", b"1")
    dead = await read_event(reader, "deadletters")
    assert dead["total"] == 1
    writer.close()
    await writer.wait_closed()


async def test_stopping_the_listener_ends_open_event_streams(served: Any) -> None:
    server, _, _ = served
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /api/events HTTP/1.1\r\n\r\n")
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    async with asyncio.timeout(5):
        await server.stop()
        assert await reader.read() == b"retry: 2000\n\n"  # then end of stream
    writer.close()


def test_a_page_that_lags_gets_one_resync_instead_of_a_backlog() -> None:
    page = NamespacePage(NamespaceState())
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(2)
    page._clients.add(queue)
    for i in range(5):
        page.broadcast(b"event %d" % i)
    items = [queue.get_nowait() for _ in range(queue.qsize())]
    assert items[0] == b"event: resync\ndata: {}\n\n"
    assert len(items) <= 2
