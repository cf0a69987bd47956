"""Generator of the Sparkplug B golden payloads in this folder.

    python tests/data/sparkplug/generate.py

Each `.bin` file here is written by this script; do not edit them by hand. The payloads are
built with the raw protobuf classes and `struct`, not with `uns.sparkplug`'s encoder,
so the decoder is checked against wire bytes laid out independently of our own encoding.
The expected decoded values live in tests/unit/sparkplug/test_golden.py.
"""

from __future__ import annotations

import gzip
import struct
import sys
import zlib
from pathlib import Path

from uns.sparkplug.sparkplug_b_pb2 import Payload

HERE = Path(__file__).resolve().parent
T0 = 1_700_000_000_000  # every timestamp is T0 plus a small offset
U32 = 0xFFFFFFFF
U64 = (1 << 64) - 1


def _metric(
    pb: Payload, name: str | None, alias: int | None, datatype: int | None
) -> Payload.Metric:
    m = pb.metrics.add()
    if name is not None:
        m.name = name
    if alias is not None:
        m.alias = alias
    if datatype is not None:
        m.datatype = datatype
    m.timestamp = T0
    return m


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _field(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _add_property(ps: Payload.PropertySet, key: str, type_: int) -> Payload.PropertyValue:
    ps.keys.append(key)
    pv = ps.values.add()
    pv.type = type_
    return pv


def nbirth_all_types() -> bytes:
    """NBIRTH with every metric datatype, a DataSet, a Template definition and instance,
    properties (Quality, nested PropertySet, PropertySetList, a null) and file metadata."""
    pb = Payload(timestamp=T0, seq=0)
    _metric(pb, "bdSeq", 1, 8).long_value = 3
    _metric(pb, "Node Control/Rebirth", 2, 11).boolean_value = False
    # Signed ints as Tahu writes them: sign-extended to 32 bits.
    _metric(pb, "Int8", 3, 1).int_value = -12 & U32
    _metric(pb, "Int16", 4, 2).int_value = -300 & U32
    _metric(pb, "Int32", 5, 3).int_value = -70000 & U32
    _metric(pb, "Int64", 6, 4).long_value = -(1 << 40) & U64
    _metric(pb, "UInt8", 7, 5).int_value = 250
    _metric(pb, "UInt16", 8, 6).int_value = 65000
    _metric(pb, "UInt32", 9, 7).int_value = 4_000_000_000
    _metric(pb, "UInt64", 10, 8).long_value = U64
    _metric(pb, "Float", 11, 9).float_value = 12.5
    _metric(pb, "Double", 12, 10).double_value = 3.141592653589793
    _metric(pb, "Boolean", 13, 11).boolean_value = True
    _metric(pb, "String", 14, 12).string_value = "Raspberry Pi \u2713"
    _metric(pb, "DateTime", 15, 13).long_value = 1_486_144_502_122
    _metric(pb, "Text", 16, 14).string_value = "line one\nline two"
    _metric(pb, "UUID", 17, 15).string_value = "9f2c8e0a-3c1d-4b7e-9a55-0c2b7d1e4f60"

    ds = _metric(pb, "DataSet", 18, 16).dataset_value
    ds.num_of_columns = 3
    ds.columns.extend(["id", "name", "weight"])
    ds.types.extend([1, 12, 10])  # Int8, String, Double
    for ident, label, weight in ((-1, "left", 2.5), (7, "right", None)):
        row = ds.rows.add()
        row.elements.add().int_value = ident & U32
        row.elements.add().string_value = label
        cell = row.elements.add()
        if weight is not None:
            cell.double_value = weight

    _metric(pb, "Bytes", 19, 17).bytes_value = b"\x00\xffdata"
    file_metric = _metric(pb, "File", 20, 18)
    file_metric.bytes_value = b"%PDF-1.4 tiny"
    file_metric.metadata.file_name = "manual.pdf"
    file_metric.metadata.file_type = "pdf"
    file_metric.metadata.size = 13
    file_metric.metadata.md5 = "d41d8cd98f00b204e9800998ecf8427e"
    file_metric.metadata.content_type = "application/pdf"
    file_metric.metadata.is_multi_part = False

    definition = _metric(pb, "_types_/Motor", 21, 19).template_value
    definition.is_definition = True
    definition.version = "1.0"
    rpm = definition.metrics.add(name="RPM", datatype=9, timestamp=T0)
    rpm.float_value = 0.0
    running = definition.metrics.add(name="Running", datatype=11, timestamp=T0)
    running.boolean_value = False
    definition.parameters.add(name="Serial", type=12, string_value="")
    definition.parameters.add(name="MaxRPM", type=3, int_value=3000)

    instance = _metric(pb, "Motor 1", 22, 19).template_value
    instance.is_definition = False
    instance.template_ref = "_types_/Motor"
    instance.version = "1.0"
    rpm = instance.metrics.add(name="RPM", datatype=9, timestamp=T0)
    rpm.float_value = 1450.5
    running = instance.metrics.add(name="Running", datatype=11, timestamp=T0)
    running.boolean_value = True
    instance.parameters.add(name="Serial", type=12, string_value="M-001")
    instance.parameters.add(name="MaxRPM", type=3, int_value=-1 & U32)

    arrays: list[tuple[str, int, bytes]] = [
        ("Int8Array", 22, struct.pack("<4b", -1, 0, 127, -128)),
        ("Int16Array", 23, struct.pack("<2h", -300, 32767)),
        ("Int32Array", 24, struct.pack("<2i", -70000, 1)),
        ("Int64Array", 25, struct.pack("<2q", -(1 << 40), 1 << 62)),
        ("UInt8Array", 26, struct.pack("<3B", 0, 128, 255)),
        ("UInt16Array", 27, struct.pack("<2H", 1, 65535)),
        ("UInt32Array", 28, struct.pack("<2I", 1, 4_000_000_000)),
        ("UInt64Array", 29, struct.pack("<2Q", 1, U64)),
        ("FloatArray", 30, struct.pack("<2f", 1.5, -0.25)),
        ("DoubleArray", 31, struct.pack("<2d", 0.1, 1e300)),
        # 9 values T F T T F F F F | T, most significant bit first, then padding.
        ("BooleanArray", 32, struct.pack("<I", 9) + bytes([0b10110000, 0b10000000])),
        ("StringArray", 33, b"ABC\x00\x00h\xc3\xa9llo\x00"),
        ("DateTimeArray", 34, struct.pack("<2q", 1_486_144_502_122, 0)),
    ]
    for offset, (name, datatype, packed) in enumerate(arrays):
        _metric(pb, name, 23 + offset, datatype).bytes_value = packed

    temperature = _metric(pb, "Temperature", 40, 10)
    temperature.double_value = 21.5
    props = temperature.properties
    _add_property(props, "Quality", 3).int_value = 192
    _add_property(props, "engUnit", 12).string_value = "degC"
    limits = _add_property(props, "limits", 20).propertyset_value
    _add_property(limits, "high", 10).double_value = 100.0
    _add_property(limits, "low", 2).int_value = -40 & U32
    history = _add_property(props, "history", 21).propertysets_value
    for flag in (True, False):
        _add_property(history.propertyset.add(), "enabled", 11).boolean_value = flag
    _add_property(props, "note", 12).is_null = True
    return pb.SerializeToString()


def ddata_alias_only() -> bytes:
    """DDATA as most edge nodes send it: aliases, no names, no datatypes."""
    pb = Payload(timestamp=T0 + 1000, seq=7)
    _metric(pb, None, 11, None).float_value = 13.25  # Float
    _metric(pb, None, 5, None).int_value = -12 & U32  # Int32
    _metric(pb, None, 13, None).boolean_value = True  # Boolean
    _metric(pb, None, 6, None).long_value = -5 & U64  # Int64
    return pb.SerializeToString()


def ndata_int_wire_forms() -> bytes:
    """The forms a negative small int takes on the wire, all meaning -12 (or -300)."""
    pb = Payload(timestamp=T0 + 2000, seq=1)
    _metric(pb, "Int8 low byte", 50, 1).int_value = 244
    _metric(pb, "Int8 sign-extended 32", 51, 1).int_value = 4_294_967_284
    _metric(pb, "Int16 sign-extended 32", 52, 2).int_value = -300 & U32
    _metric(pb, "Int32 sign-extended 32", 53, 3).int_value = 4_294_967_284
    raw = pb.SerializeToString()
    # A client that writes int64(-12) into the uint32 field: a ten-byte varint, which the
    # protobuf runtime truncates to 32 bits. Built by hand; the API cannot write it.
    metric = (
        _field(1, 2)
        + _varint(len(b"Int8 varint 64"))
        + b"Int8 varint 64"
        + _field(2, 0)
        + _varint(54)
        + _field(3, 0)
        + _varint(T0)
        + _field(4, 0)
        + _varint(1)
        + _field(10, 0)
        + _varint(-12 & U64)
    )
    return raw + _field(2, 2) + _varint(len(metric)) + metric


def _plain_ddata() -> bytes:
    pb = Payload(timestamp=T0 + 3000, seq=9)
    for i in range(20):
        m = _metric(pb, f"Line/Sensor {i}", 100 + i, 10)
        m.double_value = i * 0.5
    return pb.SerializeToString()


def _wrapped(body: bytes, algorithm: str | None) -> bytes:
    pb = Payload(timestamp=T0 + 3000, seq=9, uuid="SPBV1.0_COMPRESSED", body=body)
    if algorithm is not None:
        m = pb.metrics.add(name="algorithm", datatype=12)
        m.string_value = algorithm
    return pb.SerializeToString()


def compressed_deflate() -> bytes:
    return _wrapped(zlib.compress(_plain_ddata(), 9), "DEFLATE")


def compressed_gzip() -> bytes:
    return _wrapped(gzip.compress(_plain_ddata(), 9, mtime=0), "GZIP")


def compressed_raw_deflate_no_algorithm() -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return _wrapped(packer.compress(_plain_ddata()) + packer.flush(), None)


def ddata_historical() -> bytes:
    """Store-and-forward data: a historical sample next to a live one."""
    pb = Payload(timestamp=T0 + 4000, seq=10)
    old = _metric(pb, "Temperature", 40, 10)
    old.timestamp = T0 - 60_000
    old.double_value = 19.75
    old.is_historical = True
    live = _metric(pb, "Temperature", 40, 10)
    live.double_value = 20.0
    return pb.SerializeToString()


def ddata_null() -> bytes:
    """Null metrics: one with bad quality, one transient, one with only an alias."""
    pb = Payload(timestamp=T0 + 5000, seq=11)
    bad = _metric(pb, "Temperature", 40, 10)
    bad.is_null = True
    _add_property(bad.properties, "Quality", 3).int_value = 0
    transient = _metric(pb, "Status", 41, 12)
    transient.is_null = True
    transient.is_transient = True
    _metric(pb, None, 42, None).is_null = True
    return pb.SerializeToString()


VECTORS = {
    "nbirth_all_types.bin": nbirth_all_types,
    "ddata_alias_only.bin": ddata_alias_only,
    "ndata_int_wire_forms.bin": ndata_int_wire_forms,
    "compressed_deflate.bin": compressed_deflate,
    "compressed_gzip.bin": compressed_gzip,
    "compressed_raw_deflate_no_algorithm.bin": compressed_raw_deflate_no_algorithm,
    "ddata_historical.bin": ddata_historical,
    "ddata_null.bin": ddata_null,
}
# The compressors' exact output may change with the zlib build; compare these decoded.
COMPRESSED = frozenset(name for name in VECTORS if name.startswith("compressed_"))


def build() -> dict[str, bytes]:
    return {name: make() for name, make in VECTORS.items()}


def main() -> int:
    for name, data in build().items():
        (HERE / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
