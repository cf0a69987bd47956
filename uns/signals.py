"""Graceful stop on SIGINT / SIGTERM, shared by `uns run` and `uns demo` / `uns simulate`.

The first signal sets the stop event (the caller drains and exits cleanly); a second one
cancels the task that installed the handlers, so that nothing waits any longer (uvicorn's
behaviour). Handlers only set an event or cancel a task, and are removed on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

__all__ = ["StopSignals", "stop_on_signals"]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass
class StopSignals:
    """What the signals did: `forced` once a second signal has cancelled the task."""

    stop: asyncio.Event
    task: asyncio.Task[object] | None
    forced: bool = False

    def on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.stop.is_set():
            log.warning("second %s: exiting without waiting", name)
            self.forced = True
            if self.task is not None:
                self.task.cancel()
            return
        log.info("%s: stopping intake and draining", name)
        self.stop.set()


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[StopSignals]:
    """Within the block, SIGINT / SIGTERM stop the running task: first `stop`, then cancel.

    Outside the main thread (no signal handlers there) the block simply runs without them.
    """
    loop = asyncio.get_running_loop()
    state = StopSignals(stop, asyncio.current_task())
    installed = []
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(sig, state.on_signal, sig)
            installed.append(sig)
    try:
        yield state
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
