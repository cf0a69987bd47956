"""`uns explain` on Sparkplug B: payloads as hex, base64 or a file, DATA by alias with its birth.

The payloads are built with the message types compiled from the Sparkplug 3.0 protobuf
definition (`sparkplug_b.proto`), field by field as the specification describes them: a
DBIRTH declares each metric's name, alias and datatype (the spec's DataType codes: Int64 4,
Double 10), a DDATA then carries only aliases and values.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from uns.cli import main
from uns.reload import fingerprint
from uns.sparkplug.sparkplug_b_pb2 import Payload

MODEL = Path(__file__).parents[1] / "data" / "models" / "plant"
DEVICE = "spBv1.0/Austin/{type}/EdgeA/Oven9"
INT64, DOUBLE = 4, 10  # Sparkplug B DataType codes
TS = 1_774_346_400_000  # 2026-03-24T10:00:00Z


def dbirth() -> bytes:
    p = Payload(timestamp=TS, seq=1)
    for name, alias, datatype, value in (
        ("Process/Temperature", 1, DOUBLE, 180.0),
        ("Count", 2, INT64, 10),
    ):
        m = p.metrics.add(name=name, alias=alias, datatype=datatype, timestamp=TS)
        if datatype == DOUBLE:
            m.double_value = value
        else:
            m.long_value = int(value)
    return p.SerializeToString()


def ddata_by_alias() -> bytes:
    p = Payload(timestamp=TS + 1000, seq=2)
    p.metrics.add(alias=1, timestamp=TS + 1000, double_value=181.5)  # no name, no datatype
    p.metrics.add(alias=2, timestamp=TS + 1000, long_value=11)
    return p.SerializeToString()


def explain_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["explain", "--models", str(MODEL), "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_ddata_by_alias_with_its_birth_in_hex(capsys: pytest.CaptureFixture[str]) -> None:
    topic = DEVICE.format(type="DDATA")
    code, doc = explain_json(
        capsys, "--hex", topic, ddata_by_alias().hex(), "--birth", dbirth().hex()
    )
    assert code == 0
    assert doc["route"]["name"] == "austin-sparkplug"
    values = {
        m["topic"].rsplit("/", 1)[1]: m["payload"]["value"]
        for m in doc["messages"]
        if m["kind"] == "enriched"
    }
    assert values == {"temperature": 181.5, "good_count": 11}
    [message] = [m for m in doc["messages"] if m["topic"].endswith("/temperature")]
    assert message["payload"]["timestamp"] == "2026-03-24T10:00:01.000Z"
    assert message["payload"]["source"]["binding"] == "austin-sparkplug"
    assert message["payload"]["source"]["model"] == fingerprint(MODEL)
    assert any("DBIRTH" in note and "from --birth" in note for note in doc["notes"])


def test_payload_and_birth_in_base64_and_from_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    topic = DEVICE.format(type="DDATA")
    data = base64.b64encode(ddata_by_alias()).decode()
    birth = base64.b64encode(dbirth()).decode()
    code, doc = explain_json(capsys, "--base64", topic, data, "--birth", birth)
    assert code == 0
    assert len([m for m in doc["messages"] if m["kind"] == "enriched"]) == 2
    (tmp_path / "ddata.bin").write_bytes(ddata_by_alias())
    (tmp_path / "dbirth.bin").write_bytes(dbirth())
    code, from_files = explain_json(
        capsys,
        topic,
        "--file",
        str(tmp_path / "ddata.bin"),
        "--birth-file",
        str(tmp_path / "dbirth.bin"),
    )
    assert code == 0
    assert [m["payload"]["value"] for m in from_files["messages"]] == [
        m["payload"]["value"] for m in doc["messages"]
    ]


def test_ddata_by_alias_without_its_birth_reports_the_unknown_aliases(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc = explain_json(capsys, "--hex", DEVICE.format(type="DDATA"), ddata_by_alias().hex())
    assert code == 1
    reasons = {m["payload"]["reason"] for m in doc["messages"] if m["kind"] == "deadletter"}
    assert reasons == {"sparkplug_unknown_alias"}
    assert any("none given" in note for note in doc["notes"])


def test_a_birth_explained_on_its_own_publishes_its_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc = explain_json(capsys, "--hex", DEVICE.format(type="DBIRTH"), dbirth().hex())
    assert code == 0
    values = sorted(m["payload"]["value"] for m in doc["messages"])
    assert values == [10, 180.0]


def test_the_text_output_names_the_birth_and_the_route(capsys: pytest.CaptureFixture[str]) -> None:
    topic = DEVICE.format(type="DDATA")
    argv = ["explain", "--models", str(MODEL), "--hex", topic, ddata_by_alias().hex()]
    assert main([*argv, "--birth", dbirth().hex()]) == 0
    out = capsys.readouterr().out
    assert "matched binding 'austin-sparkplug'" in out
    assert "birth: spBv1.0/Austin/DBIRTH/EdgeA/Oven9 from --birth, 2 metric(s)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hex", DEVICE.format(type="DDATA"), "zz"], "not valid hex"),
        (["--base64", DEVICE.format(type="DDATA"), "!!"], "not valid base64"),
        (["raw/scalar/O1/RUN", "1", "--birth", "00"], "--birth goes with"),
        (["--hex", DEVICE.format(type="DBIRTH"), "00", "--birth", "00"], "--birth goes with"),
        (["x/y", "--file", "/nonexistent/payload.bin"], "cannot read the payload file"),
    ],
)
def test_usage_errors_say_what_is_wrong(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["explain", "--models", str(MODEL), *args]) == 2
    assert message in capsys.readouterr().err


EXAMPLE = Path(__file__).parents[2] / "examples" / "sparkplug"


def test_the_shipped_sparkplug_example_explains_as_its_readme_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic = "spBv1.0/Dallas/DDATA/Line1-Edge/Filler"
    data, birth = str(EXAMPLE / "ddata.bin"), str(EXAMPLE / "dbirth.bin")
    argv = ["explain", "--models", str(EXAMPLE), "--json", "--file", data, topic]
    assert main([*argv, "--birth-file", birth]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(m["topic"], m["payload"]["value"]) for m in doc["messages"]] == [
        ("acme/dallas/canning/line-1/filler/speed", 1195.5),
        ("acme/dallas/canning/line-1/filler/good_count", 48231),
    ]
    assert main(argv) == 1  # without its birth the aliases mean nothing
    doc = json.loads(capsys.readouterr().out)
    assert {m["payload"]["reason"] for m in doc["messages"]} == {"sparkplug_unknown_alias"}
