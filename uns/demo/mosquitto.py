"""The one mosquitto launcher, for `uns demo` and for the test fixtures.

A free loopback port, a config generated into a work directory (which also holds the log and
the persistence file), a bounded wait until the port listens, and stop (SIGTERM: a clean exit
that saves persistence), kill (SIGKILL: a crash), pause/resume (SIGSTOP/SIGCONT) for fault
tests. Blocking calls: from asyncio, run them in a thread.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from uns.errors import TransportError

__all__ = ["MosquittoProcess", "find_mosquitto", "free_port", "start_mosquitto"]

_SBIN = "/usr/sbin:/usr/local/sbin"  # Debian installs the broker there, off a user's PATH


def find_mosquitto() -> str | None:
    return shutil.which("mosquitto") or shutil.which("mosquitto", path=_SBIN)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (another process may still take it before we bind)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class MosquittoProcess:
    """One mosquitto instance: its config and data live in `workdir`, its port stays fixed."""

    binary: str
    workdir: Path
    port: int
    persistence: bool = False
    host: str = "127.0.0.1"
    extra: tuple[str, ...] = ()  # more config lines, e.g. "max_queued_messages 0"
    detached: bool = False  # own session, no output: Ctrl+C reaches the caller, not the broker
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def config(self) -> str:
        lines = [
            f"listener {self.port} {self.host}",
            "allow_anonymous true",
            "user root",  # as root, mosquitto would switch to its own user and lose the workdir
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.workdir}/",
            f"log_dest file {self.workdir / 'mosquitto.log'}",
            *self.extra,
        ]
        return "\n".join(lines) + "\n"

    def start(self, timeout_s: float = 10.0) -> None:
        """Start and return once the port accepts connections; TransportError if it never does."""
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(self.config())
        quiet = subprocess.DEVNULL if self.detached else None
        self._proc = subprocess.Popen(
            [self.binary, "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=quiet,
            stderr=quiet,
            start_new_session=self.detached,
        )
        deadline = time.monotonic() + timeout_s
        while True:  # a listening port sends no event, so poll it (start-up only, bounded)
            if self._proc.poll() is not None:
                code = self._proc.returncode
                raise TransportError(f"mosquitto exited with {code}: {self.log()}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise TransportError(f"mosquitto did not listen on {self.port}") from None
                time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM: a clean shutdown that saves the persistence file; SIGKILL if it hangs."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL: a crash; only what was already saved survives."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        """SIGSTOP, returning once the kernel reports the process stopped (Linux)."""
        assert self.running()
        os.kill(self.pid, signal.SIGSTOP)
        stat = Path(f"/proc/{self.pid}/stat")
        deadline = time.monotonic() + 5
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "T":
            if time.monotonic() > deadline:
                raise TransportError("mosquitto did not stop")
            time.sleep(0.001)  # the stop is asynchronous; it lands within a scheduler tick

    def resume(self) -> None:
        if self.running():
            os.kill(self.pid, signal.SIGCONT)

    def log(self) -> str:
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def start_mosquitto(
    workdir: Path,
    port: int | None = None,
    *,
    persistence: bool = False,
    extra: tuple[str, ...] = (),
    detached: bool = False,
) -> MosquittoProcess:
    """Start a broker in `workdir` on `port` (a free one if None) and wait until it listens."""
    binary = find_mosquitto()
    if binary is None:
        raise TransportError(f"mosquitto not found on PATH or in {_SBIN.split(':', maxsplit=1)[0]}")
    workdir.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):  # a free port can be taken between probing and binding
        broker = MosquittoProcess(
            binary, workdir, port or free_port(), persistence, extra=extra, detached=detached
        )
        try:
            broker.start()
        except TransportError:
            if port is not None or attempt == 2:
                raise
            continue
        return broker
    raise AssertionError("unreachable")
