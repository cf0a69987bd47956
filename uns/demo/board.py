"""What the demo's subscriber sees (`Board`), rates over a sliding window, the final summary.

Pure state: fed with the governed and dead-letter messages, read by the views.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import orjson

from uns.demo.traffic import PumpStats

__all__ = ["Board", "Rates", "Row", "Summary", "offset_text"]


@dataclass(frozen=True, slots=True)
class Row:
    """One enriched message, as the live table shows it."""

    topic: str
    value: str
    quality: str
    shift: str
    batch: str
    product: str
    timestamp: str
    site: str
    arrival: bool  # no source time: stamped on arrival, on the real clock


@dataclass
class Board:
    """Pure state of the demo's subscriber: latest messages, dead letters, shifts per site."""

    deadletter_prefix: str
    rows: deque[Row] = field(default_factory=lambda: deque(maxlen=14))
    enriched: int = 0
    dead: int = 0
    dead_by_reason: Counter[str] = field(default_factory=Counter)
    dead_recent: deque[tuple[str, str, str]] = field(default_factory=lambda: deque(maxlen=5))
    shifts: dict[str, tuple[str, str]] = field(default_factory=dict)  # site -> (shift, as-of)
    shift_changes: list[tuple[str, str, str, str]] = field(default_factory=list)
    unreadable: int = 0

    def add(self, topic: str, payload: bytes) -> None:
        try:
            doc = orjson.loads(payload)
        except orjson.JSONDecodeError:
            self.unreadable += 1
            return
        if not isinstance(doc, dict):
            self.unreadable += 1
        elif topic.startswith(self.deadletter_prefix):
            self.dead += 1
            reason = str(doc.get("reason"))
            self.dead_by_reason[reason] += 1
            self.dead_recent.appendleft((reason, str(doc.get("topic")), str(doc.get("detail"))))
        else:
            self._enriched(topic, doc)

    def _enriched(self, topic: str, doc: dict[str, Any]) -> None:
        self.enriched += 1
        ctx = doc.get("context") or {}
        asset = doc.get("asset") or {}
        site = str(asset.get("site", "?"))
        shift = _text(ctx.get("shift"))
        if ctx.get("crew"):
            shift = f"{shift} / {ctx['crew']}"
        stamp = str(doc.get("timestamp", ""))
        unit = doc.get("unit")
        self.rows.appendleft(
            Row(
                topic=topic,
                value=_value(doc.get("value")) + (f" {unit}" if unit else ""),
                quality=str(doc.get("quality")),
                shift=shift,
                batch=_text(ctx.get("batch")),
                product=_text(ctx.get("product")),
                timestamp=stamp,
                site=site,
                arrival=doc.get("timestamp_source") == "arrival",
            )
        )
        # The site's shift follows the newest source time seen: values stamped on arrival run
        # on the real clock, and per-value times can be a little out of order.
        if doc.get("timestamp_source") != "source":
            return
        old = self.shifts.get(site)
        if old is None:
            self.shifts[site] = (shift, stamp)
        elif stamp >= old[1]:  # ISO-8601 UTC with fixed precision sorts as text
            if shift != old[0]:
                self.shift_changes.append((site, old[0], shift, stamp))
            self.shifts[site] = (shift, stamp)


def _text(value: object) -> str:
    return "-" if value is None else str(value)


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e7 else f"{value:.4g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Rates:
    """Per-second rates of growing counters over a short sliding window."""

    def __init__(self, window_s: float = 3.0) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, dict[str, int]]] = deque()

    def sample(self, now: float, counts: dict[str, int]) -> None:
        self._samples.append((now, dict(counts)))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window_s:
            self._samples.popleft()

    def per_second(self, name: str) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, c0), (t1, c1) = self._samples[0], self._samples[-1]
        return (c1.get(name, 0) - c0.get(name, 0)) / (t1 - t0) if t1 > t0 else 0.0


# -- summary ---------------------------------------------------------------------------------------


@dataclass
class Summary:
    seconds: float
    broker: str
    offset_ms: int
    pumped: PumpStats
    received: int
    outcomes: dict[tuple[str, str], int]
    board: Board

    def count(self, outcome: str) -> int:
        return sum(n for (o, _), n in self.outcomes.items() if o == outcome)

    def lines(self) -> list[str]:
        p, b = self.pumped, self.board
        reasons = Counter({r: n for (o, r), n in self.outcomes.items() if o == "deadletter"})
        by_reason = " ".join(f"{r}={n}" for r, n in sorted(reasons.items())) or "none"
        changes = ", ".join(
            f"{site} {old} -> {new} at {stamp}" for site, old, new, stamp in b.shift_changes
        )
        failed = f", {p.failed} not acknowledged" if p.failed else ""
        return [
            f"summary: ran {self.seconds:.1f} s against {self.broker}, "
            f"simulated clock {offset_text(self.offset_ms)}",
            f"summary: simulator published {p.total} raw messages: {p.data} data, "
            f"{p.invalid} invalid, {p.context} context{failed}",
            f"summary: service took in {self.received}: enriched={self.count('enriched')} "
            f"deadletter={self.count('deadletter')} context={self.count('context')}",
            f"summary: dead letters by reason: {by_reason}",
            f"summary: subscriber saw {b.enriched} governed messages and {b.dead} dead letters",
            f"summary: shift changes seen: {changes or 'none'}",
        ]


def offset_text(ms: int) -> str:
    sign = "-" if ms < 0 else "+"
    s = abs(ms) // 1000
    return f"{sign}{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"
