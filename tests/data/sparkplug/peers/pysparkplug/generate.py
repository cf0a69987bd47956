"""Write the Sparkplug B vectors listed in manifest.json with pysparkplug (PyPI).

pysparkplug is not a dependency of uns or of its tests: install it aside and run, e.g.

    pip install --target /tmp/pysparkplug pysparkplug==0.6.1 --no-deps
    PYTHONPATH=/tmp/pysparkplug python tests/data/sparkplug/peers/pysparkplug/generate.py

(its own dependencies, protobuf and paho-mqtt, are those uns already installs). The manifest
is the input: the values pysparkplug is asked to encode; tests/unit/sparkplug/test_peer_vectors.py
checks our decoder against it.
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path
from typing import Any

import pysparkplug as sp

HERE = Path(__file__).resolve().parent


def _value(datatype: sp.DataType, value: Any) -> Any:
    if value is None:
        return None
    if datatype is sp.DataType.DATETIME:
        return _moment(value)
    if datatype is sp.DataType.DATETIME_ARRAY:
        return tuple(_moment(v) for v in value)
    if isinstance(value, dict):
        return bytes.fromhex(value["hex"])
    if isinstance(value, list):
        return tuple(value)
    return value


def _moment(ms: int) -> datetime.datetime:
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
    # pysparkplug writes int(timestamp() * 1000): refuse a value that float rounding would move.
    if int(moment.timestamp() * 1000) != ms:
        raise SystemExit(f"{ms} ms does not survive pysparkplug's datetime conversion")
    return moment


def _metric(spec: dict[str, Any]) -> sp.Metric:
    datatype = sp.DataType[spec["datatype"]]
    metadata = spec.get("metadata")
    return sp.Metric(
        timestamp=spec.get("timestamp"),
        name=spec.get("name"),
        datatype=datatype,
        value=_value(datatype, spec["value"]),
        alias=spec.get("alias"),
        is_historical=spec.get("is_historical", False),
        is_transient=spec.get("is_transient", False),
        is_null=spec.get("is_null", False),
        metadata=sp.Metadata(**metadata) if metadata is not None else None,
    )


def main(out_dir: Path) -> None:
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    if sp.__version__ != manifest["peer_version"]:
        raise SystemExit(
            f"pysparkplug {sp.__version__} installed, manifest wants {manifest['peer_version']}"
        )
    for vector in manifest["vectors"]:
        spec = vector["payload"]
        message = getattr(sp, vector["message"])
        if message is sp.State:
            payload = sp.State(timestamp=spec["timestamp"], online=spec["online"])
        else:
            payload = message(
                timestamp=spec["timestamp"],
                seq=spec["seq"],
                metrics=tuple(_metric(m) for m in spec["metrics"]),
            )
        data = payload.encode(include_dtypes=vector["include_dtypes"])
        (out_dir / vector["file"]).write_bytes(data)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
