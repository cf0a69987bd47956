"""`uns run --workers N`: one supervisor, N partitions as child processes (issue 15).

Each child is `python -m uns run --config <file>` with partition I/N, its own client id
(`<client_id>-pIofN`, from the partition) and its own loopback metrics port. The settings go
to the children as a file holding the resolved settings (never the password: children read it
from the environment or `password_file` as the supervisor would), and the children's
environment carries no other `UNS_*` variable, so nothing overrides that file.

- SIGTERM / SIGINT: forwarded as SIGTERM to every child, which drains; a second one is
  forwarded too (the children then exit without waiting). Children run in their own process
  group, so a terminal's Ctrl-C reaches them only through the supervisor (once).
- SIGHUP: forwarded (each child re-reads the models).
- A child that exits while not stopping is restarted after a backoff (0.5 s doubling to 30 s,
  back to 0.5 s once a child ran a minute); its persistent session holds what arrived meanwhile.
- The supervisor's metrics port serves the children's metrics and readiness
  (`uns.worker_metrics`); it blocks the supervisor's loop while it asks them, which only
  delays restarts by that long.
- Exit code: 0 when every child drained, else the first non-zero child code.
- Each child's stdin is a pipe from the supervisor that is never written: when the supervisor
  dies, even by SIGKILL, the children read end of file, drain and exit (no orphans).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

from uns.config.settings import ServiceSettings
from uns.io.http import HealthServer
from uns.worker_metrics import Child, all_ready, registry_of

log = logging.getLogger(__name__)

BACKOFF_MIN_S, BACKOFF_MAX_S, STABLE_S = 0.5, 30.0, 60.0
KEEP_ENV = ("UNS_BROKER_PASSWORD",)


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def child_settings(settings: ServiceSettings, index: int, port: int | None) -> dict[str, object]:
    """The resolved settings of worker `index`, as the JSON its settings file holds."""
    data = settings.model_dump(mode="json")
    data.update(
        partition=f"{index}/{settings.workers}",
        workers=1,
        metrics_host="127.0.0.1",
        metrics_port=port,
    )
    return data


def child_environment(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith("UNS_") or k in KEEP_ENV}


class Supervisor:
    def __init__(self, settings: ServiceSettings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        count = settings.workers
        metrics = settings.metrics_port is not None
        self.children = [
            Child(f"{i}/{count}", free_port("127.0.0.1") if metrics else None) for i in range(count)
        ]
        self._procs: list[asyncio.subprocess.Process | None] = [None] * count
        self._stopping = False
        self._env = child_environment(dict(os.environ))

    def _config(self, index: int) -> Path:
        path = self.workdir / f"worker-{index}.json"
        data = child_settings(self.settings, index, self.children[index].port)
        path.write_text(json.dumps(data), encoding="utf-8")
        path.chmod(0o600)
        return path

    async def _start(self, index: int) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "uns", "run", "--config", str(self._config(index)),
            "--supervised",  # stops when its stdin, this pipe, closes: when we are gone
            stdin=asyncio.subprocess.PIPE, env=self._env, start_new_session=True,
        )  # fmt: skip
        self._procs[index] = proc
        self.children[index].running = True
        log.info("worker %s started (pid %d)", self.children[index].partition, proc.pid)
        return proc

    async def _keep(self, index: int) -> int:
        """Run worker `index` until the supervisor stops; its last exit code."""
        child = self.children[index]
        backoff = BACKOFF_MIN_S
        while True:
            started = time.monotonic()
            proc = await self._start(index)
            if self._stopping:  # the stop came while it was starting
                proc.send_signal(signal.SIGTERM)
            code = await proc.wait()
            child.running = False
            if self._stopping:
                return code
            ran = time.monotonic() - started
            backoff = BACKOFF_MIN_S if ran >= STABLE_S else min(backoff * 2, BACKOFF_MAX_S)
            log.error(
                "worker %s exited with %d after %.1fs; restarting in %.1fs",
                child.partition,
                code,
                ran,
                backoff,
            )
            await asyncio.sleep(backoff)
            if self._stopping:
                return code
            child.restarts += 1

    def forward(self, sig: int) -> None:
        if sig in (signal.SIGTERM, signal.SIGINT):
            if self._stopping:
                log.warning("second %s: workers exit without waiting", signal.Signals(sig).name)
            else:
                log.info("%s: stopping the workers (each drains)", signal.Signals(sig).name)
            self._stopping = True
        self._signal_all(signal.SIGTERM if sig == signal.SIGINT else sig)

    def _signal_all(self, sig: int) -> None:
        for proc in self._procs:
            if proc is not None and proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(sig)

    async def run(self) -> int:
        health = None
        if self.settings.metrics_port is not None:
            health = HealthServer(
                registry_of(lambda: self.children),
                lambda: (False, "stopping") if self._stopping else all_ready(self.children),
                self.settings.metrics_host,
                self.settings.metrics_port,
            )
            await health.start()
        try:
            codes = await asyncio.gather(*(self._keep(i) for i in range(len(self.children))))
        finally:
            self._stopping = True
            self._signal_all(signal.SIGTERM)  # a cancelled supervisor leaves no worker behind
            if health is not None:
                await health.stop()
        failed = [c for c in codes if c != 0]
        log.info("workers stopped with exit codes %s", ", ".join(map(str, codes)))
        return failed[0] if failed else 0


async def _main(settings: ServiceSettings) -> int:
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="uns-workers-") as tmp:
        supervisor = Supervisor(settings, Path(tmp))
        signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        for sig in signals:
            loop.add_signal_handler(sig, supervisor.forward, sig)
        try:
            return await supervisor.run()
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)


def run_workers(settings: ServiceSettings) -> int:
    log.info("running %d workers (partitions 0..%d)", settings.workers, settings.workers - 1)
    return asyncio.run(_main(settings))
