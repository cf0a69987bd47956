"""`uns demo` and `uns simulate` as a user runs them: real processes, real brokers.

The demo starts its own embedded broker (mosquitto, or amqtt in-process when forced); these
tests need the mosquitto binary like every `broker` test, and skip the amqtt case when the
package is not installed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.prerequisites import require
from uns.io.mqtt import BrokerSettings, Message, MqttClient

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def uns(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "uns", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not in:\n{text}"
    return int(found.group(1))


def check_summary(out: str) -> None:
    """The summary lines: something was enriched, the invalid ones were dead-lettered."""
    assert number(r"enriched=(\d+)", out) > 0
    invalid = number(r", (\d+) invalid", out)
    assert number(r"deadletter=(\d+)", out) >= invalid
    assert number(r"subscriber saw (\d+) governed messages", out) > 0


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"did not finish:\n{out}\n{err}")
    return proc.returncode, out, err


@pytest.mark.usefixtures("broker")  # needs the mosquitto binary, like every broker test
def test_demo_with_embedded_mosquitto() -> None:
    code, out, err = finish(uns("demo", "--duration", "5", "--embedded", "mosquitto"))
    assert code == 0, err
    assert "against mosquitto at mqtt://127.0.0.1:" in out
    assert "[" in out.splitlines()[0]  # not a terminal: plain progress lines, no live view
    check_summary(out)


@pytest.mark.usefixtures("broker")
def test_demo_with_amqtt_in_process() -> None:
    require(importlib.util.find_spec("amqtt") is not None, "amqtt is not installed")
    code, out, err = finish(uns("demo", "--duration", "5", env={"UNS_DEMO_BROKER": "amqtt"}))
    assert code == 0, err
    assert "against amqtt at mqtt://127.0.0.1:" in out
    check_summary(out)


@pytest.mark.usefixtures("broker")
def test_demo_stops_cleanly_on_ctrl_c() -> None:
    proc = uns("demo", "--embedded", "mosquitto")
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first progress line: everything is running
    assert first.startswith("["), first
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert code == 0, err
    assert "summary: service took in" in out


async def test_simulate_publishes_what_it_says(mosquitto_factory: Callable[..., Any]) -> None:
    broker = mosquitto_factory()
    seen: list[str] = []
    done = asyncio.Event()
    expected: list[int] = []

    async def count(msg: Message) -> None:
        seen.append(msg.topic)
        if expected and len(seen) >= expected[0]:
            done.set()

    sink = MqttClient(
        BrokerSettings(port=broker.port, client_id="sim-sink", clean_start=True), count
    )
    async with sink:
        await sink.subscribe([("#", 1)])  # one filter: every message exactly once
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "uns", "simulate", "--broker", f"mqtt://127.0.0.1:{broker.port}"),
            *("--duration", "2", "--rate", "100", "--seed", "1", "--clock-offset", "auto"),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        published = number(r"published (\d+) messages", out.decode())
        assert published >= 150  # 2 s at 100/s, plus MES context
        expected.append(published)
        if len(seen) < published:
            async with asyncio.timeout(10):
                await done.wait()
    assert len(seen) == published
    assert any(t.startswith("mes/") for t in seen)
    assert any(t.startswith("kepware/") for t in seen)
