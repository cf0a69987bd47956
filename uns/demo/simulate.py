"""`uns simulate`: the simulator's raw traffic, published at a steady rate to any broker.

For trials against a real service and for benchmarks; progress lines on stderr every 5 s,
a count of what was published at the end (exit 1 if any publish was not acknowledged).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from typing import IO, TYPE_CHECKING

from uns.argtypes import positive_float, seconds_or_auto
from uns.demo.board import offset_text
from uns.demo.broker import Broker
from uns.demo.command import choose_offset, setup_logging
from uns.demo.traffic import DEFAULT_RATE, PumpStats, mqtt_client, pump, wait_for
from uns.signals import stop_on_signals

if TYPE_CHECKING:
    from uns.simulator import Simulator

__all__ = ["add_simulate_parser", "run_simulate"]


async def run_simulate(
    sim: Simulator,
    broker: Broker,
    *,
    rate: float,
    duration_s: float | None,
    qos: int = 1,
    err: IO[str] = sys.stderr,
) -> tuple[PumpStats, float]:
    """Publish until the duration ends or a signal comes; progress lines on `err`."""
    stop = asyncio.Event()
    stats = PumpStats()
    client = mqtt_client(broker, "sim", secrets.token_hex(4))
    started = time.monotonic()
    with stop_on_signals(stop):
        await client.connect()
        try:
            task = asyncio.create_task(pump(sim, client, rate, stop, qos=qos, stats=stats))
            end = started + duration_s if duration_s is not None else None
            while not task.done():
                wait = 5.0 if end is None else min(5.0, end - time.monotonic())
                if wait <= 0 or await wait_for(stop, wait):
                    break
                elapsed = time.monotonic() - started
                print(
                    f"simulate: {elapsed:6.1f}s {stats.total} published "
                    f"({stats.total / elapsed:.0f}/s), {stats.invalid} invalid, "
                    f"{stats.context} context",
                    file=err,
                    flush=True,
                )
            stop.set()
            await task
        finally:
            await client.disconnect()
    return stats, time.monotonic() - started


def _simulate_command(args: argparse.Namespace) -> int:
    from uns.config.loader import load_model
    from uns.simulator import Simulator

    setup_logging(sys.stderr)
    ns = load_model(args.models)
    offset = choose_offset(ns, args.clock_offset)
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    sim = Simulator(ns, seed=seed, clock_offset_ms=offset)
    broker = Broker("external", args.broker, args.protocol)
    print(
        f"simulate: {len(sim.points)} points in {len(sim.bindings)} bindings, "
        f"{len(sim.context_sources)} MES sources, seed {seed}, "
        f"clock offset {offset_text(offset)}, {args.rate:g} msg/s to {args.broker}",
        file=sys.stderr,
        flush=True,
    )
    try:
        stats, seconds = asyncio.run(
            run_simulate(sim, broker, rate=args.rate, duration_s=args.duration, qos=args.qos)
        )
    except asyncio.CancelledError:  # a second Ctrl+C
        print("uns simulate: stopped without waiting", file=sys.stderr)
        return 130
    rate = stats.total / seconds if seconds > 0 else 0.0
    print(
        f"simulate: published {stats.total} messages in {seconds:.1f} s ({rate:.0f}/s): "
        f"{stats.data} data, {stats.invalid} invalid, {stats.context} context, "
        f"{stats.failed} not acknowledged",
        flush=True,
    )
    return 0 if stats.failed == 0 else 1


def add_simulate_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uns simulate` to the CLI's subcommands."""
    simulate = sub.add_parser(
        "simulate",
        help="publish realistic raw traffic for a model to a broker (trials, benchmarks)",
        description="Derives topics, payloads, raw tag names and codes from the model's "
        "bindings and MES sources; ~1% of messages are deliberately invalid.",
    )
    simulate.add_argument("--broker", metavar="URL", required=True, help="mqtt://host:1883")
    simulate.add_argument("--models", metavar="DIR", default="models", help="default: models")
    simulate.add_argument(
        "--rate", type=positive_float, default=DEFAULT_RATE, metavar="N", help="msg/s (200)"
    )
    simulate.add_argument(
        "--duration", type=positive_float, metavar="S", help="stop after S seconds"
    )
    simulate.add_argument(
        "--clock-offset",
        type=seconds_or_auto,
        default=0.0,
        metavar="S|auto",
        help="shift the simulated clock by S seconds; auto: a shift change in ~30 s",
    )
    simulate.add_argument("--seed", type=int, help="default: random")
    simulate.add_argument("--qos", type=int, choices=[0, 1], default=1)
    simulate.add_argument("--protocol", type=int, choices=[4, 5], default=5, help="MQTT version")
    simulate.set_defaults(func=_simulate_command)
