"""Does switching the cyclic garbage collector off during a model load pay for itself?

`uns.config.loader.load_model_lenient` disables the collector while it loads: a load allocates
hundreds of thousands of long-lived objects and frees almost nothing, so the collector's passes
only re-scan them. This times the same load (the lint benchmark's generated model) with the
collector on and off, alternating, and prints the best of each.

Run from the repository root:  .venv/bin/python bench/loader_gc.py [--sites 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).parent))

from lint_bench import generate

from uns.config.loader import load_model_lenient


def timed_load(root: Path, collector: bool) -> float:
    """Seconds for one load; with `collector` the loader's `gc.disable()` is made a no-op."""
    gc.collect()
    start = time.perf_counter()
    if collector:
        with mock.patch.object(gc, "disable", return_value=None):
            load_model_lenient(root)
    else:
        load_model_lenient(root)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {"collector_on": [], "collector_off": []}
    with tempfile.TemporaryDirectory(prefix="uns-loader-gc-") as tmp:
        root = Path(tmp)
        generate(root, args.sites)
        for _ in range(args.repeat):
            for name, times in runs.items():
                times.append(round(timed_load(root, name == "collector_on"), 3))
    best = {name: min(times) for name, times in runs.items()}
    json.dump({"sites": args.sites, "best_s": best, "runs_s": runs}, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
