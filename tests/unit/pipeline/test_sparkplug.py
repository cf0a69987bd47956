"""Sparkplug B through the pipeline: births, alias-only data, deaths, rebirth requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.pipeline import Enricher, Outgoing
from uns.sparkplug import DataType, SparkplugHost, SparkplugMetric, SparkplugPayload, encode_payload

MODEL = Path(__file__).parents[2] / "data" / "models" / "plant"
T0 = 1774346400000  # 2026-03-24T10:00:00Z
D = DataType
OVEN = "testco/austin/baking/line-9/oven-9"


def enc(seq: int | None, *metrics: SparkplugMetric, ts: int = T0, datatypes: bool = True) -> bytes:
    payload = SparkplugPayload(timestamp=ts, seq=seq, metrics=list(metrics))
    return encode_payload(payload, with_datatypes=datatypes)


NBIRTH = enc(0, SparkplugMetric(name="bdSeq", datatype=D.Int64, value=3))
DBIRTH = enc(
    1,
    SparkplugMetric(name="Process/Temperature", alias=5, datatype=D.Float, value=180.5),
    SparkplugMetric(name="Count", alias=6, datatype=D.Int32, value=-12, timestamp=T0 - 1000),
    SparkplugMetric(name="Unmapped/Thing", alias=7, datatype=D.Int32, value=1),
    SparkplugMetric(name="Process/Setpoint", alias=8, datatype=D.Float, value=180.0),
)


def make(active: bool = False) -> Enricher:
    host = SparkplugHost(active=active, rebirth_min_interval_ms=0)
    return Enricher(load_model(MODEL), ContextStore(), sparkplug=host)


def bodies(outs: list[Outgoing]) -> dict[str, dict[str, Any]]:
    return {o.topic: orjson.loads(o.payload) for o in outs if o.kind == "enriched"}


def test_birth_values_are_enriched_and_unbound_metrics_dead_lettered() -> None:
    e = make()
    assert e.process("spBv1.0/g1/NBIRTH/edge", NBIRTH, T0) == []
    outs = e.process("spBv1.0/g1/DBIRTH/edge/Oven9", DBIRTH, T0)
    got = bodies(outs)
    assert got[f"{OVEN}/temperature"]["value"] == pytest.approx(180.5)
    count = got[f"{OVEN}/good_count"]
    assert count["value"] == -12  # a signed Int32 stays signed
    assert count["timestamp"] == "2026-03-24T09:59:59.000Z"  # the metric's own time
    assert count["source"]["topic"] == "spBv1.0/g1/edge/Oven9"
    dead = [(o.reason, orjson.loads(o.payload)["detail"]) for o in outs if o.kind == "deadletter"]
    assert dead == [("unknown_raw_tag", "raw tag 'Unmapped/Thing' is not in the binding's tags")]


def test_alias_only_data_resolves_through_the_birth_cache() -> None:
    e = make()
    e.process("spBv1.0/g1/NBIRTH/edge", NBIRTH, T0)
    e.process("spBv1.0/g1/DBIRTH/edge/Oven9", DBIRTH, T0)
    data = enc(2, SparkplugMetric(alias=5, value=181.25), ts=T0 + 500, datatypes=False)
    got = bodies(e.process("spBv1.0/g1/DDATA/edge/Oven9", data, T0 + 600))
    temp = got[f"{OVEN}/temperature"]
    assert temp["value"] == pytest.approx(181.25)
    assert temp["timestamp"] == "2026-03-24T10:00:00.500Z"


def test_ddeath_publishes_stale_null_values_at_the_death_time() -> None:
    e = make()
    e.process("spBv1.0/g1/NBIRTH/edge", NBIRTH, T0)
    e.process("spBv1.0/g1/DBIRTH/edge/Oven9", DBIRTH, T0)
    outs = e.process("spBv1.0/g1/DDEATH/edge/Oven9", enc(2, ts=T0 + 9000), T0 + 9100)
    got = bodies(outs)
    assert set(got) == {f"{OVEN}/temperature", f"{OVEN}/good_count", f"{OVEN}/setpoint"}
    for body in got.values():
        assert (body["value"], body["quality"]) == (None, "stale")
        assert body["timestamp"] == "2026-03-24T10:00:09.000Z"


def test_unknown_alias_is_dead_lettered_and_an_active_host_asks_for_a_rebirth() -> None:
    passive, active = make(), make(active=True)
    data = enc(2, SparkplugMetric(alias=99, datatype=D.Float, value=1.0))
    for e in (passive, active):
        e.process("spBv1.0/g1/NBIRTH/edge", NBIRTH, T0)
        e.process("spBv1.0/g1/DBIRTH/edge/Oven9", DBIRTH, T0)
    passive_outs = passive.process("spBv1.0/g1/DDATA/edge/Oven9", data, T0)
    active_outs = active.process("spBv1.0/g1/DDATA/edge/Oven9", data, T0)
    assert [o.kind for o in passive_outs] == ["deadletter"]
    commands = [o for o in active_outs if o.kind == "command"]
    assert [(o.topic, o.qos, o.retain) for o in commands] == [("spBv1.0/g1/NCMD/edge", 0, False)]
    assert active.counters.sparkplug_rebirths == 1


def test_historical_values_never_become_retained_current_values() -> None:
    e = make()
    e.process("spBv1.0/g1/NBIRTH/edge", NBIRTH, T0)
    e.process("spBv1.0/g1/DBIRTH/edge/Oven9", DBIRTH, T0)
    current = enc(2, SparkplugMetric(alias=8, datatype=D.Float, value=185.0))
    history = enc(3, SparkplugMetric(alias=8, datatype=D.Float, value=170.0, is_historical=True))
    outs = e.process("spBv1.0/g1/DDATA/edge/Oven9", current, T0)
    outs += e.process("spBv1.0/g1/DDATA/edge/Oven9", history, T0)
    # The setpoint tag is retained; a historical value must not replace the retained current.
    assert [(o.kind, o.retain) for o in outs] == [("enriched", True), ("enriched", False)]


def test_sparkplug_bindings_stay_out_of_the_raw_subscriptions() -> None:
    e = make()
    assert e.uses_sparkplug
    assert not any(f.startswith("spBv1.0") for f in e.subscriptions())


def test_an_offline_state_on_our_own_topic_is_answered_with_the_session_online_state() -> None:
    host = SparkplugHost(host_id="uns-primary")
    e = Enricher(load_model(MODEL), ContextStore(), sparkplug=host)
    host.state_offline_payload(T0)  # the Will of this session
    host.state_online_payload(T0)  # announced online
    stray = b'{"online": false, "timestamp": 1}'
    [answer] = e.process("spBv1.0/STATE/uns-primary", stray, T0 + 5000)
    assert (answer.topic, answer.retain, answer.qos) == ("spBv1.0/STATE/uns-primary", True, 1)
    assert orjson.loads(answer.payload) == {"online": True, "timestamp": T0}
    assert e.process("spBv1.0/STATE/another-host", stray, T0 + 6000) == []


def test_an_offline_state_is_not_answered_before_we_announced_ourselves() -> None:
    host = SparkplugHost(host_id="uns-primary")
    e = Enricher(load_model(MODEL), ContextStore(), sparkplug=host)
    stray = b'{"online": false, "timestamp": 1}'
    assert e.process("spBv1.0/STATE/uns-primary", stray, T0) == []
