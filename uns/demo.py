"""`uns demo` and `uns simulate`: a simulated plant, an embedded broker and a live view.

`uns simulate --broker URL` publishes the simulator's raw traffic (`uns.simulator`) at a
steady rate to any broker: for trials against a real service and for benchmarks.

`uns demo` is the first five minutes of the product, with nothing installed first:

1. a broker: `--broker URL`, else an embedded one: the `mosquitto` binary when it is on PATH
   or in /usr/sbin (a free loopback port, a generated config in a temp dir, its own session so
   that Ctrl+C reaches us and not it), else amqtt's broker in this process (MQTT 3.1.1);
   `UNS_DEMO_BROKER=mosquitto|amqtt` (or `--embedded`) forces one;
2. the service itself (`uns.service.Service`), in this event loop;
3. a subscriber on the governed tree and the dead-letter branch, feeding a `Board`;
4. the simulator, with a clock offset chosen from the calendars so that a shift changes
   about 30 s after the start;
5. a live `rich` view on a terminal, or a plain summary line every few seconds otherwise
   (CI, `| tee`); a final summary of counts by outcome when the run ends (`--duration`,
   Ctrl+C or SIGTERM: exit 0; a second Ctrl+C stops at once).

Imports of the heavy modules (the service, the model loader, rich) happen inside the commands,
so that `uns --help` stays fast: this module is imported when the parser is built.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from uns.errors import SettingsError, TransportError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from uns.config.settings import ServiceSettings
    from uns.io.mqtt import Message, MqttClient
    from uns.model.namespace import Namespace
    from uns.service import Service
    from uns.simulator import RawMessage, Simulator

log = logging.getLogger(__name__)

DEFAULT_RATE = 200.0  # raw messages per second: modest, the demo shares the machine
BROKER_ENV = "UNS_DEMO_BROKER"
_TICK_S = 0.05  # the simulator publishes in small bursts this often
# Publishes in flight at once. Brokers allow few unacknowledged QoS 1 messages per client
# (mosquitto: 20); many more concurrent publishes only wait for packet ids in a crowd.
_WINDOW = 8
_READY_TIMEOUT_S = 15.0
_SETTLE_S = 3.0  # after the simulator stops, wait this long at most for the service to catch up


# -- brokers ---------------------------------------------------------------------------------------


@dataclass
class Broker:
    """The broker a demo or simulation talks to; `stop` ends an embedded one."""

    kind: str  # "mosquitto", "amqtt" or "external"
    url: str
    protocol: int  # 5 = MQTT 5, 4 = MQTT 3.1.1
    _stop: Callable[[], Awaitable[None]] | None = None

    async def stop(self) -> None:
        if self._stop is not None:
            stop, self._stop = self._stop, None
            await stop()

    def __str__(self) -> str:
        return f"{self.kind} at {self.url}" if self.kind != "external" else self.url


def find_mosquitto() -> str | None:
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_listening(port: int, alive: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """A listening port sends no event, so probe it (start-up only, bounded)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if not alive():
            raise TransportError("the embedded broker exited during start-up")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise TransportError(f"the embedded broker did not listen on {port}") from None
            await asyncio.sleep(0.02)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return


async def start_mosquitto(binary: str) -> Broker:
    """mosquitto on a free loopback port, configured in a temp dir that `stop` removes."""
    workdir = Path(tempfile.mkdtemp(prefix="uns-demo-"))
    for attempt in range(3):  # a free port can be taken between probing and binding
        port = _free_port()
        conf = workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            f"log_dest file {workdir / 'mosquitto.log'}\n"
            "max_queued_messages 100000\n"
        )
        proc = await asyncio.create_subprocess_exec(
            binary,
            "-c",
            str(conf),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,  # Ctrl+C goes to us; we stop the broker last
        )
        try:
            await _wait_listening(port, lambda p=proc: p.returncode is None)  # type: ignore[misc]
        except TransportError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            if attempt == 2:
                shutil.rmtree(workdir, ignore_errors=True)
                raise
            continue

        async def stop(proc: asyncio.subprocess.Process = proc) -> None:
            try:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5):
                        await proc.wait()
            finally:  # also when the wait times out or a second Ctrl+C cancels it
                if proc.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                shutil.rmtree(workdir, ignore_errors=True)

        return Broker("mosquitto", f"mqtt://127.0.0.1:{port}", 5, stop)
    raise AssertionError("unreachable")


async def start_amqtt() -> Broker:
    """amqtt's broker in this event loop (MQTT 3.1.1 only), anonymous, loopback only."""
    try:
        module: Any = importlib.import_module("amqtt.broker")  # optional; untyped
    except ImportError:
        raise SettingsError(
            "no MQTT broker available: install mosquitto (e.g. apt-get install mosquitto) "
            "or the Python package amqtt, or pass --broker mqtt://host:port"
        ) from None
    for name in ("amqtt", "transitions"):
        logging.getLogger(name).setLevel(logging.ERROR)  # they log every connection at INFO
    port = _free_port()
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }
    broker = module.Broker(config)
    try:
        await broker.start()
    except Exception as exc:  # amqtt raises its own BrokerError and OSError alike
        raise TransportError(f"cannot start the amqtt broker: {exc!r}") from exc

    async def stop() -> None:
        try:
            await broker.shutdown()
        except Exception as exc:  # stopping anyway; nothing to recover
            log.debug("amqtt shutdown: %r", exc)

    return Broker("amqtt", f"mqtt://127.0.0.1:{port}", 4, stop)


async def start_embedded(choice: str = "auto") -> Broker:
    """`mosquitto`, `amqtt`, or `auto`: mosquitto when installed, else amqtt."""
    if choice not in ("auto", "mosquitto", "amqtt"):
        raise SettingsError(f"{BROKER_ENV} / --embedded must be auto, mosquitto or amqtt")
    if choice in ("auto", "mosquitto"):
        binary = find_mosquitto()
        if binary is not None:
            try:
                return await start_mosquitto(binary)
            except TransportError:
                if choice == "mosquitto":
                    raise
                log.warning("mosquitto did not start; using amqtt's broker instead")
        elif choice == "mosquitto":
            raise SettingsError("mosquitto not found on PATH or in /usr/sbin")
    return await start_amqtt()


# -- the simulator pump ----------------------------------------------------------------------------


@dataclass
class PumpStats:
    data: int = 0
    invalid: int = 0
    context: int = 0
    failed: int = 0  # publishes not acknowledged

    @property
    def total(self) -> int:
        return self.data + self.invalid + self.context


async def _wait(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait for `event` at most `timeout_s`; True if it is set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await event.wait()
    return event.is_set()


async def _publish(client: MqttClient, m: RawMessage, qos: int, window: asyncio.Semaphore) -> None:
    async with window:
        await client.publish(m.topic, m.payload, qos, m.retain)


async def pump(
    sim: Simulator,
    client: MqttClient,
    rate: float,
    stop: asyncio.Event,
    *,
    qos: int = 1,
    stats: PumpStats | None = None,
    clock: Callable[[], float] = time.time,
) -> PumpStats:
    """Publish the simulator's messages at `rate` per second until `stop` is set.

    Messages go out in bursts every 50 ms, at most `_WINDOW` publishes in flight (QoS 1 waits
    for each PUBACK); MES context is published and acknowledged before the data of its burst.
    When the broker cannot keep up, the backlog is dropped rather than sent as a flood later.
    """
    stats = stats if stats is not None else PumpStats()
    window = asyncio.Semaphore(_WINDOW)
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = 0
    while not stop.is_set():
        due = int(rate * (loop.time() - started)) - sent
        if due > rate:  # more than a second behind: forget it, keep the pace from here
            sent += due - int(rate * _TICK_S)
            due = int(rate * _TICK_S)
        due = max(due, 0)
        sent += due
        messages = sim.messages(int(clock() * 1000), due)
        context = [m for m in messages if m.kind == "context"]
        rest = [m for m in messages if m.kind != "context"]
        for group in (context, rest):
            results = await asyncio.gather(
                *(_publish(client, m, qos, window) for m in group), return_exceptions=True
            )
            for m, result in zip(group, results, strict=True):
                if isinstance(result, BaseException):
                    if not isinstance(result, TransportError):
                        raise result
                    stats.failed += 1
                elif m.kind == "data":
                    stats.data += 1
                elif m.kind == "invalid":
                    stats.invalid += 1
                else:
                    stats.context += 1
        await _wait(stop, _TICK_S)
    return stats


# -- what the subscriber sees ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One enriched message, as the live table shows it."""

    topic: str
    value: str
    quality: str
    shift: str
    batch: str
    product: str
    timestamp: str
    site: str
    arrival: bool  # no source time: stamped on arrival, on the real clock


@dataclass
class Board:
    """Pure state of the demo's subscriber: latest messages, dead letters, shifts per site."""

    deadletter_prefix: str
    rows: deque[Row] = field(default_factory=lambda: deque(maxlen=14))
    enriched: int = 0
    dead: int = 0
    dead_by_reason: Counter[str] = field(default_factory=Counter)
    dead_recent: deque[tuple[str, str, str]] = field(default_factory=lambda: deque(maxlen=5))
    shifts: dict[str, tuple[str, str]] = field(default_factory=dict)  # site -> (shift, as-of)
    shift_changes: list[tuple[str, str, str, str]] = field(default_factory=list)
    unreadable: int = 0

    def add(self, topic: str, payload: bytes) -> None:
        try:
            doc = orjson.loads(payload)
        except orjson.JSONDecodeError:
            self.unreadable += 1
            return
        if not isinstance(doc, dict):
            self.unreadable += 1
        elif topic.startswith(self.deadletter_prefix):
            self.dead += 1
            reason = str(doc.get("reason"))
            self.dead_by_reason[reason] += 1
            self.dead_recent.appendleft((reason, str(doc.get("topic")), str(doc.get("detail"))))
        else:
            self._enriched(topic, doc)

    def _enriched(self, topic: str, doc: dict[str, Any]) -> None:
        self.enriched += 1
        ctx = doc.get("context") or {}
        asset = doc.get("asset") or {}
        site = str(asset.get("site", "?"))
        shift = _text(ctx.get("shift"))
        if ctx.get("crew"):
            shift = f"{shift} / {ctx['crew']}"
        stamp = str(doc.get("timestamp", ""))
        unit = doc.get("unit")
        self.rows.appendleft(
            Row(
                topic=topic,
                value=_value(doc.get("value")) + (f" {unit}" if unit else ""),
                quality=str(doc.get("quality")),
                shift=shift,
                batch=_text(ctx.get("batch")),
                product=_text(ctx.get("product")),
                timestamp=stamp,
                site=site,
                arrival=doc.get("timestamp_source") == "arrival",
            )
        )
        # The site's shift follows the newest source time seen: values stamped on arrival run
        # on the real clock, and per-value times can be a little out of order.
        if doc.get("timestamp_source") != "source":
            return
        old = self.shifts.get(site)
        if old is None:
            self.shifts[site] = (shift, stamp)
        elif stamp >= old[1]:  # ISO-8601 UTC with fixed precision sorts as text
            if shift != old[0]:
                self.shift_changes.append((site, old[0], shift, stamp))
            self.shifts[site] = (shift, stamp)


def _text(value: object) -> str:
    return "-" if value is None else str(value)


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e7 else f"{value:.4g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Rates:
    """Per-second rates of growing counters over a short sliding window."""

    def __init__(self, window_s: float = 3.0) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, dict[str, int]]] = deque()

    def sample(self, now: float, counts: dict[str, int]) -> None:
        self._samples.append((now, dict(counts)))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window_s:
            self._samples.popleft()

    def per_second(self, name: str) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, c0), (t1, c1) = self._samples[0], self._samples[-1]
        return (c1.get(name, 0) - c0.get(name, 0)) / (t1 - t0) if t1 > t0 else 0.0


# -- summary ---------------------------------------------------------------------------------------


@dataclass
class Summary:
    seconds: float
    broker: str
    offset_ms: int
    pumped: PumpStats
    received: int
    outcomes: dict[tuple[str, str], int]
    board: Board

    def count(self, outcome: str) -> int:
        return sum(n for (o, _), n in self.outcomes.items() if o == outcome)

    def lines(self) -> list[str]:
        p, b = self.pumped, self.board
        reasons = Counter({r: n for (o, r), n in self.outcomes.items() if o == "deadletter"})
        by_reason = " ".join(f"{r}={n}" for r, n in sorted(reasons.items())) or "none"
        changes = ", ".join(
            f"{site} {old} -> {new} at {stamp}" for site, old, new, stamp in b.shift_changes
        )
        failed = f", {p.failed} not acknowledged" if p.failed else ""
        return [
            f"summary: ran {self.seconds:.1f} s against {self.broker}, "
            f"simulated clock {_offset_text(self.offset_ms)}",
            f"summary: simulator published {p.total} raw messages: {p.data} data, "
            f"{p.invalid} invalid, {p.context} context{failed}",
            f"summary: service took in {self.received}: enriched={self.count('enriched')} "
            f"deadletter={self.count('deadletter')} context={self.count('context')}",
            f"summary: dead letters by reason: {by_reason}",
            f"summary: subscriber saw {b.enriched} governed messages and {b.dead} dead letters",
            f"summary: shift changes seen: {changes or 'none'}",
        ]


def _offset_text(ms: int) -> str:
    sign = "-" if ms < 0 else "+"
    s = abs(ms) // 1000
    return f"{sign}{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"


# -- views -----------------------------------------------------------------------------------------


@dataclass
class _Snapshot:
    """Everything a view draws, taken at one instant."""

    elapsed: float
    broker: str
    sim_ms: int
    zones: dict[str, Any]  # site -> tzinfo
    board: Board
    rates: Rates


def _plain_line(s: _Snapshot) -> str:
    r = s.rates
    shifts = " ".join(
        f"{site}={s.board.shifts[site][0] if site in s.board.shifts else '-'}" for site in s.zones
    )
    last = s.board.dead_recent[0][0] if s.board.dead_recent else "-"
    return (
        f"[{s.elapsed:6.1f}s] raw in {r.per_second('raw'):.0f}/s, "
        f"enriched out {r.per_second('enriched'):.0f}/s, "
        f"dead letters {r.per_second('dead'):.1f}/s | shift {shifts} | "
        f"dead letters so far {s.board.dead} (last: {last})"
    )


def _render(s: _Snapshot) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    r, b = s.rates, s.board
    header = Text.assemble(
        ("uns demo", "bold"),
        f"  broker {s.broker}  ·  {s.elapsed:.0f} s  ·  ",
        (
            f"raw in {r.per_second('raw'):.0f}/s  enriched out {r.per_second('enriched'):.0f}/s"
            f"  dead letters {r.per_second('dead'):.1f}/s",
            "cyan",
        ),
    )
    shifts = Table(title="shift per site (as stamped by the service)", title_justify="left")
    for col in ("site", "simulated local time", "shift / crew"):
        shifts.add_column(col)
    for site, tz in s.zones.items():
        local = datetime.fromtimestamp(s.sim_ms / 1000, tz).strftime("%a %H:%M:%S %Z")
        shift = b.shifts[site][0] if site in b.shifts else "-"
        shifts.add_row(site, local, Text(shift, style="bold green"))
    latest = Table(title="latest enriched messages", title_justify="left", expand=True)
    latest.add_column("governed topic", overflow="ellipsis", no_wrap=True, ratio=4)
    latest.add_column("value", justify="right", no_wrap=True)
    for col in ("quality", "shift", "batch", "product", "timestamp (UTC)"):
        latest.add_column(col, no_wrap=True)
    for row in b.rows:
        style = "" if row.quality == "good" else "yellow"
        latest.add_row(
            row.topic,
            row.value,
            Text(row.quality, style=style),
            row.shift,
            row.batch,
            row.product,
            Text(row.timestamp[11:23] + " arrival", style="dim")
            if row.arrival
            else row.timestamp[11:23],
        )
    dead = Table(title=f"dead letters: {b.dead}", title_justify="left", expand=True)
    dead.add_column("reason", style="red", no_wrap=True)
    dead.add_column("raw topic", overflow="ellipsis", no_wrap=True)
    dead.add_column("detail", overflow="ellipsis", no_wrap=True, ratio=2)
    for reason, topic, detail in b.dead_recent:
        dead.add_row(reason, topic, detail)
    counts = "  ".join(f"{reason} {n}" for reason, n in sorted(b.dead_by_reason.items()))
    return Group(header, shifts, latest, dead, Text(f"by reason: {counts or 'none yet'}"))


class _View:
    """Draws snapshots: a live rich display on a terminal, plain lines elsewhere."""

    def __init__(self, live: bool, out: IO[str]) -> None:
        self.live = live
        self.out = out
        self.interval_s = 0.5 if live else 5.0
        self._live: Any = None

    def __enter__(self) -> _View:
        if self.live:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.out)
            self._live = Live(console=console, auto_refresh=False, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def draw(self, snapshot: _Snapshot) -> None:
        if self._live is not None:
            self._live.update(_render(snapshot), refresh=True)
        else:
            print(_plain_line(snapshot), file=self.out, flush=True)


# -- running ---------------------------------------------------------------------------------------


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


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT / SIGTERM set `stop`; a second one cancels the running task (exit at once)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def on_signal() -> None:
        if stop.is_set() and task is not None:
            task.cancel()
        stop.set()

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _governed_filters(ns: Namespace) -> tuple[list[str], str]:
    """Subscriptions covering the governed tree and the dead-letter branch, and the latter's
    prefix (the dead-letter topic without its reason level)."""
    dl = str(ns.deadletter_topic("reason")).rsplit("/", 1)[0] + "/"
    node = next(ns.equipment(), None)
    roots = {dl.split("/", 1)[0]}
    if node is not None and node.tags:
        roots.add(str(ns.governed_topic(node, next(iter(node.tags)))).split("/", 1)[0])
    return [f"{root}/#" for root in sorted(roots)], dl


async def _wait_ready(service: Service, task: asyncio.Task[Any]) -> None:
    """The service has no ready event; it subscribes within milliseconds, so probe briefly."""
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while not service.ready()[0]:
        if task.done():
            task.result()  # raises what stopped it
            raise TransportError("the service stopped during start-up")
        if time.monotonic() > deadline:
            raise TransportError(f"the service is not ready: {service.ready()[1]}")
        await asyncio.sleep(0.02)


def _client(broker: Broker, role: str, token: str, handler: Any = None) -> MqttClient:
    from uns.io.mqtt import BrokerSettings, MqttClient

    settings = BrokerSettings.from_url(
        broker.url, client_id=f"uns-{role}-{token}", clean_start=True, protocol=broker.protocol
    )
    return MqttClient(settings, handler)


def _choose_offset(ns: Namespace, seconds: float | None) -> int:
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
    from uns.service import Service
    from uns.simulator import Simulator

    started = time.monotonic()
    ns = load_model(opts.models)
    offset = _choose_offset(ns, opts.clock_offset_s)
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
    async with contextlib.AsyncExitStack() as cleanup:  # runs its callbacks last-in first-out
        cleanup.enter_context(_stop_on_signals(stop))
        if opts.broker_url is not None:
            broker = Broker("external", opts.broker_url, opts.protocol)
        else:
            broker = await start_embedded(opts.embedded)
        cleanup.push_async_callback(broker.stop)
        service = Service(_service_settings(opts.models, broker, token), ns)
        service_stop = asyncio.Event()
        viewer = _client(broker, "demo-view", token, on_governed)
        publisher = _client(broker, "demo-sim", token)
        cleanup.push_async_callback(_shut_down, tasks, (viewer, publisher))
        cleanup.callback(service_stop.set)
        cleanup.callback(stop.set)
        # The viewer first: an unreachable broker fails here at once, with its address.
        await viewer.connect()
        await viewer.subscribe([(f, 0) for f in filters])
        tasks.append(asyncio.create_task(service.run(service_stop), name="uns.demo.service"))
        await _wait_ready(service, tasks[0])
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
    with _View(opts.live, out) as view:
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
                _Snapshot(
                    elapsed=time.monotonic() - started,
                    broker=str(broker),
                    sim_ms=int(time.time() * 1000) + offset,
                    zones=zones,
                    board=board,
                    rates=rates,
                )
            )
            wait = view.interval_s if end is None else min(view.interval_s, end - now)
            if wait <= 0 or await _wait(stop, wait):
                break
    stop.set()


async def _settle(service: Service, pumped: PumpStats, seen: asyncio.Event) -> None:
    """Let the service take in what was published, as long as output keeps coming."""
    deadline = time.monotonic() + _SETTLE_S
    while service.stats.received < pumped.total - pumped.failed:
        seen.clear()
        if not await _wait(seen, 0.5) or time.monotonic() > deadline:
            return


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
    client = _client(broker, "sim", secrets.token_hex(4))
    started = time.monotonic()
    with _stop_on_signals(stop):
        await client.connect()
        try:
            task = asyncio.create_task(pump(sim, client, rate, stop, qos=qos, stats=stats))
            end = started + duration_s if duration_s is not None else None
            while not task.done():
                wait = 5.0 if end is None else min(5.0, end - time.monotonic())
                if wait <= 0 or await _wait(stop, wait):
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


# -- command line ----------------------------------------------------------------------------------


def _setup_logging(err: IO[str]) -> None:
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    # The demo shows dead letters itself; the service's per-reason warnings would repeat them.
    logging.getLogger("uns.service").setLevel(logging.ERROR)
    logging.getLogger("gmqtt").setLevel(logging.ERROR)


def _offset_arg(text: str) -> float | None:
    if text == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a number of seconds or 'auto'") from None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


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
        _setup_logging(sys.stderr)
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


def _simulate_command(args: argparse.Namespace) -> int:
    from uns.config.loader import load_model
    from uns.simulator import Simulator

    _setup_logging(sys.stderr)
    ns = load_model(args.models)
    offset = _choose_offset(ns, args.clock_offset)
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    sim = Simulator(ns, seed=seed, clock_offset_ms=offset)
    broker = Broker("external", args.broker, args.protocol)
    print(
        f"simulate: {len(sim.points)} points in {len(sim.bindings)} bindings, "
        f"{len(sim.context_sources)} MES sources, seed {seed}, "
        f"clock offset {_offset_text(offset)}, {args.rate:g} msg/s to {args.broker}",
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


def add_demo_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uns demo` and `uns simulate` to the CLI's subcommands."""
    demo = sub.add_parser(
        "demo",
        help="try it: embedded broker, simulated plant, the service and a live view",
        description="Runs everything in one process: a broker (embedded unless --broker), the "
        "service, a simulated plant and a live view of the governed tree. Ctrl+C stops it.",
    )
    demo.add_argument("--broker", metavar="URL", help="use this broker instead of an embedded one")
    demo.add_argument("--models", metavar="DIR", default="models", help="default: models")
    demo.add_argument("--duration", type=_positive, metavar="S", help="stop after S seconds")
    demo.add_argument(
        "--rate", type=_positive, default=DEFAULT_RATE, metavar="N", help="raw msg/s (200)"
    )
    demo.add_argument(
        "--embedded",
        choices=["auto", "mosquitto", "amqtt"],
        help=f"which embedded broker (default: ${BROKER_ENV} or auto: mosquitto if installed)",
    )
    demo.add_argument("--protocol", type=int, choices=[4, 5], default=5, help="with --broker")
    demo.add_argument("--seed", type=int, help="simulator seed (default: random)")
    demo.add_argument(
        "--clock-offset", type=_offset_arg, default=None, metavar="S|auto", help="default: auto"
    )
    demo.add_argument("--plain", action="store_true", help="summary lines, no live view")
    demo.set_defaults(func=_demo_command)

    simulate = sub.add_parser(
        "simulate",
        help="publish realistic raw traffic for a model to a broker (trials, benchmarks)",
        description="Derives topics, payloads, raw tag names and codes from the model's "
        "bindings and MES sources; ~1%% of messages are deliberately invalid.",
    )
    simulate.add_argument("--broker", metavar="URL", required=True, help="mqtt://host:1883")
    simulate.add_argument("--models", metavar="DIR", default="models", help="default: models")
    simulate.add_argument(
        "--rate", type=_positive, default=DEFAULT_RATE, metavar="N", help="msg/s (200)"
    )
    simulate.add_argument("--duration", type=_positive, metavar="S", help="stop after S seconds")
    simulate.add_argument(
        "--clock-offset",
        type=_offset_arg,
        default=0.0,
        metavar="S|auto",
        help="shift the simulated clock by S seconds; auto: a shift change in ~30 s",
    )
    simulate.add_argument("--seed", type=int, help="default: random")
    simulate.add_argument("--qos", type=int, choices=[0, 1], default=1)
    simulate.add_argument("--protocol", type=int, choices=[4, 5], default=5, help="MQTT version")
    simulate.set_defaults(func=_simulate_command)


__all__ = [
    "DEFAULT_RATE",
    "Board",
    "Broker",
    "DemoOptions",
    "PumpStats",
    "Rates",
    "Summary",
    "add_demo_parsers",
    "pump",
    "run_demo",
    "run_simulate",
    "start_embedded",
]
