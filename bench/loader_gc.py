"""Model load time: the collector question, and a 100k-binding model against its target.

`uns.config.loader.load_model_lenient` disables the collector while it loads: a load allocates
hundreds of thousands of long-lived objects and frees almost nothing, so the collector's passes
only re-scan them. By default this times the same load (the lint benchmark's generated model)
with the collector on and off, alternating, and prints the best of each.

With `--bindings N` it instead loads the end-to-end benchmark's N-binding model (literal
topics, as a large site's gateway export gives them; 20k bindings per file) as `uns check`
and `uns run` do, and
writes `bench/results/loader.json` with the best wall and CPU time against the target (issue
12: 100k bindings in under 5 s, so a hot reload of a large site takes seconds).

Run from the repository root:  .venv/bin/python bench/loader_gc.py [--sites 200] [--repeat 3]
                               .venv/bin/python bench/loader_gc.py --bindings 100000
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

from e2e import write_model
from lint_bench import generate

from uns.config.loader import load_model_lenient

TARGET_S = 5.0  # 100k bindings (issue 12)
RESULTS = Path(__file__).parent / "results" / "loader.json"


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


def split_bindings(model: Path, per_file: int = 20_000) -> None:
    """Move the bindings into files of `per_file` each, as a large site keeps them (one file
    per gateway or line), and below the loader's per-file size limit."""
    head, _, bindings = model.read_text(encoding="utf-8").partition("bindings:\n")
    rows = bindings.splitlines()
    model.write_text(head, encoding="utf-8")
    for start in range(0, len(rows), per_file):
        chunk = "\n".join(rows[start : start + per_file])
        (model.parent / f"bindings-{start // per_file:03d}.yaml").write_text(
            f"bindings:\n{chunk}\n", encoding="utf-8"
        )


def bindings_load(bindings: int, repeat: int) -> dict[str, object]:
    """Best wall and CPU seconds to load an N-binding model, as the service does."""
    runs: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="uns-loader-") as tmp:
        root = Path(tmp)
        write_model(root, bindings)
        split_bindings(root / "model.yaml")
        for _ in range(repeat):
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            ns, problems = load_model_lenient(root)
            runs.append((time.perf_counter() - w0, time.process_time() - c0))
            if problems or len(ns.bindings) != bindings:
                raise SystemExit("the generated model must load without problems")
    wall, cpu = min(runs)
    return {
        "benchmark": "model load (uns check / uns run / reload)",
        "bindings": bindings,
        "best_wall_s": round(wall, 3),
        "best_cpu_s": round(cpu, 3),
        "runs_wall_s": [round(w, 3) for w, _ in runs],
        "target_s": TARGET_S,
        "meets_target": wall < TARGET_S,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bindings", type=int, default=0, help="time an N-binding model load")
    args = parser.parse_args()
    if args.bindings:
        result = bindings_load(args.bindings, args.repeat)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        json.dump(result, sys.stdout, indent=2)
        print()
        return 0
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
