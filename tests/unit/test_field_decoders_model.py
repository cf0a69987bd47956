"""The field-decoders test model (Databus, OPC UA JSON, LabVIEW, Excel) checks and lints clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from uns.cli import main

MODEL = Path(__file__).parents[1] / "data" / "models" / "field-decoders"


def test_the_model_checks_and_lints_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(MODEL)]) == 0
    assert "4 bindings" in capsys.readouterr().out
    assert main(["lint", str(MODEL)]) == 0


def test_a_serial_timestamp_format_typo_is_reported_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        (MODEL / "model.yaml")
        .read_text()
        .replace("timestamp_format: excel", "timestamp_format: exel")
    )
    (tmp_path / "model.yaml").write_text(text)
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "unknown timestamp format 'exel'" in out
    assert "excel" in out
    assert "labview" in out
