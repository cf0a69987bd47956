"""Prometheus metrics: plain counters on the hot path, turned into metric families at scrape time.

`prometheus_client`'s own Counter costs a lock and a label lookup per increment; at tens of
thousands of messages per second that is measurable, so the service counts in plain ints
(`Stats`) and a collector reads them when Prometheus scrapes. Labels are low-cardinality
(outcome, reason, kind), never a topic or an asset id.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import (
    CollectorRegistry,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from uns import __version__
from uns.pipeline import Counters

LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0)


@dataclass
class Histogram:
    """A fixed-bucket histogram in plain Python (observe is a bisect and two adds)."""

    bounds: tuple[float, ...] = LATENCY_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        running = 0
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            out.append(("+Inf" if bound == float("inf") else repr(bound), running))
        return out


@dataclass
class Stats:
    """Every number the service exports, updated without locks from the event loop."""

    received: int = 0
    published: dict[str, int] = field(default_factory=dict)  # enriched / deadletter
    outcomes: dict[tuple[str, str], int] = field(default_factory=dict)  # (outcome, reason)
    counters: Counters = field(default_factory=Counters)  # the pipeline's own counts
    publish_failures: int = 0  # publishes the broker refused (or that were never sent)
    publishes_refused: int = 0  # governed outputs replaced by a dead letter
    deadletters_refused: int = 0  # alert: a raw message stays unacknowledged
    message_failures: int = 0  # internal errors while enriching
    reloads: dict[str, int] = field(default_factory=dict)  # ok / failed
    model_version: str = ""
    model_loaded_at: float = 0.0
    latency: Histogram = field(default_factory=Histogram)
    connected: bool = False
    gauges: dict[str, Callable[[], float]] = field(default_factory=dict)

    def outcome(self, outcome: str, reason: str = "") -> None:
        key = (outcome, reason)
        self.outcomes[key] = self.outcomes.get(key, 0) + 1


class StatsCollector(Collector):
    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        s = self.stats
        info = InfoMetricFamily("uns_build", "Build information")
        info.add_metric([], {"version": __version__})
        yield info
        received = CounterMetricFamily("uns_messages_received", "Raw messages taken in")
        received.add_metric([], s.received)
        yield received
        messages = CounterMetricFamily(
            "uns_messages", "Raw messages by outcome", labels=["outcome", "reason"]
        )
        for (outcome, reason), n in sorted(s.outcomes.items()):
            messages.add_metric([outcome, reason], n)
        yield messages
        published = CounterMetricFamily("uns_published", "Messages published", labels=["kind"])
        for kind, n in sorted(s.published.items()):
            published.add_metric([kind], n)
        yield published
        failures = CounterMetricFamily("uns_publish_failures", "Publishes not acknowledged")
        failures.add_metric([], s.publish_failures)
        yield failures
        for name, text, value in (
            ("uns_publishes_refused", "Outputs replaced by a dead letter", s.publishes_refused),
            ("uns_deadletters_refused", "Dead letters the broker refused", s.deadletters_refused),
            ("uns_message_failures", "Internal errors while enriching", s.message_failures),
        ):
            family = CounterMetricFamily(name, text)
            family.add_metric([], value)
            yield family
        c = s.counters
        ctx = CounterMetricFamily("uns_context_updates", "MES context announcements applied")
        ctx.add_metric([], c.context_updates)
        yield ctx
        misses = CounterMetricFamily(
            "uns_context_misses", "Context end events that matched nothing", labels=["kind"]
        )
        for kind, n in sorted(c.context_unmatched_ends.items()):
            misses.add_metric([kind], n)
        yield misses
        for name, doc, value in (
            ("uns_sparkplug_seq_gaps", "Sparkplug seq gaps seen", c.sparkplug_seq_gaps),
            ("uns_sparkplug_rebirths", "Sparkplug rebirths requested", c.sparkplug_rebirths),
            (
                "uns_sparkplug_rebirths_throttled",
                "Sparkplug rebirth requests held back by the per-node or global limit",
                c.sparkplug_rebirths_throttled,
            ),
            (
                "uns_sparkplug_nodes_evicted",
                "Sparkplug edge nodes evicted to bound the host state",
                c.sparkplug_nodes_evicted,
            ),
        ):
            counter = CounterMetricFamily(name, doc)
            counter.add_metric([], value)
            yield counter
        problems = CounterMetricFamily(
            "uns_sparkplug_problems", "Sparkplug host problems", labels=["reason"]
        )
        for reason, n in sorted(c.sparkplug_problems.items()):
            problems.add_metric([reason], n)
        yield problems
        reloads = CounterMetricFamily("uns_model_reloads", "Model reloads", labels=["outcome"])
        for outcome, n in sorted(s.reloads.items()):
            reloads.add_metric([outcome], n)
        yield reloads
        model = GaugeMetricFamily(
            "uns_model_loaded_timestamp_seconds",
            "When the model in use was loaded",
            labels=["version"],
        )
        model.add_metric([s.model_version], s.model_loaded_at)
        yield model
        hist = HistogramMetricFamily(
            "uns_process_seconds", "Time from receipt to acknowledged publish"
        )
        hist.add_metric([], s.latency.buckets(), s.latency.total)
        yield hist
        up = GaugeMetricFamily("uns_broker_connected", "1 while connected to the broker")
        up.add_metric([], 1.0 if s.connected else 0.0)
        yield up
        for name, read in sorted(s.gauges.items()):
            g = GaugeMetricFamily(name, name.replace("_", " "))
            g.add_metric([], read())
            yield g


def registry_for(stats: Stats) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatsCollector(stats))
    return registry
