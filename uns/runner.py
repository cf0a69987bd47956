"""Process-level running of the service: signals, the metrics endpoint, exit codes.

A first SIGTERM/SIGINT starts the graceful drain; a second one skips the wait and exits at once
(uvicorn's behaviour). Signal handlers only set an event or cancel the main task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from pathlib import Path

from uns.config.loader import load_model
from uns.config.settings import ServiceSettings
from uns.io.http import HealthServer
from uns.metrics import Stats, registry_for
from uns.reload import ModelWatcher, ReloadResult, fingerprint
from uns.service import Service

log = logging.getLogger(__name__)

EXIT_OK, EXIT_DRAIN_CUT, EXIT_FORCED = 0, 3, 130


async def serve(
    settings: ServiceSettings, stop: asyncio.Event, reload: asyncio.Event | None = None
) -> int:
    """Run until `stop`; `reload` set (SIGHUP) re-reads the models at once."""
    root = Path(settings.models)
    ns = load_model(root)
    stats = Stats(model_loaded_at=time.time(), model_version=fingerprint(root))
    service = Service(settings, ns, stats=stats)

    def count(result: ReloadResult) -> None:
        outcome = "ok" if result.ok else "failed"
        stats.reloads[outcome] = stats.reloads.get(outcome, 0) + 1

    watcher = ModelWatcher(
        root, service.use_model, count, settings.reload_interval_s, stats.model_version
    )
    health = None
    if settings.metrics_port is not None:
        health = HealthServer(
            registry_for(stats), service.ready, settings.metrics_host, settings.metrics_port
        )
        await health.start()
    try:
        async with asyncio.TaskGroup() as tg:
            watch = tg.create_task(watcher.run(), name="uns.reload")
            hup = tg.create_task(_forward(reload, watcher), name="uns.sighup") if reload else None
            report = await service.run(stop)
            watch.cancel()
            if hup is not None:
                hup.cancel()
    finally:
        if health is not None:
            await health.stop()
    return EXIT_OK if report.finished else EXIT_DRAIN_CUT


async def _forward(event: asyncio.Event, watcher: ModelWatcher) -> None:
    while True:
        await event.wait()
        event.clear()
        log.info("SIGHUP: checking the models now")
        watcher.request()


async def _main(settings: ServiceSettings) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    main_task = asyncio.current_task()
    assert main_task is not None
    forced = False

    def on_signal(signum: int) -> None:
        nonlocal forced
        if stop.is_set():
            log.warning("second %s: exiting without waiting", signal.Signals(signum).name)
            forced = True
            main_task.cancel()
            return
        log.info("%s: stopping intake and draining", signal.Signals(signum).name)
        stop.set()

    reload = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    loop.add_signal_handler(signal.SIGHUP, reload.set)
    try:
        return await serve(settings, stop, reload)
    except asyncio.CancelledError:
        if forced:
            return EXIT_FORCED
        raise
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)


def run_service(settings: ServiceSettings) -> int:
    return asyncio.run(_main(settings))
