"""Chaos: a bounded adversarial suite against a real mosquitto and a real `uns run`.

Every case sends raw messages that each carry a unique id, then waits until every id came out
of the service once, as an enriched value or as a dead letter, or until the output stays quiet.
The table says, per case: sent, accounted for (enriched + dead-lettered ids), lost, duplicates
(ids seen more than once), and the service's peak RSS during the case (VmRSS polled from
/proc). Exit status 1 when any case lost a message, replay twice brought a duplicate, or the
service died.

Cases: a flood of distinct raw topics (unknown equipment), a flood of distinct never-born
Sparkplug edge nodes (also counts the rebirth requests: the global limit bounds them),
oversized payloads, malformed payloads of many kinds (not JSON, not UTF-8, duplicate keys,
integers beyond 64 bits, deep JSON), an over-long MES context value, a reload storm (the
models directory rewritten, half of the versions broken, while valid values flow), a broker
restart under load (mosquitto with persistence, SIGKILL), and replay of the same dead letters
twice after the model learned their equipment (0 duplicates expected: the replay journal makes
the second run skip what the first republished).

    .venv/bin/python bench/chaos.py [--quick]      # or: make chaos

Results go to bench/results/chaos.json (`--quick`, the CI version, writes nothing unless
`--out` is given).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from uns.demo.mosquitto import MosquittoProcess, start_mosquitto

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "chaos.json"
ENTERPRISE = "chaos"
ID = re.compile(rb"~(\d+)~")  # the id marker, valid in topics and payloads
QUIET_S = 3.0  # no new output for this long after the last send: the case is over
AUTOSAVE = ("autosave_interval 1", "autosave_on_changes true", "max_queued_messages 0")

MODEL = """\
enterprise:
  name: chaos
classes:
  oven:
    tags:
      temperature: {datatype: float, unit: degC}
      count: int
sites:
  s1:
    timezone: UTC
    area:
      a:
        line:
          l1:
            equipment:
%(equipment)s
bindings:
  - name: open-json
    topic: "raw/json/{asset}/{raw_tag}"
    format: json
    fields: {value: v, timestamp: ts}
    equipment: "s1/a/l1/{asset}"
    tag: "{raw_tag}"
  - name: edge
    format: sparkplug
    topic: "spBv1.0/chaos/{node}"
    equipment: "s1/a/l1/oven-1"
    tag: "{tag}"
context:
  - name: batches
    topic: "mes/{line}/batch"
    scope: "s1/a/{line}"
    fields: {batch: batch_id}
"""


def model_text(equipment: list[str], broken: bool = False) -> str:
    rows = "\n".join(f"              {name}: oven" for name in equipment)
    text = MODEL % {"equipment": rows}
    return text + ("  - name: [broken\n" if broken else "")


@dataclass
class Row:
    case: str
    sent: int
    accounted: int
    lost: int
    duplicates: int
    peak_rss_mb: float
    seconds: float
    note: str = ""


class Sink:
    """Every output of the service, by id (from the enriched value or the dead letter)."""

    def __init__(self, port: int) -> None:
        self.seen: Counter[int] = Counter()
        self.commands = 0  # Sparkplug NCMD rebirth requests
        self.last = time.monotonic()
        self.lock = threading.Lock()
        self.client = _client("chaos-sink", port, persistent=True)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: c.subscribe(
            [(f"{ENTERPRISE}/#", 1), ("spBv1.0/+/NCMD/#", 0)]
        )
        self.client.connect("127.0.0.1", port, clean_start=False, properties=session())
        self.client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        ident = self._id(msg.topic, msg.payload)
        with self.lock:
            self.last = time.monotonic()
            if "/NCMD/" in msg.topic:
                self.commands += 1
            elif ident is not None:
                self.seen[ident] += 1

    @staticmethod
    def _id(topic: str, payload: bytes) -> int | None:
        if topic.startswith("spBv1.0/"):
            return None
        body = json.loads(payload)
        if "reason" not in body:  # enriched: the value is the id
            value = body.get("value")
            return int(value) if isinstance(value, int | float) else None
        hit = ID.search(str(body.get("topic", "")).encode())
        if hit is None:
            raw = body.get("payload") or ""
            data = base64.b64decode(raw) if body.get("payload_encoding") == "base64" else raw
            hit = ID.search(data if isinstance(data, bytes) else data.encode())
        return int(hit.group(1)) if hit else None

    def count(self, ids: range) -> tuple[int, int]:
        with self.lock:
            got = [self.seen[i] for i in ids]
        return sum(1 for n in got if n), sum(n - 1 for n in got if n > 1)

    def quiet_for(self) -> float:
        with self.lock:
            return time.monotonic() - self.last


def _client(client_id: str, port: int, *, persistent: bool = False) -> mqtt.Client:
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    if persistent:
        client.reconnect_delay_set(0.1, 1)
    return client


def session() -> Any:
    """CONNECT properties that keep the session (and its queue) across a broker restart."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 600
    return props


class Publisher:
    def __init__(self, port: int) -> None:
        self.client = _client("chaos-publisher", port, persistent=True)
        self.client.connect("127.0.0.1", port, clean_start=False, properties=session())
        self.client.loop_start()

    def send(self, messages: Iterator[tuple[str, bytes]]) -> int:
        infos = [self.client.publish(topic, payload, qos=1) for topic, payload in messages]
        deadline = time.monotonic() + 120
        for info in infos:
            while not info.is_published() and time.monotonic() < deadline:
                time.sleep(0.01)
        return len(infos)


class Service:
    """`python -m uns run` as a child process, with its peak RSS polled in a thread."""

    def __init__(self, config: Path, log: Path) -> None:
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uns", "run", "--config", str(config)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.peak_kb = 0
        self._stop = threading.Event()
        threading.Thread(target=self._poll, daemon=True).start()

    def rss_kb(self) -> int:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return 0
        hit = re.search(r"VmRSS:\s+(\d+)", status)
        return int(hit.group(1)) if hit else 0

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self.rss_kb())
            time.sleep(0.05)

    def reset_peak(self) -> None:
        self.peak_kb = self.rss_kb()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        self._stop.set()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


@dataclass
class World:
    work: Path
    broker: MosquittoProcess
    service: Service
    sink: Sink
    publisher: Publisher
    models: Path
    spool: Path
    next_id: int = 1_000_000  # ids stay clear of small numbers that could be real values

    def ids(self, n: int) -> range:
        start = self.next_id
        self.next_id += n
        return range(start, start + n)


def _valid(ids: range) -> Iterator[tuple[str, bytes]]:
    for i in ids:
        yield "raw/json/oven-1/temperature", b'{"n": "~%d~", "v": %d}' % (i, i)


def run_case(
    world: World,
    name: str,
    n: int,
    messages: Callable[[range], Iterator[tuple[str, bytes]]],
    *,
    during: Callable[[World], str] | None = None,
    wait_s: float = 60.0,
) -> Row:
    ids = world.ids(n)
    world.service.reset_peak()
    started = time.monotonic()
    note = ""
    if during is None:
        world.publisher.send(messages(ids))
    else:
        half = len(ids) // 2
        world.publisher.send(messages(ids[:half]))
        note = during(world)
        world.publisher.send(messages(ids[half:]))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        accounted, _ = world.sink.count(ids)
        if accounted == n or (world.sink.quiet_for() > QUIET_S and not world.service.alive()):
            break
        if world.sink.quiet_for() > QUIET_S * 3:
            break
        time.sleep(0.1)
    time.sleep(0.3)  # late duplicates
    accounted, duplicates = world.sink.count(ids)
    return Row(
        name, n, accounted, n - accounted, duplicates,
        round(world.service.peak_kb / 1024, 1), round(time.monotonic() - started, 1), note,
    )  # fmt: skip


# -- cases -------------------------------------------------------------------------------------


def distinct_topics(ids: range) -> Iterator[tuple[str, bytes]]:
    for i in ids:
        yield f"raw/json/dev-~{i}~/temperature", b'{"v": 1}'


def sparkplug_nodes(ids: range) -> Iterator[tuple[str, bytes]]:
    for i in ids:
        yield f"spBv1.0/chaos/NDATA/node-~{i}~", b"\x08\x01"


def oversized(ids: range) -> Iterator[tuple[str, bytes]]:
    filler = b"x" * (1024 * 1024)
    for i in ids:
        yield "raw/json/oven-1/temperature", b'{"n": "~%d~", "v": "%s"}' % (i, filler)


def malformed(ids: range) -> Iterator[tuple[str, bytes]]:
    kinds = [
        lambda i: b"~%d~ not json {" % i,
        lambda i: b"~%d~\xff\xfe\x00" % i,
        lambda i: b'{"n": "~%d~", "v": 1, "v": 2}' % i,
        lambda i: b'{"n": "~%d~", "v": 1, "ts": "yesterday"}' % i,
        lambda i: b'{"n": "~%d~", "v": 99999999999999999999999}' % i,
        lambda i: b'{"n": "~%d~", "v": ' % i + b"[" * 5000 + b"]" * 5000 + b"}",
        lambda i: b'{"n": "~%d~", "v": NaN}' % i,
        lambda i: b'["~%d~"]' % i,
    ]
    for i in ids:
        yield "raw/json/oven-1/temperature", kinds[i % len(kinds)](i)


def long_context(ids: range) -> Iterator[tuple[str, bytes]]:
    for i in ids:
        yield "mes/l1/batch", b'{"n": "~%d~", "batch_id": "%s"}' % (i, b"B" * 200_000)


def reload_storm(world: World) -> str:
    path = world.models / "model.yaml"
    good = path.read_text()
    for k in range(20):
        path.write_text(model_text(["oven-1"], broken=k % 2 == 0) + f"# version {k}\n")
        os.kill(world.service.proc.pid, 1)  # SIGHUP: reload now
        time.sleep(0.1)
    path.write_text(good)
    os.kill(world.service.proc.pid, 1)
    return "20 reloads, 10 of them broken"


def broker_kill(world: World) -> str:
    time.sleep(0.5)
    world.broker.kill()
    time.sleep(1.0)
    world.broker.start()
    deadline = time.monotonic() + 20
    while not (world.publisher.client.is_connected() and world.sink.client.is_connected()):
        if time.monotonic() > deadline:
            return "clients did not reconnect"
        time.sleep(0.05)
    return "mosquitto SIGKILL, restarted 1 s later"


def replay_twice(world: World, n: int) -> Row:
    """Dead-letter values of equipment the model lacks, add it, replay the spool twice."""
    ids = world.ids(n)
    world.service.reset_peak()
    started = time.monotonic()
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    world.publisher.send(("raw/json/oven-2/temperature", b'{"v": %d}' % i) for i in ids)
    _settle(world, ids, n)
    (world.models / "model.yaml").write_text(model_text(["oven-1", "oven-2"]))
    os.kill(world.service.proc.pid, 1)
    time.sleep(2.0)
    with world.sink.lock:
        world.sink.seen.clear()  # count what the replays bring
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-m", "uns", "replay", str(world.spool), "--reason",
             "unknown_equipment", "--since", since, "--broker", world.broker.url],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
    _settle(world, ids, n)
    accounted, duplicates = world.sink.count(ids)
    return Row(
        "replay twice", n, accounted, n - accounted, duplicates,
        round(world.service.peak_kb / 1024, 1), round(time.monotonic() - started, 1),
        "model learns oven-2, the spool is replayed twice (the journal skips the 2nd)",
    )  # fmt: skip


def _settle(world: World, ids: range, n: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and world.sink.quiet_for() < QUIET_S:
        time.sleep(0.1)


# -- driver ------------------------------------------------------------------------------------


def start(work: Path) -> World:
    models = work / "models"
    models.mkdir()
    (models / "model.yaml").write_text(model_text(["oven-1"]))
    broker = start_mosquitto(work / "broker", persistence=True, extra=AUTOSAVE)
    spool = work / "spool.jsonl"
    config = work / "settings.json"
    config.write_text(
        json.dumps(
            {
                "models": str(models),
                "broker": {"url": broker.url, "client_id": "uns-chaos"},
                "metrics_port": None,
                "log_level": "warning",
                "deadletter_spool": str(spool),
                "max_payload_bytes": 256 * 1024,
                "reload_interval_s": 0.5,
                "sparkplug": {"active": True, "max_nodes": 1000},
            }
        )
    )
    sink = Sink(broker.port)
    service = Service(config, work / "uns.log")
    publisher = Publisher(broker.port)
    world = World(work, broker, service, sink, publisher, models, spool)
    probe = world.ids(1)
    deadline = time.monotonic() + 30
    while sink.count(probe)[0] == 0:  # ready: a value goes through
        if time.monotonic() > deadline or not service.alive():
            stop(world)
            raise SystemExit(f"uns run did not start:\n{(work / 'uns.log').read_text()}")
        publisher.send(_valid(probe))
        time.sleep(0.5)
    return world


def stop(world: World) -> int:
    """Stop everything this script started; the service's exit status."""
    rc = world.service.stop()
    world.publisher.client.loop_stop()
    world.sink.client.loop_stop()
    world.broker.stop()
    return rc


def suite(world: World, quick: bool) -> list[Row]:
    scale = 1 if quick else 5
    rows = [
        run_case(world, "valid baseline", 500 * scale, _valid),
        run_case(world, "distinct raw topics", 1000 * scale, distinct_topics),
        run_case(world, "distinct Sparkplug nodes", 1000 * scale, sparkplug_nodes),
        run_case(world, "oversized payloads (1 MB)", 5 * scale, oversized),
        run_case(world, "malformed payloads", 80 * scale, malformed),
        run_case(world, "MES value of 200 KB", 5 * scale, long_context),
        run_case(world, "reload storm", 400 * scale, _valid, during=reload_storm),
        run_case(world, "broker SIGKILL + restart", 400 * scale, _valid, during=broker_kill),
        replay_twice(world, 50 * scale),
    ]
    rows[2].note = f"{world.sink.commands} rebirth requests (NCMD) for {rows[2].sent} nodes"
    return rows


def table(rows: list[Row]) -> str:
    head = (
        f"{'case':28} {'sent':>6} {'accounted':>9} {'lost':>5} {'dups':>5} {'peak RSS':>9} {'s':>5}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.case:28} {r.sent:6d} {r.accounted:9d} {r.lost:5d} {r.duplicates:5d} "
            f"{r.peak_rss_mb:7.1f}MB {r.seconds:5.1f}  {r.note}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small CI version")
    parser.add_argument("--out", type=Path, help=f"results JSON (default {OUT}; none if --quick)")
    args = parser.parse_args(argv)
    # SIGTERM (a CI timeout) unwinds like Ctrl+C, so the broker and the service are stopped
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="uns-chaos-") as tmp:
        world = start(Path(tmp))
        try:
            rows = suite(world, args.quick)
            alive = world.service.alive()
        finally:
            rc = stop(world)
    print(table(rows))
    print(f"uns run: {'alive until the end' if alive else 'DIED'}, exit {rc}")
    out = args.out or (None if args.quick else OUT)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        result = {"quick": args.quick, "service_alive": alive, "rows": [asdict(r) for r in rows]}
        out.write_text(json.dumps(result, indent=2) + "\n")
    lost = sum(r.lost for r in rows)
    replayed_twice = sum(r.duplicates for r in rows if r.case == "replay twice")
    return 0 if alive and lost == 0 and replayed_twice == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
