"""The namespace page in a real headless Chromium, on a service running against mosquitto.

Selenium's calls block, and the service runs on this test's event loop, so every browser step
runs in a worker thread (`asyncio.to_thread`) while the loop keeps serving the page.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.browser import chromium, require_browser, wait_until
from tests.integration.harness import running_service
from uns.config.loader import load_model
from uns.reload import fingerprint
from uns.web import serve_page

pytestmark = [pytest.mark.broker, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "browser"


def row_text(driver: Any, path: str, part: str) -> str:
    from selenium.common.exceptions import NoSuchElementException
    from selenium.webdriver.common.by import By

    try:
        row = driver.find_element(By.CSS_SELECTOR, f'.row.tag[data-path="{path}"] .{part}')
    except NoSuchElementException:
        return ""
    return str(row.text)


def expand(driver: Any, path: str) -> None:
    from selenium.webdriver.common.by import By

    selector = f'.level[data-path="{path}"]'
    row = wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, selector))
    row.click()
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-path^="{path}/"]'))


async def test_open_expand_watch_a_value_change_and_a_dead_letter(
    broker: Any, unique_topic: str, tmp_path: Path
) -> None:
    require_browser()
    from selenium.webdriver.common.by import By

    (tmp_path / "model").mkdir()
    async with running_service(broker.port, unique_topic, tmp_path / "model") as run:
        ns = load_model(tmp_path / "model")
        async with serve_page(run.service, ns, port=0) as url:
            with chromium(tmp_path / "profile", tmp_path / "failed.png") as driver:
                e = run.enterprise
                oven = f"{e}/berlin/baking/line-1/oven-cell/oven-1"
                await asyncio.to_thread(driver.get, url)
                for level in ("", "/berlin", "/berlin/baking", "/berlin/baking/line-1"):
                    await asyncio.to_thread(expand, driver, e + level)
                await asyncio.to_thread(expand, driver, f"{e}/berlin/baking/line-1/oven-cell")
                await asyncio.to_thread(expand, driver, oven)
                state = f"{oven}/state"
                assert await asyncio.to_thread(row_text, driver, state, "age") == "no data"

                await run.publish("raw/scalar/O1/STATE", b"heating")
                await asyncio.to_thread(
                    wait_until, driver, lambda d: row_text(d, state, "value") == "heating"
                )
                await run.publish("raw/scalar/O1/STATE", b"baking")
                await asyncio.to_thread(
                    wait_until, driver, lambda d: row_text(d, state, "value") == "baking"
                )
                assert await asyncio.to_thread(row_text, driver, state, "quality") == "good"
                await run.publish("raw/scalar/O1/PT100", b"14.5038")
                pressure = f"{oven}/pressure"
                shown = await asyncio.to_thread(
                    wait_until,
                    driver,
                    lambda d: (
                        row_text(d, pressure, "value") != "\u2014"
                        and row_text(d, pressure, "value")
                    ),
                )
                assert shown == "1 bar"  # 14.5038 psi, shown in the class's unit

                await run.publish("raw/scalar/O1/NOT_MAPPED", b"1")
                total = await asyncio.to_thread(
                    wait_until,
                    driver,
                    lambda d: (
                        d.find_element(By.ID, "dl-total").text == "1"
                        and d.find_element(By.ID, "dl-body").text
                    ),
                )
                assert "unknown_raw_tag" in total
                assert "/".join(run.prefix.split("/")[:2]) + " 1" in total  # raw topic prefix
                await asyncio.to_thread(
                    lambda: driver.find_element(By.CSS_SELECTOR, "#dl-body summary").click()
                )
                sample = await asyncio.to_thread(
                    lambda: driver.find_element(By.CSS_SELECTOR, "#dl-body details").text
                )
                assert "raw/scalar/O1/NOT_MAPPED" in sample
                assert "uns replay" in sample
                model = await asyncio.to_thread(
                    wait_until,
                    driver,
                    lambda d: (
                        "lint findings:" in d.find_element(By.ID, "model-body").text
                        and "lint findings: running" not in d.find_element(By.ID, "model-body").text
                        and d.find_element(By.ID, "model-body").text
                    ),
                )
                assert f"revision {fingerprint(tmp_path / 'model')}" in model
                assert "(duplicate-topic)" in model  # the test model's own lint finding

                shot = (DOCS if os.environ.get("UNS_SCREENSHOTS") else tmp_path) / "namespace.png"
                shot.parent.mkdir(parents=True, exist_ok=True)
                assert await asyncio.to_thread(driver.save_screenshot, str(shot))
                assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
                logs = await asyncio.to_thread(driver.get_log, "browser")
                assert [x for x in logs if x["level"] == "SEVERE"] == []


def read_page_address(proc: subprocess.Popen[str], within_s: float = 30.0) -> str:
    """The address `uns demo` prints on stderr (logs may come first)."""
    assert proc.stderr is not None
    deadline = time.monotonic() + within_s
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if m := re.search(r"namespace page: (http://\S+)", line):
            return m.group(1)
    raise AssertionError(f"no page address from uns demo: {''.join(seen)}")


def test_uns_demo_serves_the_page_on_the_shipped_models(broker: Any, tmp_path: Path) -> None:
    """`uns demo` as a user runs it (its own broker, the simulator, the shipped models)."""
    require_browser()
    from selenium.webdriver.common.by import By

    proc = subprocess.Popen(
        [sys.executable, "-m", "uns", "demo", "--plain", "--duration", "40", "--models", "models"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = read_page_address(proc)
        with chromium(tmp_path / "profile", tmp_path / "failed.png") as driver:
            driver.get(url)
            expand(driver, "acme")
            expand(driver, "acme/cologne")
            expand(driver, "acme/cologne/bottling")
            expand(driver, "acme/cologne/bottling/line-1")
            expand(driver, "acme/cologne/bottling/line-1/filling")
            expand(driver, "acme/cologne/bottling/line-1/filling/filler")
            values = wait_until(
                driver,
                lambda d: [
                    e.text for e in d.find_elements(By.CSS_SELECTOR, ".row.tag:not(.nodata) .value")
                ],
                within_s=20,
            )
            assert values
            wait_until(driver, lambda d: d.find_element(By.ID, "dl-total").text != "0", 30)
            wait_until(driver, lambda d: "lint findings: running" not in d.page_source, 30)
            shot = (DOCS if os.environ.get("UNS_SCREENSHOTS") else tmp_path) / "demo.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            assert driver.save_screenshot(str(shot))
            driver.find_element(By.ID, "filter").send_keys("palletizer")
            found = wait_until(driver, lambda d: d.find_element(By.ID, "results").text)
            assert "tags match" in found
            rows = driver.find_elements(By.CSS_SELECTOR, "#results .row.tag")
            assert rows
            assert all("palletizer" in r.get_attribute("data-path") for r in rows)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
