"""Run Eclipse Tahu's JavaScript payload codec (tests/peers/tahu-payload) from a test.

`node_with_tahu_payload()` gives the `node` binary once the locked package is installed
(`npm ci` when node_modules is missing). Without node, npm or the package it skips locally
and fails under CI, by the rule in tests/prerequisites.py.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.prerequisites import require, unavailable

PEER_DIR = Path(__file__).resolve().parent / "peers" / "tahu-payload"
DECODER = PEER_DIR / "decode.js"
TIMEOUT_S = 120.0


@functools.cache
def _install() -> str | None:
    """The node binary, or why the peer is unavailable (cached: npm ci runs once)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None
    if not (PEER_DIR / "node_modules" / "sparkplug-payload").is_dir():
        done = subprocess.run(
            [npm, "ci", "--prefix", str(PEER_DIR), "--no-audit", "--no-fund", "--loglevel=error"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm ci for tests/peers/tahu-payload failed: {done.stderr[-2000:]}")
    return node


def node_with_tahu_payload() -> str:
    try:
        node = _install()
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        unavailable(str(exc))
    require(node, "node and npm are needed for the Tahu sparkplug-payload peer")
    assert node is not None
    return node


def tahu_decode(payload: bytes) -> Any:
    """Tahu's decodePayload(payload) as JSON: Long values as decimal strings, bytes as
    {"hex": ...} (see tests/peers/tahu-payload/decode.js)."""
    node = node_with_tahu_payload()
    done = subprocess.run(
        [node, str(DECODER)], input=payload, capture_output=True, timeout=TIMEOUT_S, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return json.loads(done.stdout)
