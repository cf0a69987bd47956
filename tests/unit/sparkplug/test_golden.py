"""Decoding the golden payloads in tests/data/sparkplug gives the expected values."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from uns.sparkplug import (
    DataType,
    SparkplugMetaData,
    SparkplugMetric,
    SparkplugParameter,
    SparkplugPayload,
    SparkplugTemplate,
    decode_payload,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "sparkplug"
T0 = 1_700_000_000_000
D = DataType


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sparkplug_vectors", DATA / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(name: str) -> SparkplugPayload:
    return decode_payload((DATA / name).read_bytes())


def _by_name(payload: SparkplugPayload) -> dict[str | None, SparkplugMetric]:
    return {m.name: m for m in payload.metrics}


def test_every_golden_file_is_what_the_generator_writes() -> None:
    generator = _generator()
    fresh = generator.build()
    on_disk = {p.name for p in DATA.glob("*.bin")}
    assert on_disk == set(fresh), "run tests/data/sparkplug/generate.py"
    for name, data in fresh.items():
        stored = (DATA / name).read_bytes()
        if name in generator.COMPRESSED:
            assert decode_payload(stored) == decode_payload(data), name
        else:
            assert stored == data, f"{name} is stale: run tests/data/sparkplug/generate.py"


NBIRTH_SCALARS = [
    ("bdSeq", D.UInt64, 3),
    ("Node Control/Rebirth", D.Boolean, False),
    ("Int8", D.Int8, -12),
    ("Int16", D.Int16, -300),
    ("Int32", D.Int32, -70000),
    ("Int64", D.Int64, -(1 << 40)),
    ("UInt8", D.UInt8, 250),
    ("UInt16", D.UInt16, 65000),
    ("UInt32", D.UInt32, 4_000_000_000),
    ("UInt64", D.UInt64, (1 << 64) - 1),
    ("Float", D.Float, 12.5),
    ("Double", D.Double, 3.141592653589793),
    ("Boolean", D.Boolean, True),
    ("String", D.String, "Raspberry Pi \u2713"),
    ("DateTime", D.DateTime, 1_486_144_502_122),
    ("Text", D.Text, "line one\nline two"),
    ("UUID", D.UUID, "9f2c8e0a-3c1d-4b7e-9a55-0c2b7d1e4f60"),
    ("Bytes", D.Bytes, b"\x00\xffdata"),
    ("File", D.File, b"%PDF-1.4 tiny"),
    ("Int8Array", D.Int8Array, [-1, 0, 127, -128]),
    ("Int16Array", D.Int16Array, [-300, 32767]),
    ("Int32Array", D.Int32Array, [-70000, 1]),
    ("Int64Array", D.Int64Array, [-(1 << 40), 1 << 62]),
    ("UInt8Array", D.UInt8Array, [0, 128, 255]),
    ("UInt16Array", D.UInt16Array, [1, 65535]),
    ("UInt32Array", D.UInt32Array, [1, 4_000_000_000]),
    ("UInt64Array", D.UInt64Array, [1, (1 << 64) - 1]),
    ("FloatArray", D.FloatArray, [1.5, -0.25]),
    ("DoubleArray", D.DoubleArray, [0.1, 1e300]),
    ("BooleanArray", D.BooleanArray, [True, False, True, True, False, False, False, False, True]),
    ("StringArray", D.StringArray, ["ABC", "", "h\u00e9llo"]),
    ("DateTimeArray", D.DateTimeArray, [1_486_144_502_122, 0]),
]


@pytest.mark.parametrize(
    ("name", "datatype", "value"), NBIRTH_SCALARS, ids=[n for n, *_ in NBIRTH_SCALARS]
)
def test_nbirth_metric_values(name: str, datatype: DataType, value: object) -> None:
    metric = _by_name(_load("nbirth_all_types.bin"))[name]
    assert metric.datatype is datatype
    assert metric.value == value
    assert type(metric.value) is type(value)
    assert metric.timestamp == T0
    assert not metric.is_null


def test_nbirth_header_and_every_datatype_present() -> None:
    payload = _load("nbirth_all_types.bin")
    assert (payload.timestamp, payload.seq, payload.uuid, payload.body) == (T0, 0, None, None)
    kinds = {m.datatype for m in payload.metrics}
    metric_types = set(range(D.Int8, D.Template + 1)) | set(range(D.Int8Array, D.DateTimeArray + 1))
    assert kinds == metric_types
    aliases = [m.alias for m in payload.metrics]
    assert len(set(aliases)) == len(aliases)


def test_nbirth_dataset() -> None:
    metric = _by_name(_load("nbirth_all_types.bin"))["DataSet"]
    assert metric.value == {
        "columns": ["id", "name", "weight"],
        "types": [D.Int8, D.String, D.Double],
        "rows": [[-1, "left", 2.5], [7, "right", None]],
    }


def test_nbirth_template_definition_and_instance() -> None:
    metrics = _by_name(_load("nbirth_all_types.bin"))
    definition = metrics["_types_/Motor"].value
    instance = metrics["Motor 1"].value
    assert definition == SparkplugTemplate(
        metrics=[
            SparkplugMetric(name="RPM", timestamp=T0, datatype=D.Float, value=0.0),
            SparkplugMetric(name="Running", timestamp=T0, datatype=D.Boolean, value=False),
        ],
        parameters=[
            SparkplugParameter("Serial", D.String, ""),
            SparkplugParameter("MaxRPM", D.Int32, 3000),
        ],
        is_definition=True,
        template_ref=None,
        version="1.0",
    )
    assert isinstance(instance, SparkplugTemplate)
    assert not instance.is_definition
    assert instance.template_ref == "_types_/Motor"
    assert [(m.name, m.value) for m in instance.metrics] == [("RPM", 1450.5), ("Running", True)]
    assert instance.parameters == [
        SparkplugParameter("Serial", D.String, "M-001"),
        SparkplugParameter("MaxRPM", D.Int32, -1),
    ]


def test_nbirth_properties_and_metadata() -> None:
    metrics = _by_name(_load("nbirth_all_types.bin"))
    assert metrics["Temperature"].value == 21.5
    assert metrics["Temperature"].properties == {
        "Quality": 192,
        "engUnit": "degC",
        "limits": {"high": 100.0, "low": -40},
        "history": [{"enabled": True}, {"enabled": False}],
        "note": None,
    }
    assert metrics["File"].metadata == SparkplugMetaData(
        is_multi_part=False,
        content_type="application/pdf",
        size=13,
        file_name="manual.pdf",
        file_type="pdf",
        md5="d41d8cd98f00b204e9800998ecf8427e",
    )
    assert metrics["Int8"].metadata is None
    assert metrics["Int8"].properties == {}


BIRTH_TYPES = {11: D.Float, 5: D.Int32, 13: D.Boolean, 6: D.Int64}


def test_ddata_alias_only_with_birth_datatypes() -> None:
    def resolve(name: str | None, alias: int | None) -> int | None:
        assert name is None
        return BIRTH_TYPES.get(alias) if alias is not None else None

    payload = decode_payload((DATA / "ddata_alias_only.bin").read_bytes(), resolve)
    assert (payload.timestamp, payload.seq) == (T0 + 1000, 7)
    assert [(m.name, m.alias, m.datatype, m.value) for m in payload.metrics] == [
        (None, 11, D.Float, 13.25),
        (None, 5, D.Int32, -12),
        (None, 13, D.Boolean, True),
        (None, 6, D.Int64, -5),
    ]


def test_ddata_alias_only_without_birth_keeps_raw_wire_values() -> None:
    payload = _load("ddata_alias_only.bin")
    assert [(m.datatype, m.value) for m in payload.metrics] == [
        (D.Unknown, 13.25),
        (D.Unknown, 4_294_967_284),
        (D.Unknown, True),
        (D.Unknown, (1 << 64) - 5),
    ]


def test_negative_small_ints_decode_alike_in_every_wire_form() -> None:
    values = {m.name: m.value for m in _load("ndata_int_wire_forms.bin").metrics}
    assert values == {
        "Int8 low byte": -12,
        "Int8 sign-extended 32": -12,
        "Int16 sign-extended 32": -300,
        "Int32 sign-extended 32": -12,
        "Int8 varint 64": -12,
    }


@pytest.mark.parametrize(
    "name",
    ["compressed_deflate.bin", "compressed_gzip.bin", "compressed_raw_deflate_no_algorithm.bin"],
)
def test_compressed_payloads_decode_to_the_inner_payload(name: str) -> None:
    payload = _load(name)
    assert payload.uuid is None
    assert (payload.timestamp, payload.seq) == (T0 + 3000, 9)
    assert [(m.name, m.alias, m.datatype, m.value) for m in payload.metrics] == [
        (f"Line/Sensor {i}", 100 + i, D.Double, i * 0.5) for i in range(20)
    ]


def test_historical_metric_is_flagged_and_keeps_its_own_timestamp() -> None:
    old, live = _load("ddata_historical.bin").metrics
    assert (old.is_historical, old.timestamp, old.value) == (True, T0 - 60_000, 19.75)
    assert (live.is_historical, live.timestamp, live.value) == (False, T0, 20.0)


def test_null_metrics() -> None:
    bad, status, alias_only = _load("ddata_null.bin").metrics
    assert (bad.is_null, bad.value, bad.datatype, bad.properties) == (
        True,
        None,
        D.Double,
        {"Quality": 0},
    )
    assert (status.is_null, status.value, status.is_transient) == (True, None, True)
    assert (alias_only.name, alias_only.alias, alias_only.is_null) == (None, 42, True)
