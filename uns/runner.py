"""Process-level running of the service: signals, the metrics endpoint, exit codes.

A first SIGTERM/SIGINT starts the graceful drain; a second one skips the wait and exits at once
(uvicorn's behaviour; `uns.signals`). SIGHUP re-reads the models at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from uns.config.loader import load_model
from uns.config.settings import ServiceSettings
from uns.errors import SettingsError
from uns.io.http import HealthServer
from uns.metrics import Stats, registry_for
from uns.model.namespace import Namespace
from uns.reload import ModelWatcher, ReloadResult, fingerprint
from uns.service import Service
from uns.signals import STOP_SIGNALS, stop_on_signals
from uns.web import attach_page

log = logging.getLogger(__name__)

EXIT_OK, EXIT_DRAIN_CUT, EXIT_FORCED = 0, 3, 130


async def serve(
    settings: ServiceSettings,
    stop: asyncio.Event,
    reload: asyncio.Event | None = None,
    started: Callable[[Service], None] | None = None,
) -> int:
    """Run until `stop`; `reload` set (SIGHUP) re-reads the models at once.

    `started` is handed the service before it runs, for callers that watch it (`uns demo`).
    """
    root = Path(settings.models)
    settings.broker_settings()  # the URL and the password file, before anything starts
    limits = settings.model_limits.limits()
    ns = load_model(root, limits)
    stats = Stats(model_loaded_at=time.time(), model_version=fingerprint(root))
    service = Service(settings, ns, stats=stats)
    if service.plan is not None and service.partition is not None:
        owned = sum(1 for w in service.plan.owners if w.partition == service.partition.index)
        log.info(
            "partition %s: owns %d of %d bindings (`uns partitions` shows the split)",
            service.partition,
            owned,
            len(ns.bindings),
        )
    page = attach_page(service, ns, settings) if settings.metrics_port is not None else None
    if started is not None:
        started(service)
    _exempt_from_gc()

    async def use_model(new: Namespace, version: str) -> None:
        await service.use_model(new, version)
        _exempt_from_gc()

    def count(result: ReloadResult) -> None:
        outcome = "ok" if result.ok else "failed"
        stats.reloads[outcome] = stats.reloads.get(outcome, 0) + 1
        if page is not None:
            page.reload_result(result.ok, result.version, result.problems)

    watcher = ModelWatcher(
        root,
        use_model,
        count,
        settings.reload_interval_s,
        stats.model_version,
        limits=limits,
    )
    health = None
    if settings.metrics_port is not None:
        health = HealthServer(
            registry_for(stats),
            service.ready,
            settings.metrics_host,
            settings.metrics_port,
            pages=page,
        )
        try:
            await health.start()
        except OSError as exc:
            where = f"{settings.metrics_host}:{settings.metrics_port}"
            raise SettingsError(
                f"metrics_port: cannot listen on {where}: {exc.strerror or exc} "
                "(another process has it? choose another --metrics-port)"
            ) from None
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


async def _stop_when_supervisor_exits(stop: asyncio.Event) -> None:
    """A worker of `uns run --workers N` reads its stdin, a pipe from the supervisor that
    nobody writes to: end of file means the supervisor is gone (even killed with SIGKILL),
    and the worker drains and exits rather than run on unsupervised."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass
    if not stop.is_set():
        log.warning("the worker supervisor is gone: stopping")
        stop.set()


async def _main(settings: ServiceSettings, supervised: bool) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    reload = asyncio.Event()
    with stop_on_signals(stop) as signals:
        loop.add_signal_handler(signal.SIGHUP, reload.set)
        orphan = (
            asyncio.create_task(_stop_when_supervisor_exits(stop), name="uns.supervisor")
            if supervised
            else None
        )
        try:
            return await serve(settings, stop, reload)
        except asyncio.CancelledError:
            if signals.forced:
                return EXIT_FORCED
            raise
        finally:
            if orphan is not None:
                orphan.cancel()
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signal.SIGHUP)
            exit_forced_on_stop_signals()


def exit_forced_on_stop_signals() -> None:
    """From here on the process only ends: a stop signal exits with 130 at once, not by the
    signal (which the default handler would do once the event loop's handlers are gone)."""
    with contextlib.suppress(ValueError):  # not the main thread: nothing to install
        for sig in STOP_SIGNALS:
            signal.signal(sig, _exit_forced)


def _exit_forced(signum: int, _frame: object) -> None:
    os.write(2, f"{signal.Signals(signum).name} while exiting: exit {EXIT_FORCED}\n".encode())
    os._exit(EXIT_FORCED)


def _exempt_from_gc() -> None:
    """Take everything alive now, above all the model, out of the cyclic collector's reach.

    A model is long-lived objects by the million (100k bindings: 2.1M) that every full pass of
    the collector would walk (1.2 s each: a stall of the stream). The price: the few reference
    cycles of a model a reload replaces (about a hundred objects) are never reclaimed.
    """
    gc.freeze()


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop for `event_loop`: None is asyncio's own (docs/performance.md, uvloop)."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            msg = "event_loop: uvloop is not installed (pip install 'uns[fast]')"
            raise SettingsError(msg) from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run_service(settings: ServiceSettings, supervised: bool = False) -> int:
    try:
        with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
            return runner.run(_main(settings, supervised))
    except BaseExceptionGroup as group:  # a task group wraps what its tasks raised
        problem = _first_settings_error(group)
        if problem is None:
            raise
        raise problem from None


def _first_settings_error(error: BaseException) -> SettingsError | None:
    """A settings problem found once running (at connect time): exit 2, one line."""
    if isinstance(error, SettingsError):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            if (found := _first_settings_error(inner)) is not None:
                return found
    return None
