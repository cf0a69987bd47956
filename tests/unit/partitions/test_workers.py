"""The worker supervisor's pure parts: child settings, environment, merged metrics."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from uns.config.settings import ServiceSettings, load_settings
from uns.worker_metrics import Child, WorkersCollector, all_ready, merge
from uns.workers import child_environment, child_settings

CHILD = """# HELP uns_messages_received_total Raw messages taken in
# TYPE uns_messages_received_total counter
uns_messages_received_total %d
# HELP uns_messages_total Outcomes
# TYPE uns_messages_total counter
uns_messages_total{outcome="enriched",reason=""} %d
"""


def test_child_settings_are_one_partition_each_on_its_own_port() -> None:
    settings = load_settings(None, {"workers": 3, "broker.client_id": "uns-a"})
    data = child_settings(settings, 2, 40123)
    child = ServiceSettings.model_validate(data)
    assert child.partition == "2/3"
    assert child.workers == 1
    assert (child.metrics_host, child.metrics_port) == ("127.0.0.1", 40123)
    assert child.broker_settings(env={}).client_id == "uns-a-p2of3"


def test_children_get_no_uns_variables_but_the_password() -> None:
    env = {"PATH": "/bin", "UNS_WORKERS": "2", "UNS_BROKER_PASSWORD": "s", "UNS_PARTITION": "0/2"}
    assert child_environment(env) == {"PATH": "/bin", "UNS_BROKER_PASSWORD": "s"}


def test_merged_metrics_label_each_sample_with_its_partition() -> None:
    families = {f.name: f for f in merge([("0/2", CHILD % (5, 4)), ("1/2", CHILD % (7, 7))])}
    received = families["uns_messages_received"]
    assert [(s.labels, s.value) for s in received.samples] == [
        ({"partition": "0/2"}, 5.0),
        ({"partition": "1/2"}, 7.0),
    ]
    outcomes = [
        (s.labels["partition"], s.labels["outcome"], s.value)
        for s in families["uns_messages"].samples
    ]
    assert outcomes == [("0/2", "enriched", 4.0), ("1/2", "enriched", 7.0)]


def test_an_unreachable_worker_is_counted_and_not_ready() -> None:
    children = [Child("0/2", None, running=True), Child("1/2", 1, restarts=3, running=False)]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkersCollector(lambda: children))
    text = generate_latest(registry).decode()
    assert 'uns_worker_restarts{partition="1/2"} 3.0' in text
    assert "uns_workers_unreachable 2.0" in text
    assert all_ready(children) == (False, "worker 1/2 is not running")
