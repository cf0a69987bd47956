"""Pass-through relay benchmark: which MQTT client can carry the service's traffic?

Per variant the script starts a fresh loopback mosquitto (generated config, no persistence,
unlimited in-flight and queue limits so the broker is not the cap), then three processes:

    publisher --QoS 1--> bench/raw/...  --relay (variant)-->  bench/out/... --QoS 1--> sink

The publisher sends N 118-byte JSON messages as fast as its QoS 1 window allows; the relay
republishes each one unchanged; the sink counts arrivals (unique, duplicates) and stamps the
first and last. Reported per variant: msg/s through the relay, messages lost, relay CPU
seconds (utime+stime from /proc, sampled when the relay is subscribed and again when the
sink is done, so start-up is excluded) and CPU microseconds per relayed message, which is
steadier than msg/s on a shared 2-core machine. The "direct" variant has no relay: the sink
subscribes to bench/raw/# and shows what publisher + broker + sink manage on their own.
A variant that loses or reorders messages (bench/accounting.py) makes the run exit 1, naming it.

Run from the repository root:  .venv/bin/python bench/transport_relay.py [--messages 100000]
Results go to bench/results/transport.json. Every child process is killed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from accounting import Arrivals, account, verdict  # a sibling module (bench/ runs as scripts)

SELF = str(Path(__file__).resolve())
ROOT = Path(SELF).parent.parent
VARIANTS = (
    "direct",
    "gmqtt",
    "gmqtt-uvloop",
    "gmqttdeferred",
    "uns",
    "uns-uvloop",
    "mqtt5",
    "mqtt5-uvloop",
    "aiomqtt",
    "paho",
)
RAW, OUT = "bench/raw/", "bench/out/"
PAYLOAD_SIZE = 118
CLK_TCK = os.sysconf("SC_CLK_TCK")

BROKER_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 0
max_queued_messages 0
max_queued_bytes 0
set_tcp_nodelay true
"""


def payload(seq: int) -> bytes:
    """A 118-byte JSON sample; the sequence number sits at a fixed offset for the sink."""
    head = b'{"seq":"%09d","ts_ms":1700000000000,"value":21.5,"unit":"degC","pad":"' % seq
    return head + b"x" * (PAYLOAD_SIZE - len(head) - 2) + b'"}'


def topic(seq: int) -> str:
    return f"{RAW}site1/line{seq % 10:02d}/tag{seq % 100:03d}"


def seq_of(data: bytes) -> int:
    return int(data[8:17])


def emit(**fields: Any) -> None:
    """One JSON line on stdout: how children talk to the parent."""
    print(json.dumps(fields), flush=True)


def run_loop(main: Callable[[], Any], use_uvloop: bool) -> None:
    if use_uvloop:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main())
    else:
        asyncio.run(main())


def has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- children


# The publisher and the sink speak raw MQTT 3.1.1 over asyncio streams, so that neither is the
# bottleneck: the publisher writes pre-built PUBLISH frames, the sink answers with PUBACKs in bulk.


def mqtt_str(text: str) -> bytes:
    raw = text.encode()
    return len(raw).to_bytes(2, "big") + raw


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def frame(first: int, body: bytes) -> bytes:
    return bytes([first]) + varint(len(body)) + body


def publish_frame(seq: int) -> bytes:
    mid = seq % 65535 + 1
    return frame(0x32, mqtt_str(topic(seq)) + mid.to_bytes(2, "big") + payload(seq))


async def raw_connect(port: int, name: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    # Protocol level 4, clean session, keepalive 0 (no PINGREQ traffic to tell apart).
    writer.write(frame(0x10, mqtt_str("MQTT") + b"\x04\x02\x00\x00" + mqtt_str(name)))
    if await reader.readexactly(4) != b"\x20\x02\x00\x00":
        raise SystemExit("CONNACK refused")
    return reader, writer


async def publisher_main(port: int, count: int) -> None:
    """Publish `count` QoS 1 messages, at most `window` unacknowledged (a PUBACK is 4 bytes)."""
    reader, writer = await raw_connect(port, f"pub-{os.getpid()}")
    frames = [publish_frame(seq) for seq in range(count)]
    window, chunk = 20_000, 2_000
    acked = sent = 0
    start = time.monotonic_ns()
    while acked < count:
        while sent < count and sent - acked < window:
            writer.write(b"".join(frames[sent : sent + chunk]))
            sent = min(count, sent + chunk)
        await writer.drain()
        acked += len(await reader.read(65536)) // 4
    emit(start_ns=start, end_ns=time.monotonic_ns())
    writer.close()


async def sink_main(port: int, count: int, filt: str, idle_s: float, deadline_s: float) -> None:
    """Count arrivals by sequence number; acknowledge each QoS 1 PUBLISH."""
    reader, writer = await raw_connect(port, f"sink-{os.getpid()}")
    writer.write(frame(0x82, b"\x00\x01" + mqtt_str(filt) + b"\x01"))
    if (await reader.readexactly(5))[4] != 1:
        raise SystemExit("SUBACK refused")
    emit(ready=True)
    arrivals = Arrivals(count)
    first_ns = last_ns = 0
    buf = b""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(deadline_s):
            while arrivals.unique < count:
                # Idle only counts once traffic has started; before that the deadline applies.
                async with asyncio.timeout(idle_s if arrivals.received else None):
                    data = await reader.read(262144)
                if not data:
                    break
                last_ns = time.monotonic_ns()
                first_ns = first_ns or last_ns
                buf += data
                acks, pos, end = [], 0, len(buf)
                while pos + 2 <= end:
                    head, length, shift, i = buf[pos], 0, 0, pos + 1
                    while i < end and buf[i] & 0x80:
                        length |= (buf[i] & 0x7F) << shift
                        shift, i = shift + 7, i + 1
                    if i >= end:
                        break
                    length |= buf[i] << shift
                    body, nxt = i + 1, i + 1 + length
                    if nxt > end:
                        break
                    if head & 0xF0 == 0x30:
                        tlen = int.from_bytes(buf[body : body + 2], "big")
                        at = body + 2 + tlen
                        if head & 0x06:
                            acks.append(b"\x40\x02" + buf[at : at + 2])
                            at += 2
                        arrivals.arrive(buf[body + 2 : body + 2 + tlen], seq_of(buf[at:nxt]))
                    pos = nxt
                buf = buf[pos:]
                writer.write(b"".join(acks))
    emit(**arrivals.summary(), first_ns=first_ns, last_ns=last_ns)
    writer.close()


async def gmqtt_connect(port: int, name: str, **kw: Any) -> Any:
    import gmqtt

    client = gmqtt.Client(f"{name}-{os.getpid()}", **kw)
    await client.connect("127.0.0.1", port)
    return client


async def gmqtt_subscribe(client: Any, filt: str) -> None:
    subscribed = asyncio.Event()
    client.on_subscribe = lambda *_: subscribed.set()
    client.subscribe(filt, qos=1)
    async with asyncio.timeout(10):
        await subscribed.wait()


async def relay_gmqtt(port: int, stop: asyncio.Event) -> None:
    """gmqtt as documented: sync callback, PUBACK sent on receipt, fire-and-forget publish."""
    client = await gmqtt_connect(port, "relay")
    cut = len(RAW)

    def on_message(c: Any, t: str, data: bytes, _q: int, _p: Any) -> int:
        c.publish(OUT + t[cut:], data, qos=1)
        return 0

    client.on_message = on_message
    await gmqtt_subscribe(client, RAW + "#")
    emit(ready=True)
    await stop.wait()


async def relay_gmqtt_deferred(port: int, stop: asyncio.Event) -> None:
    """gmqtt with deferred PUBACK: async callback, PUBACK when it returns (after publish())."""
    client = await gmqtt_connect(port, "relay", optimistic_acknowledgement=False)
    cut = len(RAW)

    async def on_message(c: Any, t: str, data: bytes, _q: int, _p: Any) -> int:
        c.publish(OUT + t[cut:], data, qos=1)
        return 0

    client.on_message = on_message
    await gmqtt_subscribe(client, RAW + "#")
    emit(ready=True)
    await stop.wait()


async def relay_uns(port: int, stop: asyncio.Event) -> None:
    """uns.io.mqtt: deferred PUBACK, each incoming message acked after its republish is acked."""
    sys.path.insert(0, str(ROOT))
    from uns.io.mqtt import BrokerSettings, Message, MqttClient

    cut = len(RAW)
    client: MqttClient

    async def handle(msg: Message) -> None:
        await client.publish(OUT + msg.topic[cut:], msg.payload, qos=1)

    settings = BrokerSettings(port=port, client_id=f"relay-{os.getpid()}", receive_maximum=2000)
    client = MqttClient(settings, handle)
    await client.connect()
    await client.subscribe([(RAW + "#", 1)])
    emit(ready=True)
    await stop.wait()
    await client.disconnect()


async def relay_mqtt5(port: int, stop: asyncio.Event) -> None:
    """uns.io.client (the service's transport, over the `mqtt5` codec): each incoming message
    acked, in arrival order, once its republish is acked; no task per message."""
    sys.path.insert(0, str(ROOT))
    from uns.config.broker import BrokerSettings
    from uns.io.client import Mqtt5Transport
    from uns.io.transport import Inbound

    cut = len(RAW)

    def take(msg: Inbound) -> None:
        transport.publish(
            OUT + msg.topic[cut:], msg.payload, 1, on_ack=lambda _code: transport.ack(msg)
        )

    settings = BrokerSettings(
        port=port, client_id=f"relay-{os.getpid()}", receive_maximum=2000, clean_start=True
    )
    transport = Mqtt5Transport(settings, take)
    transport.start()
    await transport.wait_connected()
    await transport.subscribe([(RAW + "#", 1)])
    emit(ready=True)
    await stop.wait()
    await transport.close()


async def relay_aiomqtt(port: int, stop: asyncio.Event) -> None:
    """aiomqtt's documented shape: one receiver, a pool of workers that await publish()."""
    import aiomqtt

    cut = len(RAW)
    async with aiomqtt.Client(
        "127.0.0.1", port, identifier=f"relay-{os.getpid()}", max_inflight_messages=1000
    ) as client:
        queue: asyncio.Queue[aiomqtt.Message] = asyncio.Queue(1000)

        async def work() -> None:
            while True:
                msg = await queue.get()
                await client.publish(OUT + msg.topic.value[cut:], msg.payload, qos=1)

        async def receive() -> None:
            async for msg in client.messages:
                await queue.put(msg)

        await client.subscribe(RAW + "#", qos=1)
        emit(ready=True)
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(receive())] + [tg.create_task(work()) for _ in range(64)]
            await stop.wait()
            for task in tasks:
                task.cancel()


def relay_paho(port: int) -> None:
    """paho with its threaded network loop; publish from the callback (non-blocking).

    publish() reports failure only through its return code: MQTT_ERR_QUEUE_SIZE (15) when the
    16-bit packet id is still taken by an unacknowledged message. Those are counted, not retried.
    """
    import threading

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    cut = len(RAW)
    subscribed = threading.Event()
    refused: dict[int, int] = {}
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"relay-{os.getpid()}")
    client.max_inflight_messages_set(0)  # 0 = unlimited (default 20 would be the cap)

    def on_message(c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        rc = c.publish(OUT + msg.topic[cut:], msg.payload, qos=1).rc
        if rc:
            refused[rc] = refused.get(rc, 0) + 1
            if sum(refused.values()) == 1:
                print(f"paho publish refused, rc={rc}", file=sys.stderr, flush=True)

    client.on_message = on_message
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_disconnect = lambda *a: print(f"paho relay disconnected: {a[3]}", file=sys.stderr)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.subscribe(RAW + "#", qos=1)
    if not subscribed.wait(10):
        raise SystemExit("paho: no SUBACK")
    emit(ready=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait(600)
    client.loop_stop()


def child_main(args: argparse.Namespace) -> None:
    port, count = args.port, args.messages
    uv = args.uvloop
    if args.role == "publisher":
        run_loop(lambda: publisher_main(port, count), uv)
    elif args.role == "sink":
        run_loop(lambda: sink_main(port, count, args.filter, args.idle, args.timeout), uv)
    elif args.client == "paho":
        relay_paho(port)
    else:
        relay = {
            "gmqtt": relay_gmqtt,
            "gmqttdeferred": relay_gmqtt_deferred,
            "uns": relay_uns,
            "mqtt5": relay_mqtt5,
            "aiomqtt": relay_aiomqtt,
        }[args.client]

        async def main() -> None:
            stop = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            await relay(port, stop)

        run_loop(main, uv)


# --------------------------------------------------------------------------- parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@dataclass
class Children:
    """Child processes of one variant. stderr goes to a file in the work dir, never to a pipe
    nobody drains (a chatty child would block on a full pipe and stall the run)."""

    workdir: Path
    procs: list[asyncio.subprocess.Process] = field(default_factory=list)
    logs: dict[int, Path] = field(default_factory=dict)

    async def spawn(self, *argv: str) -> asyncio.subprocess.Process:
        log_path = self.workdir / f"child{len(self.procs)}.stderr"
        with log_path.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=err
            )
        self.procs.append(proc)
        self.logs[proc.pid] = log_path
        return proc

    def stderr_tail(self, proc: asyncio.subprocess.Process) -> str:
        return self.logs[proc.pid].read_text(errors="replace")[-2000:]

    async def kill_all(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await proc.wait()
        self.procs.clear()

    async def read_json(self, proc: asyncio.subprocess.Process, wait_s: float) -> dict[str, Any]:
        """The child's next stdout line, parsed; RuntimeError with its stderr if it died."""
        assert proc.stdout is not None
        async with asyncio.timeout(wait_s):
            line = await proc.stdout.readline()
        if not line:
            raise RuntimeError(f"child exited without output: {self.stderr_tail(proc)}")
        result: dict[str, Any] = json.loads(line)
        return result


async def start_broker(children: Children, workdir: Path, mosquitto: str) -> tuple[int, int]:
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(BROKER_CONF.format(port=port))
    proc = await children.spawn(mosquitto, "-c", str(conf))
    async with asyncio.timeout(10):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.02)  # waiting for a port to listen has no event
                continue
            writer.close()
            await writer.wait_closed()
            return port, proc.pid


async def run_variant(variant: str, args: argparse.Namespace, mosquitto: str) -> dict[str, Any]:
    me = [sys.executable, SELF]
    uv = ["--uvloop"] if has_uvloop() else []  # auxiliary processes run as fast as they can
    common = ["--messages", str(args.messages), "--timeout", str(args.timeout)]
    with tempfile.TemporaryDirectory(prefix="uns-bench-") as tmp:
        children = Children(Path(tmp))
        try:
            port, broker_pid = await start_broker(children, Path(tmp), mosquitto)
            base = [*common, "--port", str(port)]
            filt = RAW + "#" if variant == "direct" else OUT + "#"
            sink = await children.spawn(*me, "--role", "sink", "--filter", filt, *base, *uv)
            await children.read_json(sink, 30)
            relay_cpu0 = 0.0
            relay = None
            relay_log = ""
            if variant != "direct":
                client, _, loop = variant.partition("-")
                flags = ["--uvloop"] if loop == "uvloop" else []
                relay = await children.spawn(
                    *me, "--role", "relay", "--client", client, *base, *flags
                )
                await children.read_json(relay, 30)
                relay_cpu0 = cpu_seconds(relay.pid)
            broker_cpu0 = cpu_seconds(broker_pid)
            publisher = await children.spawn(*me, "--role", "publisher", *base, *uv)
            sunk = await children.read_json(sink, args.timeout + 30)
            relay_cpu = cpu_seconds(relay.pid) - relay_cpu0 if relay else 0.0
            broker_cpu = cpu_seconds(broker_pid) - broker_cpu0
            try:
                published = await children.read_json(publisher, 30)
            except (TimeoutError, RuntimeError):
                published = {}
            if relay is not None:  # what the relay logged, e.g. errors, is worth seeing
                relay_log = children.stderr_tail(relay)
        finally:
            await children.kill_all()
    n = args.messages
    result: dict[str, Any] = {
        "variant": variant,
        **account(n, sunk),
        "broker_cpu_s": round(broker_cpu, 2),
    }
    if published and sunk["received"]:
        elapsed = (sunk["last_ns"] - published["start_ns"]) / 1e9
        result["elapsed_s"] = round(elapsed, 3)
        result["msg_per_s"] = round(sunk["unique"] / elapsed)
        result["publish_s"] = round((published["end_ns"] - published["start_ns"]) / 1e9, 3)
    if relay is not None:
        result["relay_cpu_s"] = round(relay_cpu, 2)
        result["relay_cpu_us_per_msg"] = round(relay_cpu / max(1, sunk["received"]) * 1e6, 1)
        if relay_log:
            result["relay_stderr_tail"] = relay_log[-500:]
    return result


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "cpus": str(os.cpu_count())}
    for dist in ("gmqtt", "aiomqtt", "paho-mqtt", "uvloop"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


async def parent_main(args: argparse.Namespace) -> int:
    mosquitto = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    if mosquitto is None:
        print("mosquitto not found on PATH or in /usr/sbin", file=sys.stderr)
        return 2
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        print(f"unknown variants: {sorted(unknown)}; choose from {VARIANTS}", file=sys.stderr)
        return 2
    if not has_uvloop():
        variants = [v for v in variants if not v.endswith("uvloop")]
    env = versions()
    env["mosquitto"] = mosquitto
    env["load_avg_at_start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    runs = []
    for rep in range(args.repeat):
        for variant in variants:
            try:
                result = await run_variant(variant, args, mosquitto)
            except (TimeoutError, RuntimeError, KeyError) as exc:
                result = {"variant": variant, "error": f"{type(exc).__name__}: {exc}"}
            result["run"] = rep
            runs.append(result)
            print(json.dumps(result), flush=True)
    report = {
        "benchmark": "transport_relay",
        "setup": {
            "payload_bytes": PAYLOAD_SIZE,
            "qos": 1,
            "broker_conf": BROKER_CONF.format(port="<free>").splitlines(),
            "aux_processes": "publisher and sink: raw MQTT 3.1.1 over asyncio streams",
            "protocols": "gmqtt/uns: MQTT 5; aiomqtt/paho: MQTT 3.1.1 (their default)",
        },
        "environment": env,
        "results": runs,
    }
    write_report(Path(args.output), report)
    return verdict(runs)


def write_report(out: Path, report: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=100_000, help="messages per variant")
    p.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset")
    p.add_argument("--repeat", type=int, default=1, help="run the whole set this many times")
    p.add_argument("--timeout", type=float, default=120.0, help="sink deadline per variant (s)")
    p.add_argument("--idle", type=float, default=5.0, help="sink gives up after this long idle")
    p.add_argument("--output", default=str(ROOT / "bench" / "results" / "transport.json"))
    # Internal: how the parent starts its children.
    p.add_argument("--role", choices=("parent", "publisher", "relay", "sink"), default="parent")
    p.add_argument(
        "--client",
        choices=("gmqtt", "gmqttdeferred", "uns", "mqtt5", "aiomqtt", "paho"),
        default="gmqtt",
    )
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--filter", default=OUT + "#")
    p.add_argument("--uvloop", action="store_true")
    return p.parse_args(argv)


def main() -> int:
    args = parse_args()
    if args.role != "parent":
        child_main(args)
        return 0
    return asyncio.run(parent_main(args))


if __name__ == "__main__":
    sys.exit(main())
