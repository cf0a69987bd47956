"""Shared fixtures.

Broker: tests marked `broker` run against a real mosquitto on a free loopback port with a
generated config (`uns.demo.mosquitto`, the launcher `uns demo` uses too). Without the binary
they are skipped locally and fail under any non-empty CI (tests/prerequisites.py), so a missing
broker can never make the suite quietly green.
Topics: `unique_topic` gives every test its own prefix, so retained messages never leak.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.prerequisites import in_ci, require
from uns.demo.mosquitto import MosquittoProcess, find_mosquitto, start_mosquitto

RUN_TOKEN = secrets.token_hex(4)


# -- mosquitto ---------------------------------------------------------------------------------


def _require_mosquitto() -> None:
    require(find_mosquitto() is not None, "mosquitto not found on PATH or in /usr/sbin")


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoProcess]:
    """The run-wide broker. Never restart it: use `mosquitto_factory` for fault tests."""
    _require_mosquitto()
    process = start_mosquitto(tmp_path_factory.mktemp("mosquitto"))
    yield process
    process.stop()


@pytest.fixture
def mosquitto_factory(
    tmp_path: Path,
) -> Iterator[Callable[..., MosquittoProcess]]:
    """Dedicated brokers for one test (restart, kill, persistence); all stopped afterwards."""
    _require_mosquitto()
    started: list[MosquittoProcess] = []

    def make(persistence: bool = False) -> MosquittoProcess:
        process = start_mosquitto(tmp_path / f"broker{len(started)}", persistence=persistence)
        started.append(process)
        return process

    yield make
    for process in started:
        process.kill()


# -- topics ------------------------------------------------------------------------------------


@pytest.fixture
def unique_topic(request: pytest.FixtureRequest) -> str:
    """`test/<run token>/<test name>`: a prefix no other test or run publishes under."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return f"test/{RUN_TOKEN}/{name}"


# -- hypothesis --------------------------------------------------------------------------------

# CI machines are fresh and shared: Hypothesis's first text() draw builds its Unicode tables,
# and a loaded machine makes any example slow. Timing is a benchmark's job, not a test's.
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False
)
if in_ci():
    settings.load_profile("ci")
