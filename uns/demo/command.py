"""`uns demo`: broker, service, subscriber, simulator and a view, in one process.

The service runs through the service's own runner (`uns.runner.serve`) and the signals are
handled by `uns.signals`, exactly as `uns run` does: the first Ctrl+C / SIGTERM ends the run
(simulator first, then the service drains), a second one stops at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import sys
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from uns.argtypes import positive_float, seconds_or_auto
from uns.demo.board import Board, Rates, Summary
from uns.demo.broker import BROKER_ENV, Broker, start_embedded
from uns.demo.traffic import DEFAULT_RATE, PumpStats, mqtt_client, pump, wait_for
from uns.demo.view import Snapshot, View
from uns.errors import TransportError
from uns.signals import stop_on_signals

if TYPE_CHECKING:
    from uns.config.settings import ServiceSettings
    from uns.io.mqtt import Message, MqttClient
    from uns.model.namespace import Namespace
    from uns.service import Service

__all__ = ["DemoOptions", "add_demo_parser", "choose_offset", "run_demo", "setup_logging"]

_READY_TIMEOUT_S = 15.0
_SETTLE_S = 3.0  # after the simulator stops, wait this long at most for the service to catch up


@dataclass
class DemoOptions:
    models: str = "models"
    broker_url: str | None = None
    duration_s: float | None = None
    rate: float = DEFAULT_RATE
    embedded: str = "auto"
    protocol: int = 5
    seed: int | None = None
    clock_offset_s: float | None = None  # None: chosen from the calendars
    live: bool = True


def _governed_filters(ns: Namespace) -> tuple[list[str], str]:
    """Subscriptions covering the governed tree and the dead-letter branch, and the latter's
    prefix (the dead-letter topic without its reason level)."""
    dl = str(ns.deadletter_topic("reason")).rsplit("/", 1)[0] + "/"
    node = next(ns.equipment(), None)
    roots = {dl.split("/", 1)[0]}
    if node is not None and node.tags:
        roots.add(str(ns.governed_topic(node, next(iter(node.tags)))).split("/", 1)[0])
    return [f"{root}/#" for root in sorted(roots)], dl


async def _wait_ready(running: list[Service], task: asyncio.Task[Any]) -> Service:
    """The service has no ready event; it subscribes within milliseconds, so probe briefly."""
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while not running or not running[0].ready()[0]:
        if task.done():
            task.result()  # raises what stopped it
            raise TransportError("the service stopped during start-up")
        if time.monotonic() > deadline:
            why = running[0].ready()[1] if running else "the model is still loading"
            raise TransportError(f"the service is not ready: {why}")
        await asyncio.sleep(0.02)
    return running[0]


def choose_offset(ns: Namespace, seconds: float | None) -> int:
    """`seconds` as ms, or (None) an offset that shows a shift change ~30 s after the start."""
    from uns.simulator import auto_clock_offset_ms

    if seconds is not None:
        return int(seconds * 1000)
    return auto_clock_offset_ms(ns, int(time.time() * 1000))


async def _shut_down(tasks: list[asyncio.Task[Any]], clients: tuple[MqttClient, ...]) -> None:
    """The simulator stops first, then the service drains; after a second Ctrl+C (this task
    is being cancelled) nothing waits: the tasks are cancelled."""
    current = asyncio.current_task()
    forced = current is not None and current.cancelling() > 0
    for task in reversed(tasks):
        if forced:
            task.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task
    for client in clients:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await client.disconnect()


def _service_settings(models: str, broker: Broker, token: str) -> ServiceSettings:
    from uns.config.settings import BrokerSection, ServiceSettings

    return ServiceSettings(
        models=models,
        broker=BrokerSection(
            url=broker.url,
            client_id=f"uns-demo-{token}",
            clean_start=True,  # a demo keeps no session: nothing to redeliver next time
            protocol=5 if broker.protocol == 5 else 4,
        ),
        metrics_port=None,
        drain_timeout_s=5.0,
    )


async def run_demo(opts: DemoOptions, out: IO[str]) -> Summary:
    """Broker, service, subscriber and simulator until the duration ends or a signal comes."""
    from uns.config.loader import load_model
    from uns.runner import serve
    from uns.simulator import Simulator
    from uns.web import serve_page

    started = time.monotonic()
    ns = load_model(opts.models)
    offset = choose_offset(ns, opts.clock_offset_s)
    seed = opts.seed if opts.seed is not None else secrets.randbits(32)
    sim = Simulator(ns, seed=seed, clock_offset_ms=offset)
    stop = asyncio.Event()
    token = secrets.token_hex(4)
    filters, dl_prefix = _governed_filters(ns)
    board = Board(dl_prefix)
    seen = asyncio.Event()

    async def on_governed(msg: Message) -> None:
        board.add(msg.topic, msg.payload)
        seen.set()

    pumped = PumpStats()
    tasks: list[asyncio.Task[Any]] = []
    running: list[Service] = []
    async with contextlib.AsyncExitStack() as cleanup:  # runs its callbacks last-in first-out
        cleanup.enter_context(stop_on_signals(stop))
        if opts.broker_url is not None:
            broker = Broker("external", opts.broker_url, opts.protocol)
        else:
            broker = await start_embedded(opts.embedded)
        cleanup.push_async_callback(broker.stop)
        settings = _service_settings(opts.models, broker, token)
        service_stop = asyncio.Event()
        viewer = mqtt_client(broker, "demo-view", token, on_governed)
        publisher = mqtt_client(broker, "demo-sim", token)
        cleanup.push_async_callback(_shut_down, tasks, (viewer, publisher))
        cleanup.callback(service_stop.set)
        cleanup.callback(stop.set)
        # The viewer first: an unreachable broker fails here at once, with its address.
        await viewer.connect()
        await viewer.subscribe([(f, 0) for f in filters])
        serving = serve(settings, service_stop, started=running.append)
        tasks.append(asyncio.create_task(serving, name="uns.demo.service"))
        service = await _wait_ready(running, tasks[0])
        await cleanup.enter_async_context(serve_page(service, ns, sys.stderr))  # prints its URL
        await publisher.connect()
        simulator = asyncio.create_task(
            pump(sim, publisher, opts.rate, stop, stats=pumped), name="uns.demo.simulator"
        )
        simulator.add_done_callback(lambda _: stop.set())  # a failed pump ends the demo
        tasks.append(simulator)
        await _show(
            opts,
            out,
            broker=broker,
            ns=ns,
            offset=offset,
            board=board,
            service=service,
            stop=stop,
            started=started,
        )
        await simulator
        await _settle(service, pumped, seen)
    return Summary(
        seconds=time.monotonic() - started,
        broker=str(broker),
        offset_ms=offset,
        pumped=pumped,
        received=service.stats.received,
        outcomes=dict(service.stats.outcomes),
        board=board,
    )


async def _show(
    opts: DemoOptions,
    out: IO[str],
    *,
    broker: Broker,
    ns: Namespace,
    offset: int,
    board: Board,
    service: Service,
    stop: asyncio.Event,
    started: float,
) -> None:
    """Draw until the duration is over or `stop` is set."""
    from zoneinfo import ZoneInfo

    zones = {name: ZoneInfo(site.timezone) for name, site in ns.sites.items()}
    rates = Rates()
    loop = asyncio.get_running_loop()
    begin = loop.time()
    end = begin + opts.duration_s if opts.duration_s is not None else None
    with View(opts.live, out) as view:
        while not stop.is_set():
            now = loop.time()
            stats = service.stats
            rates.sample(
                now,
                {
                    "raw": stats.received,
                    "enriched": stats.published.get("enriched", 0),
                    "dead": stats.published.get("deadletter", 0),
                },
            )
            view.draw(
                Snapshot(
                    elapsed=time.monotonic() - started,
                    broker=str(broker),
                    sim_ms=int(time.time() * 1000) + offset,
                    zones=zones,
                    board=board,
                    rates=rates,
                )
            )
            wait = view.interval_s if end is None else min(view.interval_s, end - now)
            if wait <= 0 or await wait_for(stop, wait):
                break
    stop.set()


async def _settle(service: Service, pumped: PumpStats, seen: asyncio.Event) -> None:
    """Let the service take in what was published, as long as output keeps coming."""
    deadline = time.monotonic() + _SETTLE_S
    while service.stats.received < pumped.total - pumped.failed:
        seen.clear()
        if not await wait_for(seen, 0.5) or time.monotonic() > deadline:
            return


def setup_logging(err: IO[str]) -> None:
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    # The demo shows dead letters itself; the service's per-reason warnings would repeat them.
    logging.getLogger("uns.service").setLevel(logging.ERROR)
    logging.getLogger("gmqtt").setLevel(logging.ERROR)


def _demo_command(args: argparse.Namespace) -> int:
    live = sys.stdout.isatty() and not args.plain
    if live:
        from rich.console import Console
        from rich.logging import RichHandler

        logging.basicConfig(
            level=logging.WARNING, handlers=[RichHandler(console=Console(stderr=True))], force=True
        )
        logging.getLogger("uns.service").setLevel(logging.ERROR)
        logging.getLogger("gmqtt").setLevel(logging.ERROR)
    else:
        setup_logging(sys.stderr)
    opts = DemoOptions(
        models=args.models,
        broker_url=args.broker,
        duration_s=args.duration,
        rate=args.rate,
        embedded=args.embedded or os.environ.get(BROKER_ENV, "auto").strip().lower() or "auto",
        protocol=args.protocol,
        seed=args.seed,
        clock_offset_s=args.clock_offset,
        live=live,
    )
    try:
        summary = asyncio.run(run_demo(opts, sys.stdout))
    except asyncio.CancelledError:  # a second Ctrl+C: no waiting, no summary
        print("uns demo: stopped without waiting", file=sys.stderr)
        return 130
    for line in summary.lines():
        print(line, flush=True)
    return 0


def add_demo_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uns demo` to the CLI's subcommands."""
    demo = sub.add_parser(
        "demo",
        help="try it: embedded broker, simulated plant, the service and a live view",
        description="Runs everything in one process: a broker (embedded unless --broker), the "
        "service, a simulated plant and a live view of the governed tree. Ctrl+C stops it.",
    )
    demo.add_argument("--broker", metavar="URL", help="use this broker instead of an embedded one")
    demo.add_argument("--models", metavar="DIR", default="models", help="default: models")
    demo.add_argument("--duration", type=positive_float, metavar="S", help="stop after S seconds")
    demo.add_argument(
        "--rate", type=positive_float, default=DEFAULT_RATE, metavar="N", help="raw msg/s (200)"
    )
    demo.add_argument(
        "--embedded",
        choices=["auto", "mosquitto", "amqtt"],
        help=f"which embedded broker (default: ${BROKER_ENV} or auto: mosquitto if installed)",
    )
    demo.add_argument("--protocol", type=int, choices=[4, 5], default=5, help="with --broker")
    demo.add_argument("--seed", type=int, help="simulator seed (default: random)")
    demo.add_argument(
        "--clock-offset", type=seconds_or_auto, default=None, metavar="S|auto", help="default: auto"
    )
    demo.add_argument("--plain", action="store_true", help="summary lines, no live view")
    demo.set_defaults(func=_demo_command)
