"""Lint benchmark: generate a 200-site / 200,000-tag model, then time loading and linting it.

The generated enterprise has, per site, 2 areas x 5 lines x 10 equipment (one of 10 classes of
10 tags each), one binding per line (a mapped `{asset}` code table, raw tags through a `tags`
map), one MES context source per site, and one of three shift calendars in one of eight time
zones: 20,000 equipment, 200,000 governed tags, 2,000 bindings. It is consistent, so the lint
reports (almost) nothing and the time is the cost of the checks, not of printing.

Run from the repository root:  .venv/bin/python bench/lint_bench.py [--sites 200] [--profile]
Results go to bench/results/lint.json (seconds for load, graph, rules; best of --repeat runs).
`--profile` prints the top functions by cumulative time (cProfile) for one load + lint.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import platform
import pstats
import sys
import tempfile
import time
from pathlib import Path

from uns.config.loader import load_model_lenient
from uns.lint.graph import build_graph
from uns.lint.linter import lint_namespace

RESULT = Path(__file__).parent / "results" / "lint.json"
AREAS, LINES, EQUIPMENT, CLASSES, TAGS = 2, 5, 10, 10, 10
ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/Chicago",
    "America/New_York",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Australia/Sydney",
)
WORDS = [
    "temperature",
    "pressure",
    "flow",
    "speed",
    "level",
    "torque",
    "current",
    "voltage",
    "power",
    "energy",
    "vibration",
    "humidity",
    "weight",
    "count",
    "state",
    "alarm",
    "position",
    "density",
    "viscosity",
    "ph",
    "conductivity",
    "turbidity",
    "setpoint",
    "output",
    "runtime",
    "cycles",
    "rejects",
    "fill_level",
    "motor_load",
    "oil_temperature",
]

HEADER = """\
enterprise:
  name: benchco
  levels: [site, area, line, equipment]
  naming:
    max_depth: 10
"""

CALENDARS = """\
calendars:
  three-by-eight:
    kind: weekly
    shifts:
      - {name: early, start: "06:00", end: "14:00"}
      - {name: late, start: "14:00", end: "22:00"}
      - {name: night, start: "22:00", end: "06:00"}
  dupont:
    kind: rotation
    anchor: "2026-01-05"
    shifts:
      - {name: day, code: D, start: "07:00", end: "19:00"}
      - {name: night, code: N, start: "19:00", end: "07:00"}
    pattern: "NNNN---DDD-NNN---DDDD-------"
    crews: {A: 0, B: 7, C: 14, D: 21}
  panama:
    kind: rotation
    anchor: "2026-01-05"
    shifts:
      - {name: day, code: D, start: "07:00", end: "19:00"}
      - {name: night, code: N, start: "19:00", end: "07:00"}
    crews:
      A: "DD---DD--DDD--NN---NN--NNN--"
      B: "--DDD--DD---DD--NNN--NN---NN"
      C: "NN---NN--NNN--DD---DD--DDD--"
      D: "--NNN--NN---NN--DDD--DD---DD"
"""


def _class_tags(k: int) -> list[str]:
    return [WORDS[(k * 3 + j) % len(WORDS)] for j in range(TAGS)]


def classes_yaml() -> str:
    units = {"temperature": "degC", "pressure": "bar", "flow": "m^3/h", "speed": "rpm"}
    out = ["classes:"]
    for k in range(CLASSES):
        out.append(f"  machine-{k}:")
        out.append("    tags:")
        for tag in _class_tags(k):
            unit = units.get(tag)
            spec = f"{{datatype: float, unit: {unit}}}" if unit else "float"
            out.append(f"      {tag}: {spec}")
    return "\n".join(out) + "\n"


def site_yaml(s: int) -> str:
    site = f"site-{s:03d}"
    calendar = ("three-by-eight", "dupont", "panama")[s % 3]
    out = [
        "sites:",
        f"  {site}:",
        f"    timezone: {ZONES[s % len(ZONES)]}",
        f"    calendar: {calendar}",
        "    area:",
    ]
    bindings = ["bindings:"]
    for a in range(AREAS):
        out += [f"      area-{a}:", "        line:"]
        for li in range(LINES):
            out += [f"          line-{li}:", "            equipment:"]
            codes = []
            for e in range(EQUIPMENT):
                out.append(f"              eq-{e}: machine-{e % CLASSES}")
                codes.append(f"E{e}: eq-{e}")
            bindings += [
                f"  - name: {site}-a{a}-l{li}",
                f'    topic: "plc/{site}/A{a}L{li}/{{asset}}/{{raw_tag}}"',
                "    format: scalar",
                f"    map: {{asset: {{{', '.join(codes)}}}}}",
                f'    equipment: "{site}/area-{a}/line-{li}/{{asset}}"',
                '    tag: "{raw_tag}"',
            ]
    lines = ", ".join(f"L{li}: line-{li}" for li in range(LINES))
    context = [
        "context:",
        f"  - name: {site}-orders",
        f'    topic: "mes/{site}/{{line}}/order"',
        f"    map: {{line: {{{lines}}}}}",
        f'    scope: "{site}/area-0/{{line}}"',
        "    fields: {order: order_no, product: sku}",
    ]
    return "\n".join([*out, *bindings, *context]) + "\n"


def generate(root: Path, sites: int) -> None:
    (root / "sites").mkdir(parents=True, exist_ok=True)
    (root / "enterprise.yaml").write_text(HEADER, encoding="utf-8")
    (root / "calendars.yaml").write_text(CALENDARS, encoding="utf-8")
    (root / "classes.yaml").write_text(classes_yaml(), encoding="utf-8")
    for s in range(sites):
        (root / "sites" / f"site-{s:03d}.yaml").write_text(site_yaml(s), encoding="utf-8")


def run_once(root: Path) -> dict[str, float | int]:
    # Wall time, and CPU time of this process (steadier on a shared machine).
    w0, c0 = time.perf_counter(), time.process_time()
    ns, loader_problems = load_model_lenient(root)
    w1, c1 = time.perf_counter(), time.process_time()
    graph = build_graph(ns)
    w2, c2 = time.perf_counter(), time.process_time()
    problems = lint_namespace(ns, loader_problems, graph=graph)
    w3, c3 = time.perf_counter(), time.process_time()
    tags = sum(len(n.tags) for n in ns.equipment())
    return {
        "load_s": round(w1 - w0, 3),
        "graph_s": round(w2 - w1, 3),
        "rules_s": round(w3 - w2, 3),
        "total_s": round(w3 - w0, 3),
        "load_cpu_s": round(c1 - c0, 3),
        "graph_cpu_s": round(c2 - c1, 3),
        "rules_cpu_s": round(c3 - c2, 3),
        "total_cpu_s": round(c3 - c0, 3),
        "tags": tags,
        "equipment": sum(1 for _ in ns.equipment()),
        "bindings": len(ns.bindings),
        "graph_nodes": graph.g.number_of_nodes(),
        "graph_edges": graph.g.number_of_edges(),
        "problems": len(problems),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="uns-lint-bench-") as tmp:
        root = Path(tmp)
        generate(root, args.sites)
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            run_once(root)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
            return 0
        runs = [run_once(root) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["total_s"])
    result = {
        "benchmark": "uns lint: load + graph + rules",
        "sites": args.sites,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "best": best,
        "runs_total_s": [r["total_s"] for r in runs],
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
