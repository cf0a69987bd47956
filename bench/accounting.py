"""Loss and order accounting shared by the MQTT benchmarks.

A sink records every arrival in `Arrivals` (by sequence number and topic); the parent turns
what the sink reports into the result fields with `account()`, and ends with `verdict()`: a run
that lost or reordered messages, or failed outright, exits non-zero and says which and how many.
A throughput figure from a run that dropped messages is not a result.

Order is judged per topic, the only order MQTT promises (and the one a QoS 1 pipeline must keep):
a message whose sequence number is below one already seen on its topic counts as reordered.
Redeliveries (duplicates) are counted apart and are neither lost nor reordered.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any


class Arrivals:
    """What a sink saw of `expected` messages numbered 0 .. expected - 1."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.received = 0
        self.unique = 0
        self.reordered = 0
        self.strays = 0  # sequence numbers outside the run, e.g. start-up probes
        self._seen = bytearray(expected)
        self._last: dict[bytes, int] = {}

    def arrive(self, topic: bytes, seq: int) -> None:
        self.received += 1
        if not 0 <= seq < self.expected:
            self.strays += 1
            return
        if self._seen[seq]:
            return  # a duplicate: counted by received - unique
        self._seen[seq] = 1
        self.unique += 1
        if seq < self._last.get(topic, -1):
            self.reordered += 1
        else:
            self._last[topic] = seq

    def summary(self) -> dict[str, int]:
        return {
            "received": self.received,
            "unique": self.unique,
            "reordered": self.reordered,
            "strays": self.strays,
        }


def account(expected: int, sunk: Mapping[str, Any]) -> dict[str, Any]:
    """The loss fields of a result, from a sink's `Arrivals.summary()`."""
    lost = expected - int(sunk["unique"])
    return {
        "messages": expected,
        "received": sunk["received"],
        "lost": lost,
        "lost_pct": round(100 * lost / expected, 3) if expected else 0.0,
        "duplicates": sunk["received"] - sunk["unique"] - sunk.get("strays", 0),
        "reordered": sunk.get("reordered", 0),
    }


def failures(results: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per result that lost or reordered messages or did not finish."""
    out = []
    for r in results:
        name = f"{r.get('variant') or r.get('scenario')}" + (
            f" run {r['run']}" if "run" in r else ""
        )
        if "error" in r:
            out.append(f"{name}: did not finish: {r['error']}")
            continue
        problems = []
        if r.get("lost"):
            problems.append(f"lost {r['lost']} of {r['messages']} messages ({r.get('lost_pct')} %)")
        if r.get("reordered"):
            problems.append(f"reordered {r['reordered']}")
        if problems:
            out.append(f"{name}: " + ", ".join(problems))
    return out


def verdict(results: Iterable[Mapping[str, Any]]) -> int:
    """The benchmark's exit status: 0 if nothing was lost or reordered, else 1, said on stderr."""
    bad = failures(results)
    for line in bad:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if bad else 0
