"""CPU per message of `uns run` with 1 worker and with `--workers N` (issue 15).

Same publisher, sink, model (100 bindings on 100 hot topics) and broker as bench/e2e.py; the
service subscribes to its bindings' own filters (no `subscribe` override, so each worker
receives only what it owns). Reported per scenario: msg/s, messages lost / duplicated /
reordered, and the CPU seconds of the whole service (the supervisor and every worker) per
message. Partitions should add no per-message cost, so `cpu_us_per_msg` should match.
Results: bench/results/partitions.json (summarised in docs/deployment.md, "Sizing").

    .venv/bin/python bench/partitions.py [--messages 50000] [--workers 1,2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import e2e  # a sibling script, not a package
import transport_relay as tr
from accounting import account, verdict

ROOT = Path(__file__).resolve().parent.parent


def service_pids(pid: int) -> list[int]:
    """The service process and its children (the workers of `--workers N`)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


def cpu_of(pids: list[int]) -> float:
    return sum(tr.cpu_seconds(p) for p in pids)


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


async def wait_ready(port: int, proc: Any, within_s: float = 120.0) -> None:
    """Until /readyz answers 200 (with workers: every worker subscribed)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError("uns run exited before it was ready")
        if await asyncio.to_thread(ready, port):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("uns run not ready in time")


async def scenario(workers: int, args: argparse.Namespace, mosquitto: str) -> dict[str, Any]:
    me = [sys.executable, e2e.SELF]
    n = args.messages
    with tempfile.TemporaryDirectory(prefix="uns-partitions-") as tmp_text:
        tmp = Path(tmp_text)
        children = tr.Children(tmp)
        try:
            port, _ = await tr.start_broker(children, tmp, mosquitto)
            models = tmp / "models"
            models.mkdir()
            e2e.write_model(models, 100)
            metrics = tr.free_port()
            service = await children.spawn(
                sys.executable, "-m", "uns", "run", "--models", str(models),
                "--broker", f"mqtt://127.0.0.1:{port}", "--client-id", f"uns-bench-w{workers}",
                "--metrics-port", str(metrics), "--log-level", "warning",
                *(["--workers", str(workers)] if workers > 1 else []),
            )  # fmt: skip
            await wait_ready(metrics, service)
            pids = service_pids(service.pid)
            assert len(pids) == (workers + 1 if workers > 1 else 1), pids
            base = ["--port", str(port), "--messages", str(n), "--timeout", str(args.timeout)]
            sink = await children.spawn(
                *me, "--role", "sink", "--filter", f"{e2e.OUT_ROOT}/site1/#", *base
            )
            await children.read_json(sink, 30)
            cpu0 = cpu_of(pids)
            pub = await children.spawn(*me, "--role", "publisher", *base)
            sunk = await children.read_json(sink, args.timeout + 30)
            cpu = cpu_of(pids) - cpu0
            published = await children.read_json(pub, 30)
        finally:
            await children.kill_all()
    elapsed = (sunk["last_ns"] - published["start_ns"]) / 1e9 if sunk["received"] else 0
    return {
        "scenario": f"workers-{workers}",
        **account(n, sunk),
        "msg_per_s": round(sunk["unique"] / elapsed) if elapsed else 0,
        "cpu_s": round(cpu, 2),
        "cpu_us_per_msg": round(cpu / max(1, sunk["unique"]) * 1e6, 1),
        "msg_per_cpu_s": round(sunk["unique"] / cpu) if cpu else 0,
    }


async def parent_main(args: argparse.Namespace) -> int:
    mosquitto = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    if mosquitto is None:
        print("mosquitto not found", file=sys.stderr)
        return 2
    counts = [int(w) for w in args.workers.split(",")]
    results = []
    for _ in range(args.repeat):  # alternating, so drift on a shared machine hits all alike
        for workers in counts:
            result = await scenario(workers, args, mosquitto)
            print(json.dumps(result), flush=True)
            results.append(result)
    # Medians over the repeats: one run on a shared machine can be off by a fifth either way.
    runs: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        runs.setdefault(r["scenario"], []).append(r)
    cpu = {k: statistics.median(r["cpu_us_per_msg"] for r in v) for k, v in runs.items()}
    summary: dict[str, Any] = {f"{k}_cpu_us_per_msg_median": v for k, v in cpu.items()}
    summary.update(
        {
            f"{k}_msg_per_s_median": statistics.median(r["msg_per_s"] for r in v)
            for k, v in runs.items()
        }
    )
    if "workers-1" in cpu:
        summary.update(
            {
                f"{k}_cpu_per_msg_vs_1": round(v / cpu["workers-1"], 2)
                for k, v in cpu.items()
                if k != "workers-1"
            }
        )
    env = tr.versions()
    env["load_avg_at_start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    env["cpus"] = os.cpu_count()
    report = {"benchmark": "partitions", "environment": env, "summary": summary, "results": results}
    out = ROOT / "bench" / "results" / "partitions.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(summary))
    return verdict(results)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--messages", type=int, default=50_000)
    p.add_argument("--workers", default="1,2")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--timeout", type=float, default=120.0)
    return p.parse_args()


if __name__ == "__main__":
    raise SystemExit(asyncio.run(parent_main(parse_args())))
