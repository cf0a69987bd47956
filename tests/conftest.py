"""Shared fixtures.

Broker: tests marked `broker` run against a real mosquitto on a free loopback port with a
generated config, like aiomqtt's test setup. Without the binary they are skipped locally and
fail under any non-empty CI (tests/prerequisites.py), so a missing broker can never make the
suite quietly green.
Topics: `unique_topic` gives every test its own prefix, so retained messages never leak.
"""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.prerequisites import in_ci, require

RUN_TOKEN = secrets.token_hex(4)


# -- mosquitto ---------------------------------------------------------------------------------


def find_mosquitto() -> str | None:
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MosquittoProcess:
    """One mosquitto instance: its config and data live in `workdir`, its port stays fixed."""

    binary: str
    workdir: Path
    port: int
    persistence: bool = False
    host: str = "127.0.0.1"
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, timeout_s: float = 10.0) -> None:
        conf = self.workdir / "mosquitto.conf"
        lines = [
            f"listener {self.port} {self.host}",
            "allow_anonymous true",
            "user root",  # as root, mosquitto would switch to its own user and lose the workdir
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.workdir}/",
            f"log_dest file {self.workdir / 'mosquitto.log'}",
        ]
        conf.write_text("\n".join(lines) + "\n")
        self._proc = subprocess.Popen([self.binary, "-c", str(conf)])
        deadline = time.monotonic() + timeout_s
        while True:  # a listening port sends no event, so poll it (setup only, bounded)
            if self._proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self._proc.returncode}: {self.log()}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"mosquitto did not listen on {self.port}") from None
                time.sleep(0.02)

    def stop(self) -> None:
        """SIGTERM: a clean shutdown that saves the persistence file."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def kill(self) -> None:
        """SIGKILL: a crash; only what was already saved survives."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def start_mosquitto(
    tmp_dir: Path, port: int | None = None, persistence: bool = False
) -> MosquittoProcess:
    """Start a broker in `tmp_dir` on `port` (a free one if None) and wait until it listens."""
    binary = find_mosquitto()
    if binary is None:
        raise RuntimeError("mosquitto not found on PATH or in /usr/sbin")
    tmp_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):  # a free port can be taken between probing and binding
        broker = MosquittoProcess(binary, tmp_dir, port or _free_port(), persistence)
        try:
            broker.start()
        except RuntimeError:
            if port is not None or attempt == 2:
                raise
            continue
        return broker
    raise AssertionError("unreachable")


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
