"""Micro-benchmark of Sparkplug B decoding, the per-message cost of a Sparkplug source.

Run: ``.venv/bin/python bench/sparkplug_decode.py`` -> ``bench/results/sparkplug_decode.json``.

Cases, each a DDATA of 10 Float metrics with alias and timestamp (best of several repeats):

* ``ddata_10_float_with_datatypes``: every metric carries its datatype.
* ``ddata_10_float_alias_only``: no datatypes; a dict-backed resolver supplies them from a
  birth cache, as the service will.
* ``protobuf_parse_only``: ``Payload.FromString`` alone, the floor under both.
* ``topic_parse_cached``: ``parse_sparkplug_topic`` on a repeating DDATA topic.
* ``frozen_init_metric`` / ``frozen_init_metric_via_twin``: building one decoded
  ``SparkplugMetric`` with its frozen ``__init__`` and the way the decoder does it (an
  unfrozen twin whose ``__class__`` is switched, ``uns.sparkplug.frozen``): the trick is
  kept only while the second is clearly cheaper.
* ``pure_python_backend``: the first case and the parse alone again, in a child process
  forced onto protobuf's pure-Python implementation, to back the figures that
  ``require_fast_protobuf`` quotes.

The machine is shared: read the numbers with the load average recorded beside them.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import timeit
from pathlib import Path

import google.protobuf
from google.protobuf.internal import api_implementation

from uns.sparkplug import (
    DataType,
    SparkplugMetric,
    SparkplugPayload,
    decode_payload,
    encode_payload,
    parse_sparkplug_topic,
)
from uns.sparkplug.frozen import unfrozen_twin
from uns.sparkplug.sparkplug_b_pb2 import Payload

RESULT = Path(__file__).parent / "results" / "sparkplug_decode.json"
METRICS = 10
T0 = 1_700_000_000_000


def ddata(with_datatypes: bool) -> bytes:
    metrics = [
        SparkplugMetric(alias=100 + i, timestamp=T0 + i, datatype=DataType.Float, value=20.5 + i)
        for i in range(METRICS)
    ]
    payload = SparkplugPayload(timestamp=T0, seq=42, metrics=metrics)
    return encode_payload(payload, with_datatypes=with_datatypes)


def per_call_us(stmt: str, names: dict[str, object], number: int, repeat: int = 7) -> float:
    timer = timeit.Timer(stmt, globals=names)
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def pure_python_us() -> dict[str, float] | None:
    """Time a decode and a bare parse in a child process on the pure-Python backend."""
    child = (
        "import json, timeit, sys; sys.path.insert(0, 'bench');"
        "from sparkplug_decode import ddata; from uns.sparkplug import decode_payload;"
        "from uns.sparkplug.sparkplug_b_pb2 import Payload;"
        "from google.protobuf.internal import api_implementation as a;"
        "assert a.Type() == 'python';"
        "d = ddata(True);"
        "t = lambda f: min(timeit.repeat(f, number=200, repeat=5)) / 200 * 1e6;"
        "print(json.dumps({'decode': t(lambda: decode_payload(d)),"
        " 'parse': t(lambda: Payload.FromString(d))}))"
    )
    env = {**os.environ, "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": "python"}
    done = subprocess.run(
        [sys.executable, "-c", child],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        return None
    timings: dict[str, float] = json.loads(done.stdout)
    return timings


def main() -> None:
    typed = ddata(with_datatypes=True)
    untyped = ddata(with_datatypes=False)
    birth = {100 + i: int(DataType.Float) for i in range(METRICS)}

    def resolve(name: str | None, alias: int | None) -> int | None:
        return birth.get(alias) if alias is not None else None

    # The cases measure what they claim.
    assert decode_payload(typed).metrics[3].value == 23.5
    assert decode_payload(untyped).metrics[3].datatype is DataType.Unknown
    assert decode_payload(untyped, resolve) == decode_payload(typed)

    twin = unfrozen_twin(SparkplugMetric)
    fields = ("name", 7, T0, DataType.Float, 20.5, False, False, False, {}, None)
    made = twin(*fields)
    made.__class__ = SparkplugMetric
    assert made == SparkplugMetric(*fields)

    cases = {
        "ddata_10_float_with_datatypes": per_call_us(
            "decode(data)", {"decode": decode_payload, "data": typed}, 2_000
        ),
        "ddata_10_float_alias_only": per_call_us(
            "decode(data, resolve)",
            {"decode": decode_payload, "data": untyped, "resolve": resolve},
            2_000,
        ),
        "protobuf_parse_only": per_call_us(
            "parse(data)", {"parse": Payload.FromString, "data": typed}, 20_000
        ),
        "topic_parse_cached": per_call_us(
            "parse(topic)",
            {"parse": parse_sparkplug_topic, "topic": "spBv1.0/Plant/DDATA/edge-1/Pump 1"},
            100_000,
        ),
        "frozen_init_metric": per_call_us(
            "cls(*fields)", {"cls": SparkplugMetric, "fields": fields}, 100_000
        ),
        "frozen_init_metric_via_twin": per_call_us(
            "m = twin(*fields); m.__class__ = cls",
            {"cls": SparkplugMetric, "twin": twin, "fields": fields},
            100_000,
        ),
    }
    pure = pure_python_us()
    report = {
        "unit": "us per call; metrics_per_s for the DDATA cases",
        "python": sys.version.split()[0],
        "protobuf": google.protobuf.__version__,
        "protobuf_backend": api_implementation.Type(),
        "machine": platform.machine(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # shared machine: read numbers with it
        "payload_bytes": {"with_datatypes": len(typed), "alias_only": len(untyped)},
        "results_us": {name: round(us, 2) for name, us in cases.items()},
        "metrics_per_s": {
            name: round(METRICS / us * 1e6)
            for name, us in cases.items()
            if name.startswith("ddata_")
        },
        "pure_python_backend_us": pure and {k: round(v, 1) for k, v in pure.items()},
        "pure_python_slowdown": pure
        and {
            "decode": round(pure["decode"] / cases["ddata_10_float_with_datatypes"], 1),
            "parse": round(pure["parse"] / cases["protobuf_parse_only"], 1),
        },
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
