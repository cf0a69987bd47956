"""Our decoder against Sparkplug B payloads written by independent encoders.

tests/data/sparkplug/peers/<peer>/manifest.json lists what each peer was asked to encode;
the peer's generator script turned it into the .bin files next to it. Each vector is decoded
here and compared with the manifest, value by value, never with our own encoder's output.
A disagreement is a finding about our decoder (or the peer): the vectors are not adjusted.

Peers: Eclipse Tahu's JavaScript `sparkplug-payload` (every scalar, DataSet, Template,
PropertySets, metadata, null/historical/transient; it cannot write array datatypes) and
`pysparkplug` from PyPI (every array datatype, negative integers as the low N bits, DATA
without datatypes).
"""

from __future__ import annotations

import dataclasses
import json
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.tahu_payload import node_with_tahu_payload
from uns.errors import DecodeError
from uns.sparkplug import (
    DataType,
    SparkplugMetaData,
    SparkplugMetric,
    SparkplugParameter,
    SparkplugPayload,
    SparkplugTemplate,
    decode_payload,
    encode_state,
    parse_state,
)

PEERS = Path(__file__).resolve().parents[2] / "data" / "sparkplug" / "peers"

# Tahu writes "Int8Array", pysparkplug "INT8_ARRAY": both name our DataType members.
_TYPES = {t.name.lower(): t for t in DataType}

# Vectors our decoder rejects, and why: each is a reported finding, not a skipped vector.
REJECTED = {
    ("tahu-js", "metric_propertyset.bin"): (
        # Metric has no PropertySet field; the proto comment and Sparkplug 3.0 list
        # PropertySet/PropertySetList as PropertyValue types only. Tahu writes the datatype
        # and silently drops the value.
        r"metric 'Line/Config' has datatype 20, not a metric datatype"
    ),
}

# Metrics where the peer wrote other bytes than the value it was asked for, and what those bytes
# mean by the specification (which is what we read). Each is a reported finding about the peer.
PEER_WROTE = {
    ("pysparkplug", "dbirth_empty_arrays.bin", "empty/STRING_ARRAY"): (
        # pysparkplug writes [] as one NUL byte: the encoding of [""] (StringArray is a run of
        # NUL-terminated strings). Its own decoder reads those bytes back as [""] too.
        [""]
    ),
}


def _datatype(name: str) -> DataType:
    return _TYPES[name.replace("_", "").lower()]


def _float32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def _expected_value(kind: DataType, raw: Any) -> object:
    """The decoded value the manifest's stand-in `raw` means for `kind` (see "conventions")."""
    if raw is None:
        return None
    if kind in (DataType.Bytes, DataType.File):
        return bytes.fromhex(raw["hex"])
    if kind is DataType.Float:
        return _float32(raw)
    if kind is DataType.FloatArray:
        return [_float32(v) for v in raw]
    if kind in (DataType.Double, DataType.DoubleArray):
        return [float(v) for v in raw] if isinstance(raw, list) else float(raw)
    if kind is DataType.DataSet:
        kinds = [_datatype(t) for t in raw["types"]]
        rows = [
            [_expected_value(k, cell) for k, cell in zip(kinds, row, strict=True)]
            for row in raw["rows"]
        ]
        return {"columns": raw["columns"], "types": kinds, "rows": rows}
    if kind is DataType.Template:
        return SparkplugTemplate(
            metrics=[_expected_metric(m) for m in raw.get("metrics", [])],
            parameters=[
                SparkplugParameter(
                    p["name"],
                    _datatype(p["type"]),
                    _expected_value(_datatype(p["type"]), p["value"]),
                )
                for p in raw.get("parameters", [])
            ],
            is_definition=raw.get("isDefinition", False),
            template_ref=raw.get("templateRef"),
            version=raw.get("version"),
        )
    if kind is DataType.PropertySet:
        return _expected_properties(raw)
    if kind is DataType.PropertySetList:
        return [_expected_properties(s) for s in raw]
    if isinstance(raw, str) and kind not in (DataType.String, DataType.Text, DataType.UUID):
        return int(raw)  # a 64-bit integer or DateTime written as a decimal string
    return raw


def _expected_properties(raw: dict[str, Any]) -> dict[str, object]:
    return {key: _expected_value(_datatype(pv["type"]), pv["value"]) for key, pv in raw.items()}


_METADATA_KEYS = {  # Tahu's camelCase and pysparkplug's names -> SparkplugMetaData fields
    "isMultiPart": "is_multi_part",
    "is_multipart": "is_multi_part",
    "contentType": "content_type",
    "fileName": "file_name",
    "fileType": "file_type",
}


def _expected_metric(raw: dict[str, Any]) -> SparkplugMetric:
    kind = _datatype(raw.get("type") or raw["datatype"])
    value = _expected_value(kind, raw["value"])
    metadata = raw.get("metadata")
    timestamp = raw.get("timestamp")
    return SparkplugMetric(
        name=raw.get("name"),
        alias=raw.get("alias"),
        timestamp=int(timestamp) if timestamp is not None else None,
        datatype=kind,
        value=value,
        is_null=value is None or raw.get("is_null", False),
        is_historical=raw.get("isHistorical", raw.get("is_historical", False)),
        is_transient=raw.get("isTransient", raw.get("is_transient", False)),
        properties=_expected_properties(raw.get("properties", {})),
        metadata=(
            SparkplugMetaData(**{_METADATA_KEYS.get(k, k): v for k, v in metadata.items()})
            if metadata is not None
            else None
        ),
    )


def _manifest(peer: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((PEERS / peer / "manifest.json").read_text(encoding="utf-8"))
    return doc


def _vectors() -> list[tuple[str, dict[str, Any]]]:
    """The protobuf payload vectors (STATE messages are JSON: see _states)."""
    return [
        (peer, v)
        for peer in ("tahu-js", "pysparkplug")
        for v in _manifest(peer)["vectors"]
        if v.get("message") != "State"
    ]


def _states() -> list[dict[str, Any]]:
    return [v for v in _manifest("pysparkplug")["vectors"] if v.get("message") == "State"]


def _birth_datatypes(peer: str) -> Callable[[str | None, int | None], int | None]:
    """A resolver like the service's birth cache: the datatypes of the peer's BIRTH vectors."""
    by_alias: dict[int, int] = {}
    by_name: dict[str, int] = {}
    for vector in _manifest(peer)["vectors"]:
        if vector.get("message", "").endswith("Birth"):
            for m in vector["payload"]["metrics"]:
                by_alias[m["alias"]] = by_name[m["name"]] = _datatype(m["datatype"])

    def resolve(name: str | None, alias: int | None) -> int | None:
        if alias is not None and alias in by_alias:
            return by_alias[alias]
        return by_name.get(name) if name is not None else None

    return resolve


@pytest.mark.parametrize(
    ("peer", "vector"), _vectors(), ids=lambda x: x if isinstance(x, str) else x["file"]
)
def test_peer_vector_decodes_to_what_the_peer_was_asked_to_encode(
    peer: str, vector: dict[str, Any]
) -> None:
    data = (PEERS / peer / vector["file"]).read_bytes()
    resolve = None if vector.get("include_dtypes", True) else _birth_datatypes(peer)
    rejected = REJECTED.get((peer, vector["file"]))
    if rejected is not None:
        with pytest.raises(DecodeError, match=rejected) as caught:
            decode_payload(data, resolve)
        assert caught.value.reason == "bad_sparkplug"
        return
    decoded = decode_payload(data, resolve)
    spec = vector["payload"]
    body = spec.get("body")
    assert decoded == SparkplugPayload(
        timestamp=int(spec["timestamp"]),
        seq=spec["seq"],
        uuid=spec.get("uuid"),
        body=bytes.fromhex(body["hex"]) if body is not None else None,
        metrics=decoded.metrics,
    )
    expected = [_expected_metric(m) for m in spec["metrics"]]
    assert len(decoded.metrics) == len(expected)
    for got, want in zip(decoded.metrics, expected, strict=True):
        written = PEER_WROTE.get((peer, vector["file"], want.name))
        if written is not None:
            want = dataclasses.replace(want, value=written)  # noqa: PLW2901 - what was written
        assert got == want, want.name or f"alias {want.alias}"


def test_every_datatype_and_special_field_has_a_peer_vector() -> None:
    covered: set[DataType] = set()
    flags: set[str] = set()

    def walk(metric: dict[str, Any]) -> None:
        kind = _datatype(metric.get("type") or metric["datatype"])
        covered.add(kind)
        flags.update(k for k in ("alias", "timestamp", "metadata", "properties") if k in metric)
        flags.update(
            k.lower().replace("_", "")
            for k in ("isHistorical", "isTransient", "is_historical", "is_transient")
            if metric.get(k)
        )
        if metric["value"] is None:
            flags.add("null")
        if kind is DataType.Template:
            for inner in metric["value"]["metrics"]:
                walk(inner)
        for pv in metric.get("properties", {}).values():
            covered.add(_datatype(pv["type"]))

    for _peer, vector in _vectors():
        for metric in vector["payload"]["metrics"]:
            walk(metric)
    assert covered >= set(DataType) - {DataType.Unknown}
    assert flags >= {
        "alias",
        "timestamp",
        "metadata",
        "properties",
        "ishistorical",
        "istransient",
        "null",
    }


def test_tahu_vectors_are_what_the_locked_peer_writes(tmp_path: Path) -> None:
    # The checked-in bytes come from the pinned sparkplug-payload, not from an edited file.
    node = node_with_tahu_payload()
    script = PEERS / "tahu-js" / "generate.js"
    done = subprocess.run(
        [node, str(script), str(tmp_path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    for vector in _manifest("tahu-js")["vectors"]:
        fresh = (tmp_path / vector["file"]).read_bytes()
        assert fresh == (PEERS / "tahu-js" / vector["file"]).read_bytes(), vector["file"]


def test_every_recorded_finding_names_a_vector_that_exists() -> None:
    for peer, file in REJECTED:
        assert any(v["file"] == file for v in _manifest(peer)["vectors"]), (peer, file)
    for peer, file, name in PEER_WROTE:
        [vector] = [v for v in _manifest(peer)["vectors"] if v["file"] == file]
        assert name in [m.get("name") for m in vector["payload"]["metrics"]], (peer, file, name)


@pytest.mark.parametrize("vector", _states(), ids=lambda v: v["file"])
def test_peer_state_reads_as_written_and_ours_says_the_same(vector: dict[str, Any]) -> None:
    data = (PEERS / "pysparkplug" / vector["file"]).read_bytes()
    spec = vector["payload"]
    assert parse_state(data) == (spec["online"], spec["timestamp"])
    assert json.loads(encode_state(spec["online"], spec["timestamp"])) == json.loads(data)
