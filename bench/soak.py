"""Soak: `uns run` at a steady rate for minutes; memory, queues and delivery must stay flat.

Processes (each its own, so the service's CPU and memory are its own): a loopback mosquitto
(bench/transport_relay.py's config: no persistence, unbounded queues), `python -m uns run`
(100 bindings, metrics on a free port), a raw-MQTT publisher at a steady `--rate`
(bench/e2e.py's `rate-publisher`: each value carries its sequence number and send time) and
the sink below, which counts arrivals per sequence number and measures latency.

Every `--sample-s` seconds the parent records the service's RSS (VmRSS) and CPU from /proc, the
broker's RSS, and from the service's /metrics: `uns_messages_in_flight`,
`uns_publishes_pending`, `uns_messages_received_total` and `uns_published_total`. At the end
it reports messages lost and duplicated, RSS first/last/max and its slope (MB per hour, least
squares, over the samples after the first minute so that start-up and cache filling do not
count), the queue depth maximum and latency percentiles, and writes bench/results/soak.json.
Exit status 1 when a message was lost or the service died.

    .venv/bin/python bench/soak.py [--minutes 10] [--rate 2000] [--sample-s 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import e2e  # sibling scripts, not a package
import transport_relay as tr

SELF = str(Path(__file__).resolve())
OUT = Path(SELF).parent / "results" / "soak.json"
WARMUP_S = 60.0  # samples before this are left out of the RSS slope
LAT_RES = 10  # latency histogram buckets per millisecond
LAT_MAX_MS = 10_000


# -- the sink (a child process) -------------------------------------------------------------


@dataclass
class Latency:
    """A fixed-resolution histogram of milliseconds: constant memory for any run length."""

    counts: list[int] = field(default_factory=lambda: [0] * (LAT_MAX_MS * LAT_RES + 1))
    n: int = 0
    top: float = 0.0

    def add(self, ms: float) -> None:
        self.counts[min(max(int(ms * LAT_RES), 0), LAT_MAX_MS * LAT_RES)] += 1
        self.n += 1
        self.top = max(self.top, ms)

    def percentile(self, p: float) -> float | None:
        if not self.n:
            return None
        rank, running = p * (self.n - 1), 0
        for i, count in enumerate(self.counts):
            running += count
            if running > rank:
                return round(i / LAT_RES, 1)
        return float(LAT_MAX_MS)


async def sink(port: int, total: int, every_s: float, deadline_s: float) -> None:
    """Acknowledge and count enriched messages; a progress line every `every_s` seconds."""
    reader, writer = await tr.raw_connect(port, f"soak-sink-{os.getpid()}")
    writer.write(tr.frame(0x82, b"\x00\x01" + tr.mqtt_str(f"{e2e.OUT_ROOT}/site1/#") + b"\x01"))
    await reader.readexactly(5)
    tr.emit(ready=True)
    seen = bytearray(total)
    received = unique = 0
    overall, window = Latency(), Latency()
    buf = b""
    next_report = time.monotonic() + every_s

    def report(final: bool = False) -> None:
        tr.emit(
            final=final,
            received=received,
            unique=unique,
            p50_ms=window.percentile(0.5),
            p99_ms=window.percentile(0.99),
            max_ms=round(window.top, 1),
            **(
                {
                    "overall_p50_ms": overall.percentile(0.5),
                    "overall_p99_ms": overall.percentile(0.99),
                    "overall_max_ms": round(overall.top, 1),
                }
                if final
                else {}
            ),
        )

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(deadline_s):
            while unique < total:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, next_report - time.monotonic())):
                        data = await reader.read(262144)
                        if not data:
                            break
                        now_us = time.time_ns() // 1000
                        buf += data
                        acks, pos = [], 0
                        for head, body, nxt in e2e._frames(buf):
                            pos = nxt
                            if head & 0xF0 != 0x30:
                                continue
                            at = body + 2 + int.from_bytes(buf[body : body + 2], "big")
                            if head & 0x06:
                                acks.append(b"\x40\x02" + buf[at : at + 2])
                                at += 2
                            seq, sent_mod = divmod(e2e.value_of(buf[at:nxt]), 10**12)
                            if not 0 <= seq < total:
                                continue  # a start-up probe
                            received += 1
                            if not seen[seq]:
                                seen[seq] = 1
                                unique += 1
                            ms = (now_us % 10**12 - sent_mod) / 1000
                            overall.add(ms)
                            window.add(ms)
                        buf = buf[pos:]
                        writer.write(b"".join(acks))
                if time.monotonic() >= next_report:
                    report()
                    window = Latency()
                    next_report += every_s
    report(final=True)
    writer.close()


# -- the parent -------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return round(int(match[1]) / 1024, 2) if match else float("nan")


async def scrape(port: int) -> dict[str, float]:
    """The service's /metrics as {name{labels}: value} (comments dropped)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: soak\r\n\r\n")
    text = (await reader.read()).decode()
    writer.close()
    body = text.partition("\r\n\r\n")[2]
    out = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                out[name] = float(value)
    return out


def slope_per_hour(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) points, in MB per hour."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    if var == 0:
        return None
    cov = sum((t - mx) * (v - my) for t, v in points)
    return round(cov / var * 3600, 2)


class Progress:
    """The sink's latest progress line, read in the background."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.latest: dict[str, Any] = {"received": 0, "unique": 0}
        self.final = asyncio.Event()
        self.window_p99: list[float] = []  # sink windows since the last sample
        self._task = asyncio.create_task(self._read(proc))

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            self.latest = json.loads(line)
            if self.latest.get("p99_ms") is not None:
                self.window_p99.append(self.latest["p99_ms"])
            if self.latest.get("final"):
                self.final.set()
        self.final.set()


async def wait_metrics(port: int, within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while True:
        try:
            await scrape(port)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)  # a listening port sends no event (start-up only)


@dataclass
class Stack:
    """The running processes of one soak."""

    children: tr.Children
    broker_pid: int
    service: asyncio.subprocess.Process
    metrics_port: int
    progress: Progress
    publisher: asyncio.subprocess.Process


async def start_stack(
    children: tr.Children, tmp: Path, mosquitto: str, args: argparse.Namespace, total: int
) -> Stack:
    port, broker_pid = await tr.start_broker(children, tmp, mosquitto)
    models = tmp / "models"
    models.mkdir()
    e2e.write_model(models, args.bindings)
    metrics_port = tr.free_port()
    settings = tmp / "soak-settings.yaml"  # outside the models dir
    settings.write_text(
        f"models: {models}\n"
        f"broker: {{url: 'mqtt://127.0.0.1:{port}', client_id: uns-soak}}\n"
        f"subscribe: ['{e2e.RAW}#']\n"
        f"metrics_port: {metrics_port}\n"
        "log_level: warning\n"
    )
    service = await children.spawn(sys.executable, "-m", "uns", "run", "--config", str(settings))
    await e2e._wait_subscribed(port, service, children)
    await wait_metrics(metrics_port)
    sink_proc = await children.spawn(
        sys.executable, SELF, "--role", "sink", "--port", str(port),
        "--total", str(total), "--deadline-s", str(args.minutes * 60 + 120),
    )  # fmt: skip
    await children.read_json(sink_proc, 30)  # ready
    progress = Progress(sink_proc)
    publisher = await children.spawn(
        sys.executable, e2e.SELF, "--role", "rate-publisher", "--port", str(port),
        "--rate", str(args.rate), "--seconds", str(args.minutes * 60),
    )  # fmt: skip
    return Stack(children, broker_pid, service, metrics_port, progress, publisher)


async def sample_until_done(
    stack: Stack, args: argparse.Namespace, total: int
) -> tuple[list[dict[str, Any]], bool]:
    """A sample every `--sample-s` until the sink has everything (or a minute after the
    publisher finished); False when the service died."""
    samples: list[dict[str, Any]] = []
    service, progress = stack.service, stack.progress
    started = time.monotonic()
    cpu_before, t_before = tr.cpu_seconds(service.pid), started
    published = asyncio.create_task(stack.publisher.wait())
    drain_until: float | None = None
    while True:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.sample_s):
                await asyncio.shield(progress.final.wait())
        now = time.monotonic()
        if service.returncode is not None:
            print(f"uns run exited: {stack.children.stderr_tail(service)}", file=sys.stderr)
            return samples, False
        cpu = tr.cpu_seconds(service.pid)
        metrics = await scrape(stack.metrics_port)
        sample = {
            "t_s": round(now - started, 1),
            "rss_mb": rss_mb(service.pid),
            "cpu_pct": round((cpu - cpu_before) / (now - t_before) * 100, 1),
            "broker_rss_mb": rss_mb(stack.broker_pid),
            "in_flight": metrics.get("uns_messages_in_flight"),
            "publishes_pending": metrics.get("uns_publishes_pending"),
            "received": metrics.get("uns_messages_received_total"),
            "published": metrics.get('uns_published_total{kind="enriched"}'),
            "sink_unique": progress.latest["unique"],
            "sent_by_schedule": min(total, int((now - started) * args.rate)),
            "p99_ms": max(progress.window_p99, default=None),
        }
        progress.window_p99.clear()
        cpu_before, t_before = cpu, now
        samples.append(sample)
        print(json.dumps(sample), flush=True)
        if progress.final.is_set():
            return samples, True
        if published.done() and drain_until is None:
            drain_until = now + 60  # what is still queued must arrive within a minute
        if drain_until is not None and now > drain_until:
            return samples, True


async def soak(
    args: argparse.Namespace, mosquitto: str
) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
    total = int(args.rate * args.minutes * 60)
    with tempfile.TemporaryDirectory(prefix="uns-soak-") as tmp_text:
        children = tr.Children(Path(tmp_text))
        try:
            stack = await start_stack(children, Path(tmp_text), mosquitto, args, total)
            samples, healthy = await sample_until_done(stack, args, total)
            final = stack.progress.latest
        finally:
            await children.kill_all()
    return summarise(total, final, samples, healthy), samples, healthy


def summarise(
    total: int,
    final: dict[str, Any],
    samples: list[dict[str, Any]],
    healthy: bool,
) -> dict[str, Any]:
    rss = [s["rss_mb"] for s in samples]
    settled = [(s["t_s"], s["rss_mb"]) for s in samples if s["t_s"] >= WARMUP_S]
    broker = [s["broker_rss_mb"] for s in samples]

    def top(key: str) -> float | None:
        values = [s[key] for s in samples if s[key] is not None]
        return max(values) if values else None

    cpu = [s["cpu_pct"] for s in samples]
    return {
        "service_alive": healthy,
        "sent": total,
        "received": final.get("received", 0),
        "unique": final.get("unique", 0),
        "lost": total - final.get("unique", 0),
        "duplicates": final.get("received", 0) - final.get("unique", 0),
        "rss_mb": {"first": rss[0], "last": rss[-1], "max": max(rss)} if rss else None,
        "rss_slope_mb_per_h": slope_per_hour(settled),
        "rss_slope_mb_per_h_all_samples": slope_per_hour(
            [(s["t_s"], s["rss_mb"]) for s in samples]
        ),
        "broker_rss_mb": {"first": broker[0], "last": broker[-1]} if broker else None,
        "in_flight_max": top("in_flight"),
        "publishes_pending_max": top("publishes_pending"),
        "cpu_pct_mean": round(sum(cpu) / len(cpu), 1) if cpu else None,
        "latency_ms": {
            "p50": final.get("overall_p50_ms"),
            "p99": final.get("overall_p99_ms"),
            "max": final.get("overall_max_ms"),
        },
    }


async def parent_main(args: argparse.Namespace) -> int:
    mosquitto = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    if mosquitto is None:
        print("mosquitto not found", file=sys.stderr)
        return 2
    env = tr.versions()
    env["load_avg_at_start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    summary, samples, healthy = await soak(args, mosquitto)
    env["load_avg_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report = {
        "benchmark": "soak",
        "environment": env,
        "config": {
            "minutes": args.minutes,
            "rate": args.rate,
            "bindings": args.bindings,
            "sample_s": args.sample_s,
        },
        "summary": summary,
        "samples": samples,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0 if healthy and summary["lost"] == 0 else 1


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--rate", type=int, default=2000, help="messages per second")
    p.add_argument("--sample-s", type=float, default=10.0, help="seconds between samples")
    p.add_argument("--bindings", type=int, default=100)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--role", default="parent", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--total", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--deadline-s", type=float, default=0, help=argparse.SUPPRESS)
    return p.parse_args()


def main() -> int:
    args = parse_args()
    if args.role == "sink":
        asyncio.run(sink(args.port, args.total, 1.0, args.deadline_s))
        return 0
    return asyncio.run(parent_main(args))


if __name__ == "__main__":
    raise SystemExit(main())
