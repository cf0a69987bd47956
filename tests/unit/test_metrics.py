"""The Sparkplug bounds are visible in /metrics: held-back rebirths and evicted nodes."""

from __future__ import annotations

from prometheus_client import generate_latest

from uns.metrics import Stats, registry_for
from uns.pipeline.outputs import Counters


def test_sparkplug_bound_counters_are_exported() -> None:
    counters = Counters(sparkplug_rebirths_throttled=7, sparkplug_nodes_evicted=3)
    text = generate_latest(registry_for(Stats(counters=counters))).decode()
    assert "uns_sparkplug_rebirths_throttled_total 7.0" in text
    assert "uns_sparkplug_nodes_evicted_total 3.0" in text
    assert "uns_sparkplug_rebirths_total 0.0" in text
