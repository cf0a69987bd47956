"""Micro-benchmark of the per-message normalization functions.

Run: ``.venv/bin/python bench/normalize_micro.py`` -> ``bench/results/normalize_micro.json``.

Every case is ns of process CPU time per call, the best of 15 repeats (as timeit advises),
measured as a loop over 1,000 prepared inputs (about 15 ns of loop overhead included).
The budget is 50,000 ns per message (20,000 msg/s per core) for everything the service
does; these functions should take a small part of it.

* ``decode_json_object_118B``: `json_object_decoder()` on a 118-byte payload.
* ``decode_kepware_10_values`` (per message) and the same per sample.
* ``decode_scalar_text``: `scalar_decoder()` on the plain-text payload `RUN`.
* ``ts_*``: compiled timestamp parsers (auto unless named), on the input their name says;
  ``ts_naive_local`` is a naive Berlin time in an hour the offset cache already holds.
* ``format_utc_ms_same_second`` (prefix cache hit) and ``_new_second`` (every call a miss).
* ``quality_*``: `compile_quality_parser("auto")` on 192, `"Good"`, `True`.
* ``coerce_*``: value coercers; ``convert_degF_degC``: a compiled unit conversion.
* ``chain_json_object``: decode + timestamp + quality + coerce + convert + format, the
  normalization share of one message.
* ``calibration_*``: `orjson.loads` of the same 118 bytes and a bare `dict.get`, to judge
  how busy the shared machine was (numbers from two runs compare through these).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import timeit
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from uns.formats.json_object import json_object_decoder
from uns.formats.kepware import kepware_decoder
from uns.formats.scalar import scalar_decoder
from uns.normalize import timestamps
from uns.normalize.quality import compile_quality_parser
from uns.normalize.timestamps import compile_timestamp_parser, format_utc_ms
from uns.normalize.units import compile_conversion
from uns.normalize.values import compile_coercer

RESULT = Path(__file__).parent / "results" / "normalize_micro.json"
CALLS = 1_000
NOW_MS = 1_796_083_200_000  # 2026-12-01T00:00:00Z
BASE_MS = 1_774_749_599_999  # 2026-03-29T01:59:59.999Z
PAYLOAD_118 = (
    b'{"value": 72.4, "timestamp": "2026-03-29T01:59:59.999Z", "quality": 192, '
    b'"unit": "degF", "tag": "TT101.PV", "seq": 12}'
)
KEPWARE_10 = json.dumps(
    {
        "timestamp": BASE_MS,
        "values": [
            {"id": f"Channel1.Device1.Tag{i}", "v": 70.0 + i, "q": True, "t": BASE_MS - i}
            for i in range(10)
        ],
    }
).encode()


def per_call_ns(stmt: str, names: dict[str, object], calls: int = CALLS, repeat: int = 15) -> float:
    # CPU time of this process: the machine is shared, and wall time counts other people's
    # work while we wait for a core.
    timer = timeit.Timer(stmt, globals=names, timer=time.process_time)
    return min(timer.repeat(repeat=repeat, number=1)) / calls * 1e9


def main() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    auto_ts = compile_timestamp_parser(None, berlin)
    us_ts = compile_timestamp_parser("%m/%d/%Y %I:%M:%S %p", berlin)
    quality = compile_quality_parser("auto")
    to_float = compile_coercer("float")
    to_int = compile_coercer("int")
    convert = compile_conversion("degF", "degC")
    assert convert is not None
    decode_object = json_object_decoder()
    decode_kepware = kepware_decoder()
    decode_scalar = scalar_decoder()

    def chain(payload: bytes) -> str:
        sample = decode_object(payload)[0]
        ts = auto_ts(sample.timestamp, NOW_MS)
        quality(sample.quality)
        convert(to_float(sample.value))
        return format_utc_ms(NOW_MS if ts is None else ts)

    # The inputs parse to what the case names claim.
    assert decode_object(PAYLOAD_118)[0].value == 72.4
    assert len(PAYLOAD_118) == 118
    assert len(decode_kepware(KEPWARE_10)) == 10
    assert auto_ts("2026-03-29T01:59:59.999Z", NOW_MS) == BASE_MS
    assert auto_ts("2026-03-29T03:59:59.999+02:00", NOW_MS) == BASE_MS
    assert auto_ts("2026-07-15 14:30:00.123", NOW_MS) == 1_784_118_600_123
    assert auto_ts(BASE_MS, NOW_MS) == BASE_MS
    assert us_ts("3/29/2026 3:59:59 AM", NOW_MS) == BASE_MS - 999
    assert chain(PAYLOAD_118) == "2026-03-29T01:59:59.999Z"

    loop = "for x in xs: f(x)"
    ts_loop = "for x in xs: f(x, now)"

    def same(value: object) -> list[object]:
        return [value] * CALLS

    cases: dict[str, tuple[str, dict[str, object]]] = {
        "decode_json_object_118B": (loop, {"f": decode_object, "xs": same(PAYLOAD_118)}),
        "decode_kepware_10_values": (loop, {"f": decode_kepware, "xs": same(KEPWARE_10)}),
        "decode_scalar_text": (loop, {"f": decode_scalar, "xs": same(b"RUN")}),
        "ts_iso_z": (ts_loop, {"f": auto_ts, "xs": same("2026-03-29T01:59:59.999Z")}),
        "ts_iso_offset": (ts_loop, {"f": auto_ts, "xs": same("2026-03-29T03:59:59.999+02:00")}),
        "ts_iso_9_digits": (ts_loop, {"f": auto_ts, "xs": same("2026-03-29T01:59:59.123456789Z")}),
        "ts_naive_local": (ts_loop, {"f": auto_ts, "xs": same("2026-07-15 14:30:00.123")}),
        "ts_epoch_ms_int": (ts_loop, {"f": auto_ts, "xs": same(BASE_MS)}),
        "ts_epoch_s_float": (ts_loop, {"f": auto_ts, "xs": same(BASE_MS / 1000)}),
        "ts_epoch_s_str": (ts_loop, {"f": auto_ts, "xs": same("1774749599")}),
        "ts_strptime_us_ampm": (ts_loop, {"f": us_ts, "xs": same("3/29/2026 3:59:59 AM")}),
        "format_utc_ms_same_second": (loop, {"f": format_utc_ms, "xs": same(BASE_MS)}),
        "format_utc_ms_new_second": (
            # Every call must miss: empty the (private) per-second cache before each repeat.
            "cache.clear()\n" + loop,
            {
                "f": format_utc_ms,
                "xs": [BASE_MS + 1000 * i for i in range(CALLS)],
                "cache": timestamps._PREFIX_CACHE,
            },
        ),
        "quality_int_192": (loop, {"f": quality, "xs": same(192)}),
        "quality_str_good": (loop, {"f": quality, "xs": same("Good")}),
        "quality_bool": (loop, {"f": quality, "xs": same(True)}),
        "coerce_float_from_float": (loop, {"f": to_float, "xs": same(72.4)}),
        "coerce_float_from_str": (loop, {"f": to_float, "xs": same("72.40")}),
        "coerce_int_from_str": (loop, {"f": to_int, "xs": same("12345678901234567890")}),
        "convert_degF_degC": (loop, {"f": convert, "xs": same(72.4)}),
        "chain_json_object": (loop, {"f": chain, "xs": same(PAYLOAD_118)}),
        # Calibration: how fast this machine is right now (compare runs by these).
        "calibration_orjson_loads_118B": (loop, {"f": orjson.loads, "xs": same(PAYLOAD_118)}),
        "calibration_dict_get": (loop, {"f": {}.get, "xs": same("k")}),
    }
    results: dict[str, float] = {}
    for name, (stmt, names) in cases.items():
        results[name] = per_call_ns(stmt, {**names, "now": NOW_MS})
    results["decode_kepware_per_sample"] = results["decode_kepware_10_values"] / 10

    report = {
        "unit": "ns per call",
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # shared machine: read numbers with it
        "results": {name: round(ns, 1) for name, ns in results.items()},
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
