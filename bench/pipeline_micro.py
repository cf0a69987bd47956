"""The pure pipeline (`Enricher.process`) without any MQTT: microseconds per message.

Separates the cost of contextualising from the cost of the transport, and checks that the
binding lookup costs the same with 100 and 100,000 bindings. Results:
bench/results/pipeline_micro.json.

    .venv/bin/python bench/pipeline_micro.py [--messages 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import e2e  # a sibling script: the same generated models as the end-to-end benchmark

from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.pipeline import Enricher

ROOT = Path(__file__).parent.parent
PLANT = ROOT / "tests" / "data" / "models" / "plant"
NOW = 1774346400000


def per_message(enricher: Enricher, messages: list[tuple[str, bytes]], n: int) -> float:
    """Best of three passes, microseconds per message."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for i in range(n):
            topic, payload = messages[i % len(messages)]
            enricher.process(topic, payload, NOW + i)
        best = min(best, (time.perf_counter() - started) / n * 1e6)
    return round(best, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    n = parser.parse_args().messages
    hot = [(e2e.hot_topic(i), e2e.raw_payload(i, NOW)) for i in range(100)]
    results: dict[str, float] = {}
    load_s: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for bindings in (100, 100_000):
            models = Path(tmp) / str(bindings)
            models.mkdir()
            e2e.write_model(models, bindings)
            started = time.perf_counter()
            ns = load_model(models)
            load_s[str(bindings)] = round(time.perf_counter() - started, 2)
            enricher = Enricher(ns, ContextStore())
            results[f"json_{bindings}_bindings"] = per_message(enricher, hot, n)
    plant = Enricher(load_model(PLANT), ContextStore())
    kepware = b'{"timestamp": %d, "values": [%s]}' % (
        NOW,
        b", ".join(
            b'{"id": "L9.OV9.TT1", "v": %d, "q": true, "t": %d}' % (i, NOW) for i in range(10)
        ),
    )
    results["scalar_psi_to_bar"] = per_message(plant, [("raw/scalar/O1/PT100", b"14.5")], n)
    results["kepware_10_values"] = per_message(plant, [("raw/kepware/austin", kepware)], n // 10)
    results["dead_letter_no_binding"] = per_message(plant, [("nobody/listens", b"1")], n)
    ratio = results["json_100000_bindings"] / results["json_100_bindings"]
    report = {
        "benchmark": "pipeline_micro",
        "unit": "microseconds per raw message, best of 3",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "results_us": results,
        "cost_ratio_100k_vs_100_bindings": round(ratio, 2),
        "model_load_s": load_s,
    }
    out = ROOT / "bench" / "results" / "pipeline_micro.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
