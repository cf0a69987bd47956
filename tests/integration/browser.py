"""A headless Chromium driven by Selenium, all from Debian packages: nothing is downloaded.

Skipped locally when chromium, chromedriver or selenium is missing; under CI that is a
failure (tests/prerequisites.py), like a missing mosquitto (.ci/run installs them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from tests.prerequisites import require

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,1000",
)
T = TypeVar("T")


def require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip)")
    require(not missing, f"browser test needs {', '.join(missing)}")


@contextmanager
def chromium(profile: Path, on_failure: Path, *extra_flags: str) -> Iterator[Any]:
    """A WebDriver for a fresh headless Chromium with its own profile directory; a failing
    test leaves a screenshot at `on_failure`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never fetch a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, *extra_flags):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    except BaseException:
        driver.save_screenshot(str(on_failure))
        raise
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_until(driver: Any, check: Callable[[Any], T], within_s: float = 10.0) -> T:
    """Poll `check(driver)` until it returns something truthy (Selenium's explicit wait)."""
    from selenium.webdriver.support.ui import WebDriverWait

    result: T = WebDriverWait(driver, within_s, poll_frequency=0.1).until(check)
    return result
