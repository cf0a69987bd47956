"""End-to-end benchmark: publisher -> mosquitto -> `uns run` -> sink, each a separate process.

Scenarios, all in one run so their ratios are comparable on a noisy shared machine:

- `relay`: the reference, a plain pass-through relay on gmqtt that acks at once (issue 11);
- `nodered`: Node-RED mqtt-in -> function (a comparable enrichment) -> mqtt-out at QoS 1
  (bench/nodered.py; installed from npm on first use, skipped without node/npm or `--no-nodered`);
- `uns-<N>`: the real service (`python -m uns run`) with N bindings, at full speed (QoS 1);
- `latency-<rate>`: the service with 100 bindings at a steady rate, p50/p99 end to end.

Reported per scenario: msg/s, messages lost, duplicated and reordered, the service's (or
relay's) CPU seconds and CPU microseconds per message, and for the latency scenario the
percentiles. A scenario that loses or reorders messages makes the run exit 1 (bench/accounting.py).
The publisher and throughput sink are the raw-MQTT ones of bench/transport_relay.py, so they are
never the bottleneck. Results: bench/results/e2e.json (summarised in docs/performance.md).

    .venv/bin/python bench/e2e.py [--messages 50000] [--bindings 100,100000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import nodered  # sibling scripts, not a package
import transport_relay as tr
from accounting import Arrivals, account, verdict

SELF = str(Path(__file__).resolve())
ROOT = Path(SELF).parent.parent
RAW = "bench/raw/"
OUT_ROOT = "plant"  # the enterprise name: governed topics are plant/...
LINES, TAGS = 10, 10  # 100 hot topics: bench/raw/site1/lineNN/tagNN


def hot_topic(seq: int) -> str:
    return f"{RAW}site1/line{seq % LINES:02d}/tag{(seq // LINES) % TAGS:02d}"


def raw_payload(value: int, ts_ms: int) -> bytes:
    """About 100 bytes like a gateway sample; `v` carries the sequence (and send time)."""
    head = b'{"v":%d,"ts":%d,"q":192,"src":"' % (value, ts_ms)
    return head + b"x" * max(0, 96 - len(head)) + b'"}'


def value_of(enriched: bytes) -> int:
    """The integer `value` of an enriched payload: `{"id":"...","value":123,...`."""
    at = enriched.index(b'"value":') + 8
    return int(enriched[at : enriched.index(b",", at)])


# -- the model ----------------------------------------------------------------------------------


def write_model(root: Path, bindings: int) -> None:
    """N literal bindings; the first 100 cover the hot topics, the rest are plausible others."""
    lines = [
        f"enterprise: {{name: {OUT_ROOT}}}",
        "classes:",
        "  sensor:",
        "    tags:",
        *(f"      tag{t:02d}: int" for t in range(TAGS)),
        "sites:",
        "  site1:",
        "    timezone: Europe/Berlin",
        "    area:",
        "      main:",
        "        line:",
    ]
    for line in range(LINES):
        lines += [
            f"          line{line:02d}:",
            "            equipment:",
            "              sensor-1: sensor",
        ]
    lines.append("bindings:")
    fields = "fields: {value: v, timestamp: ts, quality: q}"
    n = 0
    for line in range(LINES):
        for tag in range(TAGS):
            lines.append(
                f'  - {{topic: "{RAW}site1/line{line:02d}/tag{tag:02d}", {fields}, '
                f"equipment: site1/main/line{line:02d}/sensor-1, tag: tag{tag:02d}}}"
            )
            n += 1
    other = 0
    while n < bindings:
        lines.append(
            f'  - {{topic: "{RAW}site{2 + other // 1000}/line{other % 1000:03d}/x", {fields}, '
            f"equipment: site1/main/line00/sensor-1, tag: tag00}}"
        )
        other += 1
        n += 1
    # Files of at most 20k bindings: the loader refuses a model file over 10 MB.
    head, body = lines[: lines.index("bindings:")], lines[lines.index("bindings:") + 1 :]
    (root / "model.yaml").write_text("\n".join(head) + "\n")
    for start in range(0, len(body), 20_000):
        chunk = ["bindings:", *body[start : start + 20_000]]
        (root / f"bindings-{start // 20_000:03d}.yaml").write_text("\n".join(chunk) + "\n")


def write_settings(root: Path, port: int, client_id: str) -> Path:
    path = root.parent / f"{root.name}-settings.yaml"  # outside: every YAML in root is model
    path.write_text(
        f"models: {root}\n"
        f"broker: {{url: 'mqtt://127.0.0.1:{port}', client_id: {client_id}, clean_start: true}}\n"
        f"subscribe: ['{RAW}#']\n"
        "metrics_port: null\n"
        "log_level: warning\n"
        "model_limits: {max_file_mb: 32}\n"  # 100k bindings are one 13 MB file
    )
    return path


# -- child roles --------------------------------------------------------------------------------


async def publisher_max(port: int, count: int) -> None:
    """`count` QoS 1 messages as fast as the window allows (pre-built frames)."""
    reader, writer = await tr.raw_connect(port, f"pub-{os.getpid()}")
    now = int(time.time() * 1000)
    frames = [
        tr.frame(
            0x32,
            tr.mqtt_str(hot_topic(seq))
            + (seq % 65535 + 1).to_bytes(2, "big")
            + raw_payload(seq, now),
        )
        for seq in range(count)
    ]
    window, chunk = 5_000, 500
    acked = sent = 0
    start = time.monotonic_ns()
    while acked < count:
        while sent < count and sent - acked < window:
            writer.write(b"".join(frames[sent : sent + chunk]))
            sent = min(count, sent + chunk)
        await writer.drain()
        acked += len(await reader.read(65536)) // 4
    tr.emit(start_ns=start, end_ns=time.monotonic_ns())
    writer.close()


async def publisher_rate(port: int, rate: int, seconds: float) -> None:
    """A steady `rate` msg/s for `seconds`; each value holds (seq, send time in us)."""
    reader, writer = await tr.raw_connect(port, f"pubr-{os.getpid()}")
    drain = asyncio.create_task(_drain_acks(reader))
    total = int(rate * seconds)
    t0 = time.monotonic()
    batch = max(1, rate // 500)  # send in small bursts every 2 ms
    seq = 0
    while seq < total:
        due = t0 + seq / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        out = []
        for _ in range(min(batch, total - seq)):
            sent_us = time.time_ns() // 1000
            value = seq * 10**12 + sent_us % 10**12  # stays within int64 for orjson
            body = tr.mqtt_str(hot_topic(seq)) + (seq % 65535 + 1).to_bytes(2, "big")
            out.append(tr.frame(0x32, body + raw_payload(value, sent_us // 1000)))
            seq += 1
        writer.write(b"".join(out))
        await writer.drain()
    await asyncio.sleep(0.5)
    drain.cancel()
    tr.emit(sent=total)
    writer.close()


async def _drain_acks(reader: asyncio.StreamReader) -> None:
    while await reader.read(65536):
        pass


async def latency_sink(port: int, count: int, deadline_s: float) -> None:
    """Receive enriched messages; latency = arrival - the send time packed in the value."""
    reader, writer = await tr.raw_connect(port, f"lsink-{os.getpid()}")
    writer.write(tr.frame(0x82, b"\x00\x01" + tr.mqtt_str(f"{OUT_ROOT}/site1/#") + b"\x01"))
    await reader.readexactly(5)
    tr.emit(ready=True)
    latencies: list[float] = []
    arrivals = Arrivals(count)
    buf = b""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(deadline_s):
            while arrivals.unique < count:
                data = await reader.read(262144)
                if not data:
                    break
                now_us = time.time_ns() // 1000
                buf += data
                acks, pos = [], 0
                for head, body, nxt in _frames(buf):
                    if head & 0xF0 == 0x30:
                        tlen = int.from_bytes(buf[body : body + 2], "big")
                        at = body + 2 + tlen
                        if head & 0x06:
                            acks.append(b"\x40\x02" + buf[at : at + 2])
                            at += 2
                        value = value_of(buf[at:nxt])
                        seq, sent_mod = divmod(value, 10**12)
                        before = arrivals.unique
                        arrivals.arrive(buf[body + 2 : body + 2 + tlen], seq)
                        if arrivals.unique > before:  # first arrival of this message
                            latencies.append((now_us % 10**12 - sent_mod) / 1000)
                    pos = nxt
                buf = buf[pos:]
                writer.write(b"".join(acks))
    lat = sorted(latencies)

    def pct(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

    # A summary, not the raw list: one JSON line the parent can read.
    tr.emit(
        **arrivals.summary(),
        p50_ms=pct(0.50),
        p99_ms=pct(0.99),
        max_ms=round(lat[-1], 2) if lat else None,
        mean_ms=round(statistics.fmean(lat), 2) if lat else None,
    )
    writer.close()


def _frames(buf: bytes):  # type: ignore[no-untyped-def]
    """(first byte, body offset, next frame offset) for every complete frame in `buf`."""
    pos, end = 0, len(buf)
    while pos + 2 <= end:
        length, shift, i = 0, 0, pos + 1
        while i < end and buf[i] & 0x80:
            length |= (buf[i] & 0x7F) << shift
            shift, i = shift + 7, i + 1
        if i >= end:
            return
        length |= buf[i] << shift
        nxt = i + 1 + length
        if nxt > end:
            return
        yield buf[pos], i + 1, nxt
        pos = nxt


def child_main(args: argparse.Namespace) -> None:
    if args.role == "publisher":
        asyncio.run(publisher_max(args.port, args.messages))
    elif args.role == "rate-publisher":
        asyncio.run(publisher_rate(args.port, args.rate, args.seconds))
    elif args.role == "latency-sink":
        asyncio.run(latency_sink(args.port, int(args.rate * args.seconds), args.timeout))
    elif args.role == "sink":
        tr.seq_of = value_of  # the throughput sink reads the sequence from the enriched value
        asyncio.run(tr.sink_main(args.port, args.messages, args.filter, 5.0, args.timeout))


# -- the parent ---------------------------------------------------------------------------------


async def start_service(children: tr.Children, tmp: Path, port: int, bindings: int) -> Any:
    models = tmp / f"models-{bindings}"
    models.mkdir()
    write_model(models, bindings)
    settings = write_settings(models, port, f"uns-bench-{bindings}")
    started = time.monotonic()
    service = await children.spawn(
        sys.executable, "-m", "uns", "run", "--config", str(settings), "--models", str(models)
    )
    # The service logs nothing at warning level when healthy: wait for its subscription by
    # publishing a probe would race, so poll its CPU until start-up (loading) settles.
    await _wait_subscribed(port, service, children)
    return service, time.monotonic() - started


async def _wait_subscribed(port: int, service: Any, children: tr.Children) -> None:
    """Publish probes on a hot topic until an enriched copy shows up (bounded)."""
    reader, writer = await tr.raw_connect(port, f"probe-{os.getpid()}")
    writer.write(tr.frame(0x82, b"\x00\x01" + tr.mqtt_str(f"{OUT_ROOT}/#") + b"\x00"))
    await reader.readexactly(5)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if service.returncode is not None:
            raise RuntimeError(f"uns run exited: {children.stderr_tail(service)}")
        probe = tr.frame(0x30, tr.mqtt_str(hot_topic(0)) + raw_payload(-1, int(time.time() * 1000)))
        writer.write(probe)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                if await reader.read(65536):
                    break
    writer.close()


async def throughput(name: str, args: argparse.Namespace, mosquitto: str) -> dict[str, Any]:
    me = [sys.executable, SELF]
    n = args.messages
    with tempfile.TemporaryDirectory(prefix="uns-e2e-") as tmp_text:
        tmp = Path(tmp_text)
        children = tr.Children(tmp)
        try:
            port, _ = await tr.start_broker(children, tmp, mosquitto)
            base = ["--port", str(port), "--messages", str(n), "--timeout", str(args.timeout)]
            load_s = 0.0
            if name == "relay":  # the relay benchmark's own roles and payloads
                relay = [sys.executable, tr.SELF]
                worker = await children.spawn(*relay, "--role", "relay", "--client", "gmqtt", *base)
                await children.read_json(worker, 30)
                sink = await children.spawn(
                    *relay, "--role", "sink", "--filter", tr.OUT + "#", *base
                )
                await children.read_json(sink, 30)
                cpu0 = tr.cpu_seconds(worker.pid)
                pub = await children.spawn(*relay, "--role", "publisher", *base)
            elif name == "nodered":
                red = nodered.node_red()
                assert red is not None
                args_red = nodered.write_user_dir(
                    tmp / "nodered",
                    port,
                    ui_port=tr.free_port(),
                    raw=RAW,
                    out_root=OUT_ROOT,
                    lines=LINES,
                    tags=TAGS,
                )
                started = time.monotonic()
                worker = await children.spawn(*red, *args_red)
                await _wait_subscribed(port, worker, children)
                load_s = time.monotonic() - started
                sink = await children.spawn(
                    *me, "--role", "sink", "--filter", f"{OUT_ROOT}/site1/#", *base
                )
                await children.read_json(sink, 30)
                cpu0 = tr.cpu_seconds(worker.pid)
                pub = await children.spawn(*me, "--role", "publisher", *base)
            else:
                worker, load_s = await start_service(children, tmp, port, int(name.split("-")[1]))
                sink = await children.spawn(
                    *me, "--role", "sink", "--filter", f"{OUT_ROOT}/site1/#", *base
                )
                await children.read_json(sink, 30)
                cpu0 = tr.cpu_seconds(worker.pid)
                pub = await children.spawn(*me, "--role", "publisher", *base)
            sunk = await children.read_json(sink, args.timeout + 30)
            cpu = tr.cpu_seconds(worker.pid) - cpu0
            published = await children.read_json(pub, 30)
        finally:
            await children.kill_all()
    elapsed = (sunk["last_ns"] - published["start_ns"]) / 1e9 if sunk["received"] else 0
    return {
        "scenario": name,
        **account(n, sunk),
        "msg_per_s": round(sunk["unique"] / elapsed) if elapsed else 0,
        "cpu_s": round(cpu, 2),
        "cpu_us_per_msg": round(cpu / max(1, sunk["unique"]) * 1e6, 1),
        "msg_per_cpu_s": round(sunk["unique"] / cpu) if cpu else 0,
        "startup_s": round(load_s, 1),
    }


async def latency(args: argparse.Namespace, mosquitto: str) -> dict[str, Any]:
    me = [sys.executable, SELF]
    rate, seconds = args.rate, args.seconds
    with tempfile.TemporaryDirectory(prefix="uns-e2e-") as tmp_text:
        tmp = Path(tmp_text)
        children = tr.Children(tmp)
        try:
            port, _ = await tr.start_broker(children, tmp, mosquitto)
            worker, _ = await start_service(children, tmp, port, 100)
            common = ["--port", str(port), "--rate", str(rate), "--seconds", str(seconds)]
            sink = await children.spawn(
                *me, "--role", "latency-sink", *common, "--timeout", str(seconds + 30)
            )
            await children.read_json(sink, 30)
            cpu0 = tr.cpu_seconds(worker.pid)
            await children.spawn(*me, "--role", "rate-publisher", *common)
            sunk = await children.read_json(sink, seconds + 60)
            cpu = tr.cpu_seconds(worker.pid) - cpu0
        finally:
            await children.kill_all()
    total = int(rate * seconds)
    return {
        "scenario": f"latency-{rate}",
        "rate": rate,
        "seconds": seconds,
        **account(total, sunk),
        "p50_ms": sunk["p50_ms"],
        "p99_ms": sunk["p99_ms"],
        "max_ms": sunk["max_ms"],
        "mean_ms": sunk["mean_ms"],
        "cpu_s": round(cpu, 2),
    }


async def parent_main(args: argparse.Namespace) -> int:
    mosquitto = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    if mosquitto is None:
        print("mosquitto not found", file=sys.stderr)
        return 2
    results = []
    scenarios = ["relay", *(f"uns-{b}" for b in args.bindings.split(","))]
    if args.nodered and nodered.node_red() is not None:
        scenarios.insert(1, "nodered")
    for name in scenarios:
        result = await throughput(name, args, mosquitto)
        print(json.dumps(result), flush=True)
        results.append(result)
    for rate in (int(r) for r in args.rates.split(",")):
        args.rate = rate
        lat = await latency(args, mosquitto)
        print(json.dumps(lat), flush=True)
        results.append(lat)
    env = tr.versions()
    if "nodered" in scenarios:
        env["node-red"] = nodered.version()
    env["load_avg_at_start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    by = {r["scenario"]: r for r in results}
    relay = by["relay"]["msg_per_s"] or 1
    relay_cpu = by["relay"]["msg_per_cpu_s"] or 1
    summary = {
        f"{k}_vs_relay": round(by[k]["msg_per_s"] / relay, 2) for k in by if k.startswith("uns-")
    }
    summary.update(
        {
            f"{k}_per_cpu_vs_relay": round(by[k]["msg_per_cpu_s"] / relay_cpu, 2)
            for k in by
            if k.startswith("uns-")
        }
    )
    if "nodered" in by and by["nodered"]["msg_per_cpu_s"]:
        red, red_cpu = by["nodered"]["msg_per_s"] or 1, by["nodered"]["msg_per_cpu_s"]
        for k in (k for k in by if k.startswith("uns-")):
            summary[f"{k}_vs_nodered"] = round(by[k]["msg_per_s"] / red, 2)
            summary[f"{k}_per_cpu_vs_nodered"] = round(by[k]["msg_per_cpu_s"] / red_cpu, 2)
    counts = [k for k in by if k.startswith("uns-")]
    if len(counts) >= 2:
        first, last = by[counts[0]]["msg_per_s"], by[counts[-1]]["msg_per_s"]
        summary["binding_scaling_ratio"] = round(last / first, 2) if first else None
    report = {"benchmark": "e2e", "environment": env, "summary": summary, "results": results}
    out = ROOT / "bench" / "results" / "e2e.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(summary))
    return verdict(results)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--role", default="parent")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--messages", type=int, default=50_000)
    p.add_argument("--bindings", default="100,100000")
    p.add_argument("--rate", type=int, default=5000)  # for the rate-publisher child
    p.add_argument("--rates", default="1000,5000", help="latency scenarios, msg/s")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--filter", default="")
    p.add_argument("--no-nodered", dest="nodered", action="store_false", help="skip Node-RED")
    return p.parse_args()


def main() -> int:
    args = parse_args()
    if args.role == "parent":
        return asyncio.run(parent_main(args))
    child_main(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
