"""`uns partitions` and the `--partitions N` views of `uns tree`: how bindings spread.

The model has no rate hints, so the expected load of a partition is its share of the bindings
(`uns.partitioning` decides ownership; this module only renders it).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from uns.model.namespace import Namespace
from uns.partitioning import EVERY, PartitionPlan, split_report

EXIT_OK, EXIT_USAGE = 0, 2


def split_lines(ns: Namespace, count: int, names: bool = True) -> list[str]:
    """One line per partition with its bindings and share, then the spread Sparkplug ones."""
    total = len(ns.bindings)
    lines = [
        f"{total} binding(s) over {count} partition(s); owner = highest blake2b weight of the "
        "binding name (Sparkplug: of group/edge_node); load = share of bindings (no rate hints)"
    ]
    for partition, owned in split_report(ns, count):
        listed = ", ".join(w.binding for w in owned) if names else ""
        if partition is None:
            lines.append(
                f"  every partition, split by edge node: {len(owned)} Sparkplug binding(s) "
                f"with a wildcard group or node{': ' + listed if listed else ''}"
            )
            continue
        share = 100.0 * len(owned) / total if total else 0.0
        lines.append(
            f"  {partition}/{count}: {len(owned):4d} binding(s) {share:5.1f}%"
            f"{'  ' + listed if listed else ''}"
        )
    if ns.context_sources:
        lines.append(f"  every partition: {len(ns.context_sources)} context source(s)")
    return lines


def owner_text(plan: PartitionPlan, topic: str) -> str:
    who = plan.owner(topic)
    if who == EVERY:
        return f"every partition of {plan.count} (context or Sparkplug STATE)"
    return f"{who}/{plan.count}"


def partitions_command(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    from pathlib import Path

    from uns.config.loader import load_model

    if not Path(args.models).exists():
        print(f"uns: error: {args.models}: no such file or directory", file=err)
        return EXIT_USAGE
    ns = load_model(args.models)
    for line in split_lines(ns, args.count, names=not args.summary):
        print(line, file=out)
    return EXIT_OK


def add_partitions_parser(sub: Any) -> None:
    from uns.argtypes import positive_int

    report = sub.add_parser(
        "partitions", help="show how bindings spread over N partitions (`uns run --partition`)"
    )
    report.add_argument("models", metavar="MODELS_DIR")
    report.add_argument("--count", type=positive_int, required=True, metavar="N")
    report.add_argument("--summary", action="store_true", help="counts only, no binding names")
    report.set_defaults(func=partitions_command)
