"""Micro-benchmark of the Sparkplug host state machine, the per-message cost on top of decoding.

Run: ``.venv/bin/python bench/sparkplug_host.py`` -> ``bench/results/sparkplug_host.json``.

Cases (best of several repeats), each over DDATA messages of 10 Float metrics that carry
alias and timestamp but no name and no datatype, with seq running 0..255 in order so the
seq check sees a clean stream:

* ``host_handle_ddata_10_alias``: ``SparkplugHost.handle``: topic parse, birth cache
  lookup, decode with the cache as resolver, seq check, 10 ``MetricSample`` objects.
* ``decode_only_10_alias``: ``decode_payload`` with a dict resolver, the codec's share.
* ``host_tick_idle_1000_nodes``: ``SparkplugHost.tick`` with 1,000 nodes online, no timers,
  what the service pays every ~100 ms.

The machine is shared: read the numbers with the load average recorded beside them.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import timeit
from pathlib import Path

from uns.sparkplug import DataType, SparkplugHost, SparkplugMetric, SparkplugPayload, decode_payload
from uns.sparkplug import encode_payload as encode

RESULT = Path(__file__).parent / "results" / "sparkplug_host.json"
METRICS = 10
T0 = 1_700_000_000_000
GROUP, NODE, DEVICE = "Plant", "edge-1", "Pump 1"
TOPIC = f"spBv1.0/{GROUP}/DDATA/{NODE}/{DEVICE}"


def births() -> tuple[bytes, bytes]:
    node = [SparkplugMetric(name="bdSeq", datatype=DataType.Int64, value=1)]
    device = [
        SparkplugMetric(name=f"Motor/Temp{i}", alias=100 + i, datatype=DataType.Float, value=0.0)
        for i in range(METRICS)
    ]
    return (
        encode(SparkplugPayload(timestamp=T0, seq=0, metrics=node)),
        encode(SparkplugPayload(timestamp=T0, seq=1, metrics=device)),
    )


def ddata(seq: int) -> bytes:
    metrics = [
        SparkplugMetric(alias=100 + i, timestamp=T0 + i, datatype=DataType.Float, value=20.5 + i)
        for i in range(METRICS)
    ]
    payload = SparkplugPayload(timestamp=T0, seq=seq, metrics=metrics)
    return encode(payload, with_datatypes=False)


def born_host() -> SparkplugHost:
    nbirth, dbirth = births()
    host = SparkplugHost(active=True)
    host.handle(f"spBv1.0/{GROUP}/NBIRTH/{NODE}", nbirth, T0)
    host.handle(f"spBv1.0/{GROUP}/DBIRTH/{NODE}/{DEVICE}", dbirth, T0)
    return host


def best_us(run: object, calls: int, repeat: int = 7) -> float:
    timer = timeit.Timer("run()", globals={"run": run})
    return min(timer.repeat(repeat=repeat, number=1)) / calls * 1e6


def main() -> None:
    stream = [ddata(seq) for seq in (*range(2, 256), 0, 1)]  # continues the births' 0, 1
    host = born_host()

    # The case measures what it claims: names resolved, no problems, no gaps.
    check = host.handle(TOPIC, stream[0], T0)
    assert [s.name for s in check.samples][:2] == ["Motor/Temp0", "Motor/Temp1"]
    assert not check.problems
    assert check.seq_gaps == 0
    for data in stream[1:]:
        assert host.handle(TOPIC, data, T0).seq_gaps == 0

    rounds = 20
    calls = rounds * len(stream)

    def run_host() -> None:
        handle = host.handle
        for _ in range(rounds):
            for data in stream:
                handle(TOPIC, data, T0)

    birth = {100 + i: int(DataType.Float) for i in range(METRICS)}

    def resolve(name: str | None, alias: int | None) -> int | None:
        return birth.get(alias) if alias is not None else None

    def run_decode() -> None:
        for _ in range(rounds):
            for data in stream:
                decode_payload(data, resolve)

    idle = SparkplugHost(active=True)
    nbirth, _ = births()
    for n in range(1000):
        idle.handle(f"spBv1.0/{GROUP}/NBIRTH/node-{n}", nbirth, T0)
    ticks = 10_000

    def run_tick() -> None:
        tick = idle.tick
        for _ in range(ticks):
            tick(T0)

    cases = {
        "host_handle_ddata_10_alias": best_us(run_host, calls),
        "decode_only_10_alias": best_us(run_decode, calls),
        "host_tick_idle_1000_nodes": best_us(run_tick, ticks),
    }
    host_us = cases["host_handle_ddata_10_alias"]
    report = {
        "unit": "us per call",
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # shared machine: read numbers with it
        "results_us": {name: round(us, 2) for name, us in cases.items()},
        "host_messages_per_s": round(1e6 / host_us),
        "host_metrics_per_s": round(METRICS / host_us * 1e6),
        "host_overhead_over_decode_us": round(host_us - cases["decode_only_10_alias"], 2),
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
