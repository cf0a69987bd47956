"""Namespace page benchmark: 100k governed tags (lint_bench's generated enterprise, 100 sites).

Measures what the page costs the service and what a user waits for:
- seeding the page's state from the model, and its memory once every tag has a value
  (tracemalloc: the state's own allocations, payloads included);
- `observe` per published message (the only cost on the service's hot path);
- the initial load over HTTP on a real listener: the page, its assets, /api/model and the
  first tree level; a search over every path; one live push of 2,000 changed tags;
- with Debian's chromium + chromedriver and selenium installed: the time from navigation to
  the first tree row in a headless browser, and the page's JS heap after expanding one site.

Run from the repository root:  .venv/bin/python bench/web_bench.py [--sites 100]
Results go to bench/results/web.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from lint_bench import generate

from uns.config.loader import load_model
from uns.io.http import HealthServer
from uns.metrics import Stats, registry_for
from uns.model.namespace import Namespace
from uns.web.page import NamespacePage
from uns.web.state import NamespaceState

RESULT = Path(__file__).parent / "results" / "web.json"


def payload(path: str, i: int) -> bytes:
    """A governed payload of the usual size (the keys and nesting of docs/payload.md)."""
    levels = path.split("/")
    return orjson.dumps(
        {
            "value": 20.0 + i % 100 / 7,
            "timestamp": "2026-03-24T09:59:58.123Z",
            "timestamp_source": "source",
            "quality": "good",
            "unit": "degC",
            "asset": dict(
                zip(("enterprise", "site", "area", "line", "equipment"), levels[:-1], strict=True)
            ),
            "context": {"shift": "early", "crew": None, "batch": "B-1042", "product": "p"},
            "source": {"topic": f"plc/{levels[1]}/A0L0/E1/{levels[-1]}", "received": "x"},
        }
    )


def state_numbers(ns: Namespace) -> tuple[NamespaceState, dict[str, Any]]:
    t0 = time.perf_counter()
    state = NamespaceState()
    state.use_model(ns, "bench", time.time())
    seed_s = time.perf_counter() - t0
    paths = list(state.tags)
    payloads = [payload(p, i) for i, p in enumerate(paths)]  # the service's, not the page's
    now = int(time.time() * 1000)
    t1 = time.perf_counter()
    for i, (path, body) in enumerate(zip(paths, payloads, strict=True)):
        state.observe(path, body, "enriched", now + i)
    observe_first_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    for i, (path, body) in enumerate(zip(paths, payloads, strict=True)):
        state.observe(path, body, "enriched", now + 1000 + i)
    observe_s = time.perf_counter() - t2
    # Memory of a second, identical state (tracemalloc slows allocation: no timing here).
    gc.collect()
    tracemalloc.start()
    traced = NamespaceState()
    traced.use_model(ns, "bench", time.time())
    for i, (path, body) in enumerate(zip(paths, payloads, strict=True)):
        traced.observe(path, body, "enriched", now + i)
    structure = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    held = sum(sys.getsizeof(b) for b in payloads)  # kept alive by the state once published
    return state, {
        "tags": len(paths),
        "seed_s": round(seed_s, 3),
        "observe_first_us": round(observe_first_s / len(paths) * 1e6, 3),
        "observe_us": round(observe_s / len(paths) * 1e6, 3),
        "state_mib": round(structure / 2**20, 1),
        "payloads_held_mib": round(held / 2**20, 1),
        "payload_bytes_avg": round(sum(map(len, payloads)) / len(payloads)),
    }


async def http_numbers(state: NamespaceState, site: str) -> dict[str, Any]:
    page = NamespacePage(state)
    server = HealthServer(registry_for(Stats()), lambda: (True, "ready"), port=0, pages=page)
    await server.start()
    base = f"http://127.0.0.1:{server.port}"

    def fetch(path: str) -> bytes:
        with urllib.request.urlopen(base + path, timeout=30) as reply:
            return bytes(reply.read())

    async def timed(*paths: str) -> tuple[float, int]:
        t0 = time.perf_counter()
        size = 0
        for p in paths:
            size += len(await asyncio.to_thread(fetch, p))
        return time.perf_counter() - t0, size

    initial = ("/", "/static/app.js", "/static/app.css", "/api/model", "/api/tree?path=")
    load_s, load_bytes = await timed(*initial)
    load_s = min(load_s, (await timed(*initial))[0])
    site_s, site_bytes = await timed(f"/api/tree?path=benchco/{site}")
    search_s, _ = await timed("/api/search?q=site-050%20temperature")
    now = int(time.time() * 1000)
    t0 = time.perf_counter()
    events = page.pending_events()  # all 100k changed: one push takes the first 2000
    push_s = time.perf_counter() - t0
    out = {
        "initial_load_s": round(load_s, 4),
        "initial_load_bytes": load_bytes,
        "open_site_s": round(site_s, 4),
        "open_site_bytes": site_bytes,
        "search_100k_s": round(search_s, 4),
        "push_2000_tags_s": round(push_s, 4),
        "push_2000_tags_bytes": sum(map(len, events)),
        "stale_count_100k_s": 0.0,
    }
    t0 = time.perf_counter()
    state.stale_count(now)
    out["stale_count_100k_s"] = round(time.perf_counter() - t0, 4)
    browser = await asyncio.to_thread(browser_numbers, base, site)
    if browser:
        out.update(browser)
    await server.stop()
    return out


def browser_numbers(base: str, site: str) -> dict[str, Any] | None:
    """Headless Chromium as the browser tests start it (tests/integration/browser.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        from tests.integration.browser import CHROMEDRIVER, CHROMIUM, chromium
    except ImportError:
        return None
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        return None
    with tempfile.TemporaryDirectory(prefix="uns-web-bench-") as tmp:
        profile, failed = Path(tmp) / "profile", Path(tmp) / "failed.png"
        with chromium(profile, failed, "--enable-precise-memory-info") as driver:
            t0 = time.perf_counter()
            driver.get(base + "/")
            root = WebDriverWait(driver, 30, 0.02).until(
                lambda d: d.find_element(By.CSS_SELECTOR, '.level[data-path="benchco"]')
            )
            first_row_s = time.perf_counter() - t0
            root.click()
            t1 = time.perf_counter()
            selector = f'.level[data-path="benchco/{site}"]'
            row = WebDriverWait(driver, 30, 0.02).until(
                lambda d: d.find_element(By.CSS_SELECTOR, selector)
            )
            open_enterprise_s = time.perf_counter() - t1
            row.click()
            WebDriverWait(driver, 30, 0.02).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-path^="benchco/{site}/"]')
            )
            heap = driver.execute_script("return performance.memory.usedJSHeapSize")
    return {
        "browser_first_row_s": round(first_row_s, 3),
        "browser_open_enterprise_s": round(open_enterprise_s, 3),
        "browser_js_heap_mib": round(heap / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=100, help="1,000 tags per site")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.sites)
        t0 = time.perf_counter()
        ns = load_model(tmp)
        load_s = time.perf_counter() - t0
    state, numbers = state_numbers(ns)
    numbers["model_load_s"] = round(load_s, 2)
    numbers.update(asyncio.run(http_numbers(state, "site-000")))
    doc = {
        "bench": "web",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "sites": args.sites,
        **numbers,
    }
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
