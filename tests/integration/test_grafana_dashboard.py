"""docs/deploy/grafana-dashboard.json only uses metrics (and labels) a real /metrics has."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.harness import running_service
from uns.config.loader import load_model
from uns.web import serve_page

pytestmark = pytest.mark.broker
DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "grafana-dashboard.json"
METRIC = re.compile(r"\buns_[a-z0-9_]+")
GROUPED = re.compile(r"by \((\w+)\) \((?:rate|increase)\((uns_\w+)")


def expressions(doc: dict[str, Any]) -> list[str]:
    out = [t["expr"] for p in doc["panels"] for t in p["targets"]]
    out += [a["expr"] for a in doc["annotations"]["list"]]
    out += [v["definition"] for v in doc["templating"]["list"] if "definition" in v]
    return out


def test_the_dashboard_is_well_formed() -> None:
    doc = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids))
    assert all(p["targets"] and all(t["expr"] for t in p["targets"]) for p in doc["panels"])
    titles = " ".join(p["title"].lower() for p in doc["panels"])
    for topic in ("throughput", "dead letters", "in flight", "publish failures", "reloads"):
        assert topic in titles
    assert "sparkplug nodes" in titles


async def test_every_metric_it_uses_is_on_a_real_scrape(
    broker: Any, unique_topic: str, tmp_path: Path
) -> None:
    async with running_service(broker.port, unique_topic, tmp_path) as run:  # noqa: SIM117
        # (nested: the model file exists only once the service runs)
        async with serve_page(run.service, load_model(tmp_path), port=0) as url:
            await run.publish("raw/scalar/O1/STATE", b"run")
            await run.publish("raw/scalar/O1/NOPE", b"1")
            await run.sink.wait_for(2)

            def scrape() -> str:
                with urllib.request.urlopen(url + "metrics", timeout=5) as reply:
                    return str(reply.read().decode())

            text = await asyncio.to_thread(scrape)
    samples: dict[str, set[str]] = {}  # sample name -> label names seen
    for family in text_string_to_metric_families(text):
        suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count")}
        for suffix in ("", *suffixes.get(family.type, ())):
            samples.setdefault(family.name + suffix, set())
        for sample in family.samples:
            samples.setdefault(sample.name, set()).update(sample.labels)
    used = {m for e in expressions(json.loads(DASHBOARD.read_text())) for m in METRIC.findall(e)}
    assert len(used) >= 12
    assert sorted(used - samples.keys()) == []
    for expr in expressions(json.loads(DASHBOARD.read_text())):
        for label, metric in GROUPED.findall(expr):
            if samples[metric]:  # a family with samples: its labels are known
                assert label in samples[metric], (metric, label)
