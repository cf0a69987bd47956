"""The relay benchmark, run for real on a small load: exit 0 when every message arrived, exit 1
and a FAIL line when messages were lost (here: a sink that gives up at once)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.prerequisites import require
from uns.demo.mosquitto import find_mosquitto

pytestmark = pytest.mark.broker

BENCH = Path(__file__).resolve().parents[2] / "bench" / "transport_relay.py"


def _relay_bench(
    tmp_path: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    require(find_mosquitto() is not None, "mosquitto not found on PATH or in /usr/sbin")
    out = tmp_path / "transport.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--variants", "uns", "--output", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return done, json.loads(out.read_text())["results"][0]


def test_a_run_that_delivers_everything_exits_0(tmp_path: Path) -> None:
    done, result = _relay_bench(tmp_path, "--messages", "2000")
    assert done.returncode == 0, done.stderr
    assert (result["lost"], result["reordered"]) == (0, 0)
    assert "FAIL" not in done.stderr


def test_a_run_that_loses_messages_exits_1_and_says_so(tmp_path: Path) -> None:
    # The sink's deadline passes before the publisher starts: every message is lost.
    done, result = _relay_bench(tmp_path, "--messages", "2000", "--timeout", "0.001")
    assert done.returncode == 1
    assert result["lost"] == 2000
    assert "FAIL uns run 0: lost 2000 of 2000 messages (100.0 %)" in done.stderr
