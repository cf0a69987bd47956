"""The metrics and readiness of `uns run --workers N`, gathered from the children's endpoints.

Each child serves /metrics and /readyz on its own loopback port; the supervisor's endpoint
answers for all of them: every child sample gets a `partition="I/N"` label (a child that does
not answer is left out and counted in `uns_workers_unreachable`), and /readyz is ready when
every child is. Fetched when scraped (no cache that could hide a dead child).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector, CollectorRegistry

FETCH_TIMEOUT_S = 2.0
PARTITION_LABEL = "partition"


@dataclass
class Child:
    """What the supervisor knows of one worker; `restarts` counts its restarts."""

    partition: str  # "I/N"
    port: int | None  # its metrics port (None: metrics disabled)
    restarts: int = 0
    running: bool = False


def merge(texts: Sequence[tuple[str, str]]) -> list[Metric]:
    """One family per metric name, each sample labelled with the partition it came from.

    `texts` are (partition, Prometheus text exposition) pairs.
    """
    families: dict[str, Metric] = {}
    for partition, text in texts:
        for family in text_string_to_metric_families(text):
            merged = families.get(family.name)
            if merged is None:
                merged = families[family.name] = Metric(
                    family.name, family.documentation, family.type, family.unit
                )
            for s in family.samples:
                labels = {**s.labels, PARTITION_LABEL: partition}
                merged.add_sample(s.name, labels, s.value, s.timestamp, s.exemplar)
    return list(families.values())


def fetch(port: int, path: str, host: str = "127.0.0.1") -> tuple[int, str] | None:
    """(status, body) of GET http://host:port/path; None when the child does not answer."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=FETCH_TIMEOUT_S) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (OSError, ValueError):
        return None


class WorkersCollector(Collector):
    def __init__(self, children: Callable[[], Sequence[Child]]) -> None:
        self.children = children

    def collect(self) -> Iterator[Metric]:
        children = self.children()
        texts: list[tuple[str, str]] = []
        unreachable = 0
        for child in children:
            got = fetch(child.port, "/metrics") if child.port is not None else None
            if got is None or got[0] != 200:
                unreachable += 1
                continue
            texts.append((child.partition, got[1]))
        yield from merge(texts)
        restarts = GaugeMetricFamily(
            "uns_worker_restarts", "Restarts of each worker process", labels=[PARTITION_LABEL]
        )
        for child in children:
            restarts.add_metric([child.partition], float(child.restarts))
        yield restarts
        yield GaugeMetricFamily(
            "uns_workers_unreachable", "Workers whose /metrics did not answer", unreachable
        )


def registry_of(children: Callable[[], Sequence[Child]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkersCollector(children))
    return registry


def all_ready(children: Sequence[Child]) -> tuple[bool, str]:
    """Ready when every worker runs and says it is ready; else the first reason."""
    for child in children:
        if not child.running:
            return False, f"worker {child.partition} is not running"
        if child.port is None:
            continue
        got = fetch(child.port, "/readyz")
        if got is None:
            return False, f"worker {child.partition} does not answer"
        if got[0] != 200:
            return False, f"worker {child.partition}: {got[1].strip()}"
    return True, "ready"
