"""Partition parsing and the partition plan: who subscribes to what, who enriches what."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mqtt_filters import filter_matches
from tests.partition_model import write_model
from uns.config.loader import load_model
from uns.config.settings import ServiceSettings, load_settings
from uns.errors import SettingsError
from uns.model.partition import Partition, PartitionError, key_hash, owner, weight
from uns.partitioning import EVERY, PartitionPlan, split_report
from uns.service import Service

NODES = [("G", "E1"), ("G", "E2"), ("H", "E3")]


def test_parse_accepts_index_over_count() -> None:
    assert Partition.parse("2/3") == Partition(2, 3)
    assert Partition.parse(" 0 / 1 ") == Partition(0, 1)
    assert str(Partition.parse("1/4")) == "1/4"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3/3", "index 3 is not in 0..2"),
        ("-1/3", "not INDEX/COUNT"),
        ("1", "not INDEX/COUNT"),
        ("a/b", "not INDEX/COUNT"),
        ("0/0", "count 0 is not in 1..1024"),
    ],
)
def test_parse_rejects_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(PartitionError, match=message):
        Partition.parse(text)


def test_hash_is_stable_across_processes() -> None:
    # Fixed values: a salted hash (Python's `hash`) would differ per process and per run.
    assert key_hash("line-b0") == 0xF5F7A5346411AC44  # blake2b-64 of the name
    assert weight(0, key_hash("line-b0")) == 3802177548739891483
    assert [owner(f"line-b{k}", 3) for k in range(10)] == [2, 2, 2, 2, 0, 2, 0, 1, 2, 2]


def test_keys_spread_evenly() -> None:
    counts = [0, 0, 0, 0]
    for i in range(40_000):
        counts[owner(f"binding-{i}", 4)] += 1
    assert all(9_500 < c < 10_500 for c in counts), counts


def test_settings_and_environment_set_the_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNS_PARTITION", "2/4")
    assert load_settings(None, {}).partition_of() == Partition(2, 4)
    assert load_settings(None, {"partition": "1/4"}).partition_of() == Partition(1, 4)
    with pytest.raises(SettingsError, match=r"partition: .*index 4 is not in 0\.\.3"):
        load_settings(None, {"partition": "4/4"})


def test_partitions_and_shared_subscriptions_exclude_each_other() -> None:
    with pytest.raises(SettingsError, match="share_group and partition/workers"):
        load_settings(None, {"partition": "0/2", "share_group": "uns"})
    with pytest.raises(SettingsError, match=r"partition .* or workers"):
        load_settings(None, {"partition": "0/2", "workers": 2})
    with pytest.raises(SettingsError, match=r"host_id with partitions"):
        load_settings(None, {"workers": 2, "sparkplug.host_id": "scada"})


def test_each_partition_subscribes_to_what_it_owns(tmp_path: Path) -> None:
    ns = load_model(write_model(tmp_path, 10, NODES))
    plan = PartitionPlan(ns, 3)
    for p in range(3):
        got = plan.filters(p)
        assert "mes/batch" in got  # context goes to every partition
        for who in plan.owners:
            if who.binding.startswith("line-"):
                k = who.binding.removeprefix("line-b")
                assert (f"raw/b{k}/+" in got) == (who.partition == p)
    owned_nodes = {who.key: who.partition for who in plan.owners if who.key.count("/") == 1}
    assert set(owned_nodes) == {"G/E1", "G/E2", "H/E3"}
    for node, p in owned_nodes.items():
        group, edge = node.split("/")
        for verb in ("NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH"):
            topic = f"spBv1.0/{group}/{verb}/{edge}/D"
            holders = [
                q for q in range(3) if any(filter_matches(f, topic) for f in plan.filters(q))
            ]
            assert holders == [p], (topic, holders)
            assert plan.owner(topic) == p
        assert plan.owner(f"spBv1.0/{group}/NBIRTH/{edge}") == p  # node births: no device


def test_wildcard_sparkplug_binding_spreads_nodes_in_process(tmp_path: Path) -> None:
    ns = load_model(write_model(tmp_path, 2, NODES, spread_sparkplug=True))
    plan = PartitionPlan(ns, 2)
    assert all("spBv1.0/+/NDATA/#" in plan.filters(p) for p in range(2))
    for group, edge in NODES:
        topics = [f"spBv1.0/{group}/{v}/{edge}/D" for v in ("DBIRTH", "DDATA", "DDEATH")]
        topics.append(f"spBv1.0/{group}/NDEATH/{edge}")
        owners = {plan.owner(t) for t in topics}
        assert owners == {owner(f"{group}/{edge}", 2)}
        assert [p for p in range(2) if not plan.foreign(topics[0], p)] == list(owners)
    assert plan.owner("spBv1.0/STATE/host") == EVERY
    assert not plan.foreign("mes/batch", 0)
    assert not plan.foreign("mes/batch", 1)


def test_overlapping_filters_are_enriched_by_the_winning_bindings_owner(tmp_path: Path) -> None:
    # "first" gets a broad pattern (raw/+/+) that covers "second"'s raw/b1/+.
    root = write_model(tmp_path, 2, names=["first", "second"])
    text = (root / "model.yaml").read_text()
    broad = text.replace('topic: "raw/b0/{raw_tag}"', 'topic: "raw/{line}/{raw_tag}"')
    (root / "model.yaml").write_text(broad)
    ns = load_model(root)
    count = next(n for n in range(2, 20) if owner("first", n) != owner("second", n))
    plan = PartitionPlan(ns, count)
    first, second = owner("first", count), owner("second", count)
    # raw/b1/T0: both filters receive it; the more specific binding ("second") wins.
    receivers = [
        p for p in range(count) if any(filter_matches(f, "raw/b1/T0") for f in plan.filters(p))
    ]
    assert sorted(receivers) == sorted({first, second})
    assert [p for p in range(count) if not plan.foreign("raw/b1/T0", p)] == [second]
    assert [p for p in range(count) if not plan.foreign("raw/b7/T0", p)] == [first]


def test_unmatched_topics_are_dead_lettered_by_one_partition(tmp_path: Path) -> None:
    ns = load_model(write_model(tmp_path, 6))
    plan = PartitionPlan(ns, 3, subscribe=["raw/#"])
    assert all(plan.filters(p) == ["mes/batch", "raw/#"] for p in range(3))
    processing = [p for p in range(3) if not plan.foreign("raw/unknown/topic", p)]
    assert processing == [0]


def test_service_subscribes_to_its_partitions_filters(tmp_path: Path) -> None:
    root = write_model(tmp_path, 10, NODES)
    ns = load_model(root)
    plan = PartitionPlan(ns, 3)
    for p in range(3):
        settings = ServiceSettings(models=str(root), partition=f"{p}/3")
        got = [f for f, _ in Service(settings, ns).subscriptions()]
        assert got == plan.filters(p)


def test_split_report_covers_every_binding_once(tmp_path: Path) -> None:
    ns = load_model(write_model(tmp_path, 10, NODES))
    report = split_report(ns, 3)
    names = [who.binding for _, owned in report for who in owned]
    assert sorted(names) == sorted(b.name for b in ns.bindings)
    assert [p for p, _ in report] == [0, 1, 2]


def test_each_partition_has_its_own_session() -> None:
    settings = load_settings(None, {"partition": "1/3", "broker.client_id": "uns-a"})
    assert settings.broker_settings(env={}).client_id == "uns-a-p1of3"
    plain = load_settings(None, {"broker.client_id": "uns-a"})
    assert plain.broker_settings(env={}).client_id == "uns-a"
