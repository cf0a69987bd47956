"""Micro-benchmark of `ContextStore.lookup` (the per-message context join) and of announcing.

Run: ``.venv/bin/python bench/context_micro.py`` -> ``bench/results/context_micro.json``.

Cases, each in ns per call (best of several repeats, as timeit advises):

* ``hit_newest``: live data in the newest intervals (the common case; cached answer).
* ``late_data_bisect``: late data spread over 64 old intervals of a full history, so every
  call misses the answer cache and bisects.
* ``live_and_late_interleaved``: live data alternating with a late backlog (two windows; the
  second cached answer).
* ``inherit_6_level_miss`` / ``_hit``: a 6-level path where every level has its own timeline
  for all three keys, in gaps most of the time, so answers come from the enterprise scope and
  a miss walks 7 timelines per key; the miss case cycles three windows (one of them in the
  deeper scopes' old gap, so it bisects) and never hits the cache.
* ``announce_in_order_full_history``: one announcement into a full history (256) of a scope.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import timeit
from pathlib import Path

from uns.context.production import ContextStore

HISTORY = 256
STEP_MS = 60_000
LINE = ("cologne", "packaging", "line-1")
DEEP = ("cologne", "packaging", "line-1", "filler-cell", "filler-1", "valve-3")
RESULT = Path(__file__).parent / "results" / "context_micro.json"


def full_store() -> ContextStore:
    store = ContextStore(history=HISTORY)
    for i in range(HISTORY):
        store.start(LINE, "batch", f"B-{i}", i * STEP_MS)
        store.announce(LINE, "product", f"P-{i // 8}", i * STEP_MS)
    return store


def deep_store() -> ContextStore:
    store = ContextStore(history=HISTORY)
    for key in ("batch", "product", "order"):
        store.announce((), key, f"{key}-root", 0)
        for depth in range(1, len(DEEP) + 1):
            store.start(DEEP[:depth], key, f"{key}-{depth}", 0)
            store.end(DEEP[:depth], key, 1_000)
            store.start(DEEP[:depth], key, f"{key}-{depth}", 3_000)
            store.end(DEEP[:depth], key, 4_000)
    return store


def per_call_ns(stmt: str, names: dict[str, object], calls: int, repeat: int = 5) -> float:
    timer = timeit.Timer(stmt, globals=names)
    return min(timer.repeat(repeat=repeat, number=1)) / calls * 1e9


def main() -> None:
    store = full_store()
    lookup = store.lookup
    newest = (HISTORY - 1) * STEP_MS
    live = [newest + i * 10 for i in range(1_000)]
    late = [(i * 4 + 1) * STEP_MS + 5 for i in range(64)] * 16  # 1024 calls, all misses
    backlog = [(HISTORY - 20) * STEP_MS + i for i in range(1_000)]  # one old interval
    deep = deep_store()
    deep_lookup = deep.lookup
    interleaved = [t for pair in zip(live, backlog, strict=True) for t in pair]
    cycling = [2_000, 5_000, 500] * 342  # three windows: every call misses
    steady = [5_000 + i for i in range(1_024)]

    loop = "for ts in times: lookup(path, ts)"
    results = {
        "hit_newest": per_call_ns(loop, {"lookup": lookup, "path": LINE, "times": live}, 1_000),
        "late_data_bisect": per_call_ns(
            loop, {"lookup": lookup, "path": LINE, "times": late}, len(late)
        ),
        "live_and_late_interleaved": per_call_ns(
            loop, {"lookup": lookup, "path": LINE, "times": interleaved}, len(interleaved)
        ),
        "inherit_6_level_miss": per_call_ns(
            loop, {"lookup": deep_lookup, "path": DEEP, "times": cycling}, len(cycling)
        ),
        "inherit_6_level_hit": per_call_ns(
            loop, {"lookup": deep_lookup, "path": DEEP, "times": steady}, len(steady)
        ),
    }
    announcer = full_store()
    counter = iter(range(HISTORY * STEP_MS, 10**15, STEP_MS))
    results["announce_in_order_full_history"] = per_call_ns(
        "for _ in range(200): announce(LINE, 'batch', f'B-{next(counter)}', next(counter))",
        {"announce": announcer.announce, "LINE": LINE, "counter": counter},
        200,
    )
    assert store.lookup(LINE, late[0]).batch == "B-1"  # the cases measure what they claim
    assert deep.lookup(DEEP, 2_000).batch == "batch-root"
    assert deep.lookup(DEEP, 5_000).batch == "batch-root"
    assert deep.lookup(DEEP, 500).batch == "batch-6"

    report = {
        "unit": "ns per call",
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "history": HISTORY,
        "load_average_1m": round(os.getloadavg()[0], 2),  # shared machine: read numbers with it
        "results": {name: round(ns, 1) for name, ns in results.items()},
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
