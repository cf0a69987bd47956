"""`uns run` serves the namespace page on its metrics listener, fed by the running service."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from uns.io.mqtt import BrokerSettings, MqttClient
from uns.reload import fingerprint

pytestmark = [pytest.mark.broker, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return json.loads(reply.read())


async def publish(port: int, *messages: tuple[str, bytes]) -> None:
    publisher = MqttClient(BrokerSettings(port=port, client_id="page-pub"))
    await publisher.connect()
    for topic, payload in messages:
        await publisher.publish(topic, payload, qos=1)
    await publisher.disconnect()


def test_the_page_shows_what_uns_run_publishes(broker: Any) -> None:
    client_id = f"uns-page-{time.time_ns()}"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "uns", "run", "--models", "models", "--metrics-port", "0"),
            *("--broker", f"mqtt://127.0.0.1:{broker.port}", "--client-id", client_id),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        base = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not base:
            line = proc.stderr.readline()
            if m := re.search(r"metrics on (http://[\d.:]+)/metrics", line):
                base = m.group(1)
        assert base, "no metrics address in the log"
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if "subscribed to" in line:
                break
        model = get_json(base + "/api/model")
        assert model["version"] == fingerprint(ROOT / "models")
        assert model["enterprise"] == "acme"
        asyncio.run(
            publish(
                broker.port,
                ("plc/cgn/L2/FIL01/TT101.PV", b"42"),
                ("plc/cgn/L2/FIL01/NOT_A_TAG", b"1"),
            )
        )
        path = "acme/cologne/bottling/line-2/filler"
        rows: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            rows = get_json(f"{base}/api/tree?path={path}")["rows"]
            if any(r["name"] == "product_temperature" and r["value"] is not None for r in rows):
                break
            time.sleep(0.1)
        temperature = next(r for r in rows if r["name"] == "product_temperature")
        assert temperature["value"] == pytest.approx(4.2)
        assert temperature["unit"] == "degC"
        dead = get_json(base + "/api/deadletters")  # (retained raw data of other tests may add)
        unknown = next(r for r in dead["by_reason"] if r["reason"] == "unknown_raw_tag")
        assert "plc/cgn/L2/FIL01/NOT_A_TAG" in [x["topic"] for x in unknown["samples"]]
        with urllib.request.urlopen(base + "/", timeout=5) as reply:
            assert b"/static/app.js" in reply.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
