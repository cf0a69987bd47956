"""Model files that are not UTF-8: where the first bad byte is and what the file looks like."""

from __future__ import annotations

from pathlib import Path

from tests.unit.config.test_loader import load, write_model
from uns.config.loader import load_model_lenient

# A Step 7 style export saved as ISO-8859-1: `°` is the single byte 0xB0.
LATIN1 = (
    "classes:\n"
    "  oven:\n"
    "    description: Ofen Zone 1\n"
    "    tags:\n"
    "      temperature: {unit: degC, description: Temperatur in \u00b0C}\n"
).encode("iso-8859-1")


def problems_for(tmp_path: Path, name: str, data: bytes) -> list[tuple[int, int, str]]:
    root = write_model(tmp_path, {})
    (root / name).write_bytes(data)
    _, problems = load_model_lenient(root)
    return [(p.pos.line, p.pos.column, p.message) for p in problems if p.pos.path.endswith(name)]


def test_latin1_file_is_reported_at_its_first_bad_byte(tmp_path: Path) -> None:
    assert problems_for(tmp_path, "oven.yaml", LATIN1) == [
        (
            5,
            60,  # characters before the byte: 59
            "not UTF-8 text: byte 0xB0 ('\u00b0' in ISO-8859-1); the file looks like "
            "ISO-8859-1 (Latin-1) or Windows-1252: save it as UTF-8 "
            "(e.g. iconv -f ISO-8859-1 -t UTF-8)",
        )
    ]


def test_columns_count_characters_of_the_valid_utf8_before_the_bad_byte(tmp_path: Path) -> None:
    data = "classes:\n  \u00f6fen: {description: \u00e4\u00f6\u00fc".encode() + b" \xe4}\n"
    [(line, column, message)] = problems_for(tmp_path, "x.yaml", data)
    assert (line, column) == (2, 27)
    assert message.startswith("not UTF-8 text: byte 0xE4 ('\u00e4' in ISO-8859-1)")


def test_windows_1252_is_named_when_its_own_characters_appear(tmp_path: Path) -> None:
    data = "classes:\n  oven: {description: \u201czone\u201d 1}\n".encode("cp1252")
    [(line, column, message)] = problems_for(tmp_path, "x.yaml", data)
    assert (line, column) == (2, 23)
    assert "the file looks like Windows-1252" in message
    assert "0x93 ('\u201c' in Windows-1252)" in message


def test_utf16_is_recognised(tmp_path: Path) -> None:
    data = "classes:\n  oven: {}\n".encode("utf-16")
    [(line, column, message)] = problems_for(tmp_path, "x.yaml", data)
    assert (line, column) == (1, 1)
    assert message.endswith("the file looks like UTF-16: save it as UTF-8")


def test_crlf_files_still_load_with_the_same_positions(tmp_path: Path) -> None:
    text = "classes:\r\n  valve:\r\n    descripton: x\r\n"
    _, problems = load(tmp_path, {"valve.yaml": text})
    assert [(p.pos.line, p.pos.column) for p in problems] == [(3, 5)]
