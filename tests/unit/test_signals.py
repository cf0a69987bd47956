"""`uns.signals`: the first SIGTERM sets the stop event, a second cancels; handlers go away."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from uns.signals import StopSignals, stop_on_signals


async def test_first_signal_stops_second_cancels_and_handlers_are_removed() -> None:
    stop = asyncio.Event()
    seen: list[StopSignals] = []

    async def body() -> None:
        with stop_on_signals(stop) as signals:
            seen.append(signals)
            os.kill(os.getpid(), signal.SIGTERM)
            await stop.wait()
            assert not signals.forced
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.Event().wait()  # only the cancellation ends this

    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(body())
    assert stop.is_set()
    assert seen[0].forced
    loop = asyncio.get_running_loop()
    assert not loop.remove_signal_handler(signal.SIGTERM)  # nothing left installed
    assert not loop.remove_signal_handler(signal.SIGINT)


def test_a_signal_without_a_task_only_sets_the_event() -> None:
    stop = asyncio.Event()
    state = StopSignals(stop, task=None)
    state.on_signal(signal.SIGINT)
    assert stop.is_set()
    assert not state.forced
    state.on_signal(signal.SIGINT)
    assert state.forced


def test_a_stop_signal_while_the_process_ends_exits_130_not_by_the_signal() -> None:
    """After the drain the loop's handlers are gone; a second SIGTERM then must still mean
    "forced" (130), not a death by signal (-15) that a supervisor reads as a crash."""
    import subprocess
    import sys

    code = (
        "import os, signal, time\n"
        "from uns.runner import exit_forced_on_stop_signals\n"
        "exit_forced_on_stop_signals()\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(10)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 130, done.stderr
    assert "SIGTERM while exiting" in done.stderr
