"""SparkplugHost: birth caches, alias/name resolution, seq and bdSeq handling, stale marking,
rebirth triggers and throttle, quality and STATE. Payloads are built with the codec's
encoder; the clock is a plain integer passed in."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uns.errors import SettingsError
from uns.sparkplug import (
    REBIRTH_METRIC,
    DataType,
    HostActions,
    MetricSample,
    SparkplugAddress,
    SparkplugHost,
    SparkplugMetric,
    SparkplugPayload,
    SparkplugTemplate,
    decode_payload,
    encode_payload,
    parse_state,
    sparkplug_quality,
    sparkplug_subscriptions,
)
from uns.sparkplug.seq import SeqTracker

D = DataType
T0 = 1_700_000_000_000
G, N, DEV = "plant1", "edge1", "press1"
KEY = (G, N)


def topic(verb: str, device: str | None = None, group: str = G, node: str = N) -> str:
    return f"spBv1.0/{group}/{verb}/{node}" + (f"/{device}" if device else "")


def encode(
    seq: int | None, metrics: list[SparkplugMetric], ts: int | None = T0, datatypes: bool = True
) -> bytes:
    return encode_payload(
        SparkplugPayload(timestamp=ts, seq=seq, metrics=metrics), with_datatypes=datatypes
    )


def node_metrics(bd_seq: int = 7, uptime_alias: int = 2) -> list[SparkplugMetric]:
    return [
        SparkplugMetric(name="bdSeq", datatype=D.Int64, value=bd_seq),
        SparkplugMetric(name=REBIRTH_METRIC, alias=1, datatype=D.Boolean, value=False),
        SparkplugMetric(name="Uptime", alias=uptime_alias, datatype=D.Int64, value=100),
    ]


DEVICE_METRICS = [
    SparkplugMetric(name="Line/Temp", alias=10, timestamp=T0 - 5, datatype=D.Float, value=21.5),
    SparkplugMetric(name="Count", alias=11, datatype=D.Int32, value=-12),
    SparkplugMetric(name="Running", alias=12, datatype=D.Boolean, value=True),
    SparkplugMetric(name="Recipe", alias=13, datatype=D.String, value="A"),
]


def nbirth(seq: int = 0, bd_seq: int = 7, **kw: int) -> bytes:
    return encode(seq, node_metrics(bd_seq, **kw))


def dbirth(seq: int = 1, metrics: list[SparkplugMetric] | None = None) -> bytes:
    return encode(seq, DEVICE_METRICS if metrics is None else metrics)


def ddata(seq: int, *metrics: SparkplugMetric, datatypes: bool = False, ts: int = T0) -> bytes:
    return encode(seq, list(metrics), ts=ts, datatypes=datatypes)


def by_alias(alias: int, value: object, dt: DataType = D.Float, **kw: object) -> SparkplugMetric:
    return SparkplugMetric(alias=alias, datatype=dt, value=value, **kw)  # type: ignore[arg-type]


def born(host: SparkplugHost, now: int = T0) -> SparkplugHost:
    """NBIRTH (seq 0, bdSeq 7) and a DBIRTH (seq 1) for DEV."""
    assert not host.handle(topic("NBIRTH"), nbirth(), now).problems
    assert not host.handle(topic("DBIRTH", DEV), dbirth(), now).problems
    return host


def values(actions: HostActions) -> dict[str, object]:
    return {s.name: s.value for s in actions.samples}


# -- births ------------------------------------------------------------------------------------


def test_nbirth_yields_values_but_not_bdseq_or_node_control() -> None:
    actions = SparkplugHost().handle(topic("NBIRTH"), nbirth(), T0)
    [uptime] = actions.samples
    node = SparkplugAddress(G, N, None)
    assert uptime == MetricSample(node, "Uptime", 100, T0, "good", False, D.Int64)
    assert not actions.problems
    assert not actions.rebirths


def test_dbirth_yields_every_metric_with_its_source_time() -> None:
    host = SparkplugHost()
    host.handle(topic("NBIRTH"), nbirth(), T0)
    actions = host.handle(topic("DBIRTH", DEV), dbirth(), T0 + 50)
    assert values(actions) == {"Line/Temp": 21.5, "Count": -12, "Running": True, "Recipe": "A"}
    temp = actions.samples[0]
    assert (temp.device, temp.timestamp_ms, temp.datatype) == (DEV, T0 - 5, D.Float)
    assert actions.samples[1].timestamp_ms == T0  # no metric timestamp: the payload's


def test_samples_are_frozen() -> None:
    sample = SparkplugHost().handle(topic("NBIRTH"), nbirth(), T0).samples[0]
    assert type(sample) is MetricSample
    with pytest.raises(FrozenInstanceError):
        sample.value = 1  # type: ignore[misc]


def test_birth_metric_without_name_is_a_problem() -> None:
    payload = encode(0, [SparkplugMetric(alias=3, datatype=D.Int32, value=1)])
    actions = SparkplugHost().handle(topic("NBIRTH"), payload, T0)
    assert [r for r, _ in actions.problems] == ["bad_sparkplug"]
    assert not actions.samples


def test_duplicate_alias_across_node_and_device_is_reported() -> None:
    host = SparkplugHost()
    host.handle(topic("NBIRTH"), nbirth(uptime_alias=10), T0)
    actions = host.handle(topic("DBIRTH", DEV), dbirth(), T0)
    assert [r for r, _ in actions.problems] == ["sparkplug_duplicate_alias"]
    # Resolution is per device, so both still resolve on their own topics.
    ndata = host.handle(topic("NDATA"), ddata(2, by_alias(10, 5, D.Int64)), T0)
    device = host.handle(topic("DDATA", DEV), ddata(3, by_alias(10, 1.5)), T0)
    assert values(ndata) == {"Uptime": 5}
    assert values(device) == {"Line/Temp": 1.5}


# -- DATA: alias only, name only, both -----------------------------------------------------------


def test_alias_only_ddata_takes_names_and_datatypes_from_the_birth() -> None:
    host = born(SparkplugHost())
    payload = ddata(
        2,
        by_alias(10, 22.25, timestamp=T0 + 7),
        by_alias(11, -12, D.Int32),
        by_alias(12, False, D.Boolean),
    )
    raw_count = decode_payload(payload).metrics[1]  # no datatype on the wire: raw uint32
    assert (raw_count.datatype, raw_count.value) == (D.Unknown, 4294967284)
    actions = host.handle(topic("DDATA", DEV), payload, T0 + 10)
    assert values(actions) == {"Line/Temp": 22.25, "Count": -12, "Running": False}
    temp, count, _ = actions.samples
    assert (temp.timestamp_ms, temp.datatype) == (T0 + 7, D.Float)
    assert (count.timestamp_ms, count.datatype) == (T0, D.Int32)  # payload time as fallback
    assert not actions.problems
    assert not actions.seq_gaps


def test_name_only_ddata_takes_datatypes_from_the_birth() -> None:
    host = born(SparkplugHost())
    metric = SparkplugMetric(name="Count", datatype=D.Int32, value=-3)
    actions = host.handle(topic("DDATA", DEV), ddata(2, metric), T0)
    [sample] = actions.samples
    assert (sample.name, sample.value, sample.datatype) == ("Count", -3, D.Int32)


def test_name_and_alias_ddata() -> None:
    host = born(SparkplugHost())
    metric = SparkplugMetric(name="Recipe", alias=13, datatype=D.String, value="B")
    assert values(host.handle(topic("DDATA", DEV), ddata(2, metric), T0)) == {"Recipe": "B"}


def test_name_not_in_the_birth_passes_through() -> None:
    host = born(SparkplugHost())
    metric = SparkplugMetric(name="Extra", datatype=D.Double, value=1.0)
    actions = host.handle(topic("DDATA", DEV), ddata(2, metric, datatypes=True), T0)
    assert values(actions) == {"Extra": 1.0}
    assert not actions.problems


def test_ndata_resolves_node_aliases() -> None:
    host = born(SparkplugHost())
    actions = host.handle(topic("NDATA"), ddata(2, by_alias(2, 250, D.Int64)), T0)
    [sample] = actions.samples
    assert (sample.device, sample.name, sample.value) == (None, "Uptime", 250)


def test_node_control_in_data_is_not_a_sample() -> None:
    host = born(SparkplugHost())
    actions = host.handle(topic("NDATA"), ddata(2, by_alias(1, True, D.Boolean)), T0)
    assert not actions.samples
    assert not actions.problems


# -- rebirth triggers ----------------------------------------------------------------------------


def test_unknown_alias_is_a_problem_and_requests_a_rebirth_keeping_the_rest() -> None:
    host = born(SparkplugHost(active=True))
    payload = ddata(2, by_alias(10, 1.0), by_alias(99, 2.0))
    actions = host.handle(topic("DDATA", DEV), payload, T0)
    assert values(actions) == {"Line/Temp": 1.0}
    [(reason, detail)] = actions.problems
    assert reason == "sparkplug_unknown_alias"
    assert "99" in detail
    assert actions.rebirths == [KEY]


def test_alias_of_another_device_is_unknown_here() -> None:
    host = born(SparkplugHost())
    actions = host.handle(topic("DDATA", "other"), ddata(2, by_alias(10, 1.0)), T0)
    assert [r for r, _ in actions.problems] == ["sparkplug_data_before_birth"]
    host.handle(topic("DBIRTH", "other"), dbirth(3, [DEVICE_METRICS[0]]), T0)  # no alias 11
    actions = host.handle(topic("DDATA", "other"), ddata(4, by_alias(11, 1)), T0)
    assert [r for r, _ in actions.problems] == ["sparkplug_unknown_alias"]


@pytest.mark.parametrize(
    ("setup", "verb", "device"),
    [
        pytest.param(False, "NDATA", None, id="ndata-unknown-node"),
        pytest.param(False, "DDATA", DEV, id="ddata-unknown-node"),
        pytest.param(False, "DBIRTH", DEV, id="dbirth-before-nbirth"),
        pytest.param(True, "DDATA", "unborn", id="ddata-before-dbirth"),
    ],
)
def test_data_before_birth(setup: bool, verb: str, device: str | None) -> None:
    host = SparkplugHost(active=True)
    if setup:
        host.handle(topic("NBIRTH"), nbirth(), T0)
    actions = host.handle(topic(verb, device), ddata(1, by_alias(10, 1.0)), T0)
    assert [r for r, _ in actions.problems] == ["sparkplug_data_before_birth"]
    assert not actions.samples
    assert actions.rebirths == [KEY]


def test_passive_host_reports_but_never_requests_rebirths() -> None:
    host = born(SparkplugHost())  # passive by default
    unknown = host.handle(topic("DDATA", DEV), ddata(2, by_alias(99, 1.0)), T0)
    early = host.handle(topic("NDATA", node="ghost"), ddata(0, by_alias(1, 1.0)), T0)
    gap = host.handle(topic("DDATA", DEV), ddata(9, by_alias(10, 1.0)), T0)
    timeout = host.tick(T0 + 2000)
    assert [a.problems[0][0] for a in (unknown, early, timeout)] == [
        "sparkplug_unknown_alias",
        "sparkplug_data_before_birth",
        "sparkplug_seq_gap",
    ]
    assert gap.seq_gaps == 1
    assert all(not a.rebirths and not a.rebirths_throttled for a in (unknown, early, gap, timeout))
    assert host.tick(T0 + 60_000).rebirths == []


def test_rebirths_are_throttled_per_node_and_the_owed_one_is_sent_once() -> None:
    host = born(SparkplugHost(active=True, rebirth_min_interval_ms=5000))
    bad = ddata(2, by_alias(99, 1.0))
    assert host.handle(topic("DDATA", DEV), bad, T0).rebirths == [KEY]
    second = host.handle(topic("DDATA", DEV), bad, T0 + 1000)
    assert (second.rebirths, second.rebirths_throttled) == ([], 1)
    assert host.handle(topic("NDATA", node="other"), bad, T0 + 1000).rebirths == [(G, "other")]
    assert host.tick(T0 + 4999).rebirths == []
    assert host.next_deadline() == T0 + 5000
    assert host.tick(T0 + 5000).rebirths == [KEY]  # owed from the throttled trigger
    assert host.tick(T0 + 20_000).rebirths == []


def test_a_new_birth_cancels_an_owed_rebirth() -> None:
    host = born(SparkplugHost(active=True))
    bad = ddata(2, by_alias(99, 1.0))
    host.handle(topic("DDATA", DEV), bad, T0)
    host.handle(topic("DDATA", DEV), bad, T0 + 100)  # throttled: a rebirth is owed
    host.handle(topic("NBIRTH"), nbirth(bd_seq=8), T0 + 200)
    assert host.tick(T0 + 10_000).rebirths == []
    assert host.next_deadline() is None


# -- seq -----------------------------------------------------------------------------------------


def test_seq_wraps_from_255_to_0() -> None:
    host = SparkplugHost(active=True)
    host.handle(topic("NBIRTH"), nbirth(seq=253), T0)
    host.handle(topic("DBIRTH", DEV), dbirth(seq=254), T0)
    for seq in (255, 0, 1):
        actions = host.handle(topic("DDATA", DEV), ddata(seq, by_alias(10, 1.0)), T0)
        assert actions.seq_gaps == 0
        assert actions.samples
    assert not host.tick(T0 + 10_000)


def test_duplicate_seq_is_processed_not_deduplicated() -> None:
    host = born(SparkplugHost(active=True))
    first = host.handle(topic("DDATA", DEV), ddata(2, by_alias(10, 1.0)), T0)
    again = host.handle(topic("DDATA", DEV), ddata(2, by_alias(10, 2.0)), T0 + 1)
    assert values(first) == {"Line/Temp": 1.0}
    assert values(again) == {"Line/Temp": 2.0}
    assert again.seq_gaps == 0
    assert not again.problems
    assert host.handle(topic("DDATA", DEV), ddata(3, by_alias(10, 3.0)), T0).seq_gaps == 0


def test_gap_then_deadline_requests_one_rebirth() -> None:
    host = born(SparkplugHost(active=True, reorder_timeout_ms=2000))
    gap = host.handle(topic("DDATA", DEV), ddata(5, by_alias(10, 1.0)), T0 + 100)
    assert gap.seq_gaps == 1
    assert gap.samples
    assert not gap.rebirths
    assert not host.tick(T0 + 2099)
    expired = host.tick(T0 + 2100)
    assert expired.rebirths == [KEY]
    assert expired.seq_timeouts == 1
    [(reason, detail)] = expired.problems
    assert reason == "sparkplug_seq_gap"
    assert "3 seq value(s)" in detail
    assert not host.tick(T0 + 60_000)


def test_gap_filled_before_the_deadline_requests_nothing() -> None:
    host = born(SparkplugHost(active=True))
    host.handle(topic("DDATA", DEV), ddata(2, by_alias(10, 1.0)), T0)
    assert host.handle(topic("DDATA", DEV), ddata(4, by_alias(10, 3.0)), T0).seq_gaps == 1
    late = host.handle(topic("DDATA", DEV), ddata(3, by_alias(10, 2.0)), T0 + 500)
    assert values(late) == {"Line/Temp": 2.0}
    assert late.seq_gaps == 0
    assert host.next_deadline() is None
    assert not host.tick(T0 + 10_000)
    assert host.handle(topic("DDATA", DEV), ddata(5, by_alias(10, 4.0)), T0).seq_gaps == 0


def test_a_second_gap_keeps_the_first_deadline() -> None:
    host = born(SparkplugHost(active=True, reorder_timeout_ms=2000))
    host.handle(topic("DDATA", DEV), ddata(3, by_alias(10, 1.0)), T0)
    host.handle(topic("DDATA", DEV), ddata(6, by_alias(10, 1.0)), T0 + 1500)
    assert host.next_deadline() == T0 + 2000
    assert host.tick(T0 + 2000).rebirths == [KEY]


def test_nbirth_restarts_the_seq_count_and_cancels_the_timer() -> None:
    host = born(SparkplugHost(active=True))
    host.handle(topic("DDATA", DEV), ddata(9, by_alias(10, 1.0)), T0)
    host.handle(topic("NBIRTH"), nbirth(), T0 + 10)
    assert host.next_deadline() is None
    assert host.handle(topic("DBIRTH", DEV), dbirth(1), T0).seq_gaps == 0


def test_seq_checking_can_be_turned_off() -> None:
    host = born(SparkplugHost(active=True, check_seq=False))
    assert host.handle(topic("DDATA", DEV), ddata(77, by_alias(10, 1.0)), T0).seq_gaps == 0
    assert not host.tick(T0 + 60_000)


def test_out_of_range_seq_is_a_problem_but_the_values_go_through() -> None:
    host = born(SparkplugHost())
    actions = host.handle(topic("DDATA", DEV), ddata(300, by_alias(10, 1.0)), T0)
    assert [r for r, _ in actions.problems] == ["bad_sparkplug"]
    assert actions.samples


@given(st.integers(0, 255), st.lists(st.booleans(), max_size=600))
def test_an_unbroken_stream_with_duplicates_never_gaps(start: int, repeats: list[bool]) -> None:
    host = SparkplugHost(active=True)
    host.handle(topic("NBIRTH"), nbirth(seq=start), T0)
    seq = start
    for repeat in repeats:
        seq = seq if repeat else (seq + 1) % 256
        actions = host.handle(topic("NDATA"), ddata(seq, by_alias(2, 1, D.Int64)), T0)
        assert actions.seq_gaps == 0
        assert len(actions.samples) == 1
    assert not host.tick(T0 + 10**6)


@given(st.integers(0, 255), st.permutations(list(range(1, 40))))
def test_any_arrival_order_of_a_window_fills_every_gap(start: int, order: list[int]) -> None:
    tracker = SeqTracker()
    tracker.reset(start)
    for offset in order:
        tracker.observe((start + offset) % 256, T0, 2000)
    assert tracker.missing == set()
    assert tracker.deadline is None
    assert tracker.last == (start + 39) % 256


# -- new birth, deaths ---------------------------------------------------------------------------


def test_new_nbirth_resets_node_and_device_caches() -> None:
    host = born(SparkplugHost())
    host.handle(topic("NBIRTH"), nbirth(bd_seq=8, uptime_alias=20), T0 + 10)
    old_alias = host.handle(topic("NDATA"), ddata(1, by_alias(2, 5, D.Int64)), T0)
    assert [r for r, _ in old_alias.problems] == ["sparkplug_unknown_alias"]
    device = host.handle(topic("DDATA", DEV), ddata(2, by_alias(10, 1.0)), T0)
    assert [r for r, _ in device.problems] == ["sparkplug_data_before_birth"]
    assert values(host.handle(topic("NDATA"), ddata(3, by_alias(20, 6, D.Int64)), T0)) == {
        "Uptime": 6
    }
    [info] = host.nodes()
    assert (info.births, info.bd_seq, info.devices) == (2, 8, ())


def test_ndeath_marks_node_and_device_metrics_stale_at_host_time() -> None:
    host = born(SparkplugHost())
    death = encode(None, [SparkplugMetric(name="bdSeq", datatype=D.Int64, value=7)], ts=T0 - 999)
    actions = host.handle(topic("NDEATH"), death, T0 + 3000)
    stale = {(s.device, s.name): s for s in actions.stale}
    assert set(stale) == {(None, "Uptime"), *((DEV, m.name) for m in DEVICE_METRICS)}
    assert all(
        (s.value, s.quality, s.timestamp_ms, s.is_historical) == (None, "stale", T0 + 3000, False)
        for s in actions.stale
    )
    assert stale[(DEV, "Count")].datatype is D.Int32
    assert not actions.samples
    assert not actions.problems
    [info] = host.nodes()
    assert not info.online
    after = host.handle(topic("DDATA", DEV), ddata(2, by_alias(10, 1.0)), T0)
    assert [r for r, _ in after.problems] == ["sparkplug_data_before_birth"]
    assert not host.handle(topic("NDEATH"), death, T0 + 4000)  # already offline


def test_stale_will_with_another_bdseq_is_ignored() -> None:
    host = born(SparkplugHost())
    old_will = encode(None, [SparkplugMetric(name="bdSeq", datatype=D.Int64, value=6)])
    actions = host.handle(topic("NDEATH"), old_will, T0 + 1)
    assert [r for r, _ in actions.problems] == ["sparkplug_stale_death"]
    assert not actions.stale
    assert host.nodes()[0].online
    assert values(host.handle(topic("DDATA", DEV), ddata(2, by_alias(10, 1.0)), T0)) == {
        "Line/Temp": 1.0
    }


def test_tahu_style_uint64_bdseq_pairs_too() -> None:
    host = SparkplugHost()
    birth = [SparkplugMetric(name="bdSeq", datatype=D.UInt64, value=0)]
    host.handle(topic("NBIRTH"), encode(0, [*birth, DEVICE_METRICS[0]]), T0)
    actions = host.handle(topic("NDEATH"), encode(None, birth), T0 + 5)
    assert [s.name for s in actions.stale] == ["Line/Temp"]


def test_ddeath_marks_the_device_stale_at_its_own_timestamp() -> None:
    host = born(SparkplugHost())
    actions = host.handle(topic("DDEATH", DEV), encode(2, [], ts=T0 + 42), T0 + 9000)
    assert {s.name for s in actions.stale} == {m.name for m in DEVICE_METRICS}
    assert {(s.device, s.timestamp_ms, s.quality) for s in actions.stale} == {
        (DEV, T0 + 42, "stale")
    }
    assert actions.seq_gaps == 0
    later = host.handle(topic("DDATA", DEV), ddata(3, by_alias(10, 1.0)), T0)
    assert [r for r, _ in later.problems] == ["sparkplug_data_before_birth"]
    node_data = host.handle(topic("NDATA"), ddata(4, by_alias(2, 1, D.Int64)), T0)
    assert node_data.samples
    assert not node_data.problems


def test_ddeath_without_timestamp_uses_host_time() -> None:
    host = born(SparkplugHost())
    actions = host.handle(topic("DDEATH", DEV), encode(2, [], ts=None), T0 + 9)
    assert {s.timestamp_ms for s in actions.stale} == {T0 + 9}


# -- values, quality, history ----------------------------------------------------------------------


def test_dataset_and_template_instances_pass_through_but_definitions_do_not() -> None:
    table = {"columns": ["a", "b"], "types": [D.Int32, D.String], "rows": [[1, "x"]]}
    inner = SparkplugMetric(name="speed", datatype=D.Double, value=1.5)
    definition = SparkplugTemplate(metrics=[inner], is_definition=True)
    instance = SparkplugTemplate(metrics=[inner], template_ref="Motor")
    metrics = [
        SparkplugMetric(name="_types_/Motor", datatype=D.Template, value=definition),
        SparkplugMetric(name="Table", alias=30, datatype=D.DataSet, value=table),
        SparkplugMetric(name="Motor1", alias=31, datatype=D.Template, value=instance),
    ]
    host = SparkplugHost()
    actions = host.handle(topic("NBIRTH"), encode(0, metrics), T0)
    got = values(actions)
    assert set(got) == {"Table", "Motor1"}
    assert got["Table"] == {"columns": ["a", "b"], "types": [D.Int32, D.String], "rows": [[1, "x"]]}
    motor = got["Motor1"]
    assert isinstance(motor, SparkplugTemplate)
    assert motor.template_ref == "Motor"
    assert motor.metrics[0].value == 1.5
    data = host.handle(topic("NDATA"), ddata(1, by_alias(30, table, D.DataSet)), T0)
    assert values(data)["Table"] == got["Table"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, "good", id="null"),
        pytest.param(192, "good", id="spec-good"),
        pytest.param(0, "bad", id="spec-bad"),
        pytest.param(500, "stale", id="spec-stale"),
        pytest.param(64, "uncertain", id="opc-da-uncertain"),
        pytest.param(24, "bad", id="opc-da-comm-failure"),
        pytest.param(1073742080, "uncertain", id="ignition-uncertain"),
        pytest.param(-2147483136, "bad", id="ignition-bad"),
        pytest.param(-2147483132, "stale", id="ignition-bad-stale"),
        pytest.param(0x80000204, "stale", id="ignition-bad-stale-unsigned"),
        pytest.param(-1073741056, "bad", id="ignition-error"),
        pytest.param(0x80340000, "bad", id="opc-ua-bad-node-id-unknown"),
        pytest.param(True, "good", id="bool"),
        pytest.param("Good", "good", id="name"),
        pytest.param("Bad_Stale", "bad", id="name-is-read-by-its-level"),
        pytest.param(1.5, None, id="fraction"),
        pytest.param("sunny", None, id="word"),
        pytest.param(1 << 40, None, id="too-wide"),
    ],
)
def test_quality_codes(raw: object, expected: str | None) -> None:
    assert sparkplug_quality(raw) == expected


def test_quality_property_sets_the_sample_quality() -> None:
    host = born(SparkplugHost())
    stale = by_alias(10, 1.0, properties={"Quality": 500})
    odd = by_alias(11, 2, D.Int32, properties={"Quality": "sunny"})
    plain = by_alias(12, True, D.Boolean, properties={"engUnit": "bar"})
    actions = host.handle(topic("DDATA", DEV), ddata(2, stale, odd, plain), T0)
    assert [s.quality for s in actions.samples] == ["stale", "uncertain", "good"]
    assert [r for r, _ in actions.problems] == ["sparkplug_bad_quality"]


def test_historical_samples_are_flagged() -> None:
    host = born(SparkplugHost())
    old = by_alias(10, 19.0, timestamp=T0 - 60_000, is_historical=True)
    live = by_alias(10, 20.0, timestamp=T0)
    actions = host.handle(topic("DDATA", DEV), ddata(2, old, live), T0)
    assert [(s.value, s.is_historical, s.timestamp_ms) for s in actions.samples] == [
        (19.0, True, T0 - 60_000),
        (20.0, False, T0),
    ]


def test_null_values_are_none() -> None:
    host = born(SparkplugHost())
    actions = host.handle(topic("DDATA", DEV), ddata(2, by_alias(10, None)), T0)
    assert values(actions) == {"Line/Temp": None}


# -- malformed input -----------------------------------------------------------------------------


def test_bad_payload_is_a_problem() -> None:
    host = born(SparkplugHost())
    actions = host.handle(topic("DDATA", DEV), b"\xff\xff\xff", T0)
    [(reason, detail)] = actions.problems
    assert reason == "bad_sparkplug"
    assert DEV in detail
    assert not actions.samples


def test_bad_nbirth_takes_the_node_offline() -> None:
    host = born(SparkplugHost(active=True))
    bad = host.handle(topic("NBIRTH"), b"\xff", T0)
    assert [r for r, _ in bad.problems] == ["bad_sparkplug"]
    after = host.handle(topic("DDATA", DEV), ddata(2, by_alias(10, 1.0)), T0 + 1)
    assert [r for r, _ in after.problems] == ["sparkplug_data_before_birth"]
    assert after.rebirths == [KEY]


@pytest.mark.parametrize(
    "raw_topic",
    ["spBv1.0/g/NOPE/n", "spBv1.0/g/DDATA/n", "spBv1.0/g/NDATA/n/d", "other/topic"],
)
def test_bad_topics_are_problems(raw_topic: str) -> None:
    actions = SparkplugHost(active=True).handle(raw_topic, b"", T0)
    assert [r for r, _ in actions.problems] == ["bad_sparkplug_topic"]
    assert not actions.rebirths


def test_commands_are_ignored() -> None:
    host = born(SparkplugHost(active=True))
    request = SparkplugHost.rebirth_payload(T0)
    assert not host.handle(topic("NCMD"), request, T0)
    assert not host.handle(topic("DCMD", DEV), b"garbage", T0)


@given(st.sampled_from(["NBIRTH", "DBIRTH", "NDATA", "DDATA", "NDEATH", "DDEATH"]), st.binary())
def test_any_payload_gives_actions_never_an_exception(verb: str, data: bytes) -> None:
    host = born(SparkplugHost(active=True))
    device = DEV if verb.startswith("D") else None
    assert isinstance(host.handle(topic(verb, device), data, T0), HostActions)


# -- STATE, rebirth payload, introspection ---------------------------------------------------------


def test_state_messages_are_recorded_not_sampled() -> None:
    host = SparkplugHost()
    ok = host.handle("spBv1.0/STATE/scada", b'{"online": true, "timestamp": 5}', T0)
    assert not ok
    assert host.hosts() == {"scada": (True, 5)}
    bad = host.handle("spBv1.0/STATE/scada", b"{nope", T0)
    assert [r for r, _ in bad.problems] == ["bad_sparkplug_state"]


def test_primary_host_state_helpers_and_own_offline() -> None:
    host = SparkplugHost(host_id="uns")
    assert host.state_topic() == "spBv1.0/STATE/uns"
    will = host.state_offline_payload(T0)
    assert parse_state(will) == (False, T0)
    assert not host.handle(host.state_topic(), will, T0).republish_state  # not online yet
    assert parse_state(host.state_online_payload(T0)) == (True, T0)
    assert host.handle(host.state_topic(), will, T0).republish_state
    assert not host.handle("spBv1.0/STATE/other", will, T0).republish_state
    host.state_offline_payload(T0)  # clean shutdown: our own OFFLINE is expected now
    assert not host.handle(host.state_topic(), will, T0).republish_state


def test_state_topic_needs_a_host_id() -> None:
    with pytest.raises(SettingsError):
        SparkplugHost().state_topic()
    with pytest.raises(SettingsError):
        SparkplugHost(host_id="a/b")
    with pytest.raises(SettingsError):
        SparkplugHost(reorder_timeout_ms=-1)


def test_rebirth_request_payload_and_topic() -> None:
    assert SparkplugHost.rebirth_topic(G, N) == "spBv1.0/plant1/NCMD/edge1"
    [metric] = decode_payload(SparkplugHost().rebirth_payload(T0)).metrics
    assert (metric.name, metric.datatype, metric.value) == (REBIRTH_METRIC, D.Boolean, True)


def test_nodes_introspection() -> None:
    host = born(SparkplugHost())
    host.handle(topic("DDATA", DEV), ddata(2, by_alias(10, 1.0)), T0)
    [info] = host.nodes()
    assert (info.group, info.edge_node, info.online, info.births) == (G, N, True, 1)
    assert (info.bd_seq, info.last_seq, info.devices) == (7, 2, (DEV,))
    assert info.metrics == 3 + len(DEVICE_METRICS)  # bdSeq and Node Control are cached too


def test_subscriptions_share_only_data() -> None:
    filters = sparkplug_subscriptions("uns", groups=["plant1"])
    shared = [f for f in filters if f.startswith("$share/")]
    assert shared == ["$share/uns/spBv1.0/plant1/NDATA/#", "$share/uns/spBv1.0/plant1/DDATA/#"]
    assert "spBv1.0/plant1/NBIRTH/#" in filters
    assert "spBv1.0/STATE/+" in filters
    assert all("$share" not in f for f in sparkplug_subscriptions())


def test_host_actions_are_false_when_there_is_nothing_to_do() -> None:
    assert not HostActions()
    assert HostActions(seq_gaps=1)
    assert HostActions(republish_state=True)


# -- bounds (issue 13) ---------------------------------------------------------------------------


def test_a_flood_of_unborn_nodes_keeps_the_host_bounded_and_rebirths_rate_limited() -> None:
    host = SparkplugHost(
        active=True, max_nodes=500, rebirth_rate_per_s=10, rebirth_burst=20, node_idle_ms=60_000
    )
    data = ddata(0, by_alias(1, 1.0))
    sent = evicted = 0
    for i in range(100_000):  # 100k distinct nodes over 10 s of injected time, no sleeping
        now = T0 + i // 10
        acts = host.handle(topic("NDATA", node=f"n{i}"), data, now)
        sent += len(acts.rebirths)
        evicted += acts.nodes_evicted
        if i % 5000 == 0:
            assert acts.problems[0][0] == "sparkplug_data_before_birth"
            assert len(host.nodes()) <= 500
    # burst 20, then 10 per second over the 10 s the flood lasted
    assert 20 <= sent <= 20 + 10 * 10 + 1
    assert evicted == 100_000 - 500
    assert host.next_deadline() is None  # held-back requests are dropped, not owed


def test_the_global_rate_refills_over_time() -> None:
    host = SparkplugHost(active=True, rebirth_rate_per_s=2, rebirth_burst=1)
    data = ddata(0, by_alias(1, 1.0))
    assert host.handle(topic("NDATA", node="a"), data, T0).rebirths == [(G, "a")]
    held = host.handle(topic("NDATA", node="b"), data, T0 + 100)
    assert (held.rebirths, held.rebirths_throttled) == ([], 1)
    assert host.handle(topic("NDATA", node="b"), data, T0 + 600).rebirths == [(G, "b")]


def test_offline_nodes_idle_for_long_are_evicted_online_ones_kept() -> None:
    host = born(SparkplugHost(active=True, node_idle_ms=10_000))
    host.handle(topic("NDATA", node="unborn"), ddata(0, by_alias(1, 1.0)), T0)
    assert host.tick(T0 + 9_000).nodes_evicted == 0
    assert host.tick(T0 + 10_000).nodes_evicted == 1
    assert [n.edge_node for n in host.nodes()] == [N]  # the quiet online node stays
    assert host.tick(T0 + 100_000).nodes_evicted == 0


def test_the_least_recently_seen_node_makes_room() -> None:
    host = SparkplugHost(max_nodes=2)
    host.handle(topic("NBIRTH", node="a"), nbirth(), T0)
    host.handle(topic("NBIRTH", node="b"), nbirth(), T0 + 1)
    host.handle(topic("NDATA", node="a"), ddata(1, by_alias(2, 5, D.Int64)), T0 + 2)
    assert host.handle(topic("NBIRTH", node="c"), nbirth(), T0 + 3).nodes_evicted == 1
    assert sorted(n.edge_node for n in host.nodes()) == ["a", "c"]


def test_births_cache_at_most_max_metrics_per_node() -> None:
    host = SparkplugHost(max_metrics_per_node=5)
    host.handle(topic("NBIRTH"), nbirth(), T0)  # 3 metrics (bdSeq, Rebirth, Uptime)
    acts = host.handle(topic("DBIRTH", DEV), dbirth(), T0)  # 4 more: 2 fit
    assert [r for r, _ in acts.problems] == ["bad_sparkplug"]
    assert "more than 5 metrics" in acts.problems[0][1]
    assert list(values(acts)) == ["Line/Temp", "Count"]
    assert host.nodes()[0].metrics == 5


def test_state_host_ids_are_bounded_too() -> None:
    host = SparkplugHost(max_nodes=3)
    for i in range(10):
        host.handle(f"spBv1.0/STATE/h{i}", b'{"online": true, "timestamp": 1}', T0)
    assert sorted(host.hosts()) == ["h7", "h8", "h9"]


@pytest.mark.parametrize(
    "kw",
    [
        {"max_nodes": 0},
        {"max_metrics_per_node": 0},
        {"rebirth_rate_per_s": 0},
        {"rebirth_burst": 0},
    ],
)
def test_bounds_must_be_positive(kw: dict[str, float]) -> None:
    with pytest.raises(SettingsError):
        SparkplugHost(**kw)  # type: ignore[arg-type]
