"""`make chaos --quick`, the CI version of the adversarial suite (bench/chaos.py): against a
real mosquitto and a real `uns run`, every case accounts for every message it sent, the
service survives, the Sparkplug flood's rebirth requests stay bounded, replaying the same
dead letters twice brings no duplicate, and the table is printed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.prerequisites import require
from uns.demo.mosquitto import find_mosquitto

pytestmark = [pytest.mark.broker, pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "chaos.py"


def test_quick_chaos_loses_nothing_and_bounds_the_rebirths(tmp_path: Path) -> None:
    require(find_mosquitto() is not None, "mosquitto not found on PATH or in /usr/sbin")
    out = tmp_path / "chaos.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "alive until the end" in done.stdout
    result = json.loads(out.read_text())
    rows = {row["case"]: row for row in result["rows"]}
    assert len(rows) == 9
    for row in rows.values():
        assert (row["lost"], row["accounted"]) == (0, row["sent"]), row
    assert rows["replay twice"]["duplicates"] == 0  # the journal: the second run skips all
    nodes = rows["distinct Sparkplug nodes"]
    rebirths = int(nodes["note"].split()[0])
    # the global limit (burst 100, then 10 per second), not one request per node
    assert rebirths <= 100 + 10 * (nodes["seconds"] + 1) < nodes["sent"]
