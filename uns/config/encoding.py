"""Where a model file stops being UTF-8, and what encoding it looks like instead.

Step 7 / TIA Portal and WinCC exports, and files edited with older Windows editors, are often
ISO-8859-1 or Windows-1252 (`°C`, `ä` as one byte), sometimes UTF-16 with a byte-order mark.
The report names the line and column of the first byte that is not UTF-8, that byte, what it
would be in the likely encoding, and how to re-save the file. Pure.
"""

from __future__ import annotations

from uns.model.problem import Position

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CP1252_ONLY = frozenset(range(0x80, 0xA0))  # C1 controls in Latin-1, printable in Windows-1252


def _likely_encoding(data: bytes) -> str:
    if data.startswith(_UTF16_BOMS) or data[:200].count(0) > len(data[:200]) // 4:
        return "UTF-16"
    high = {b for b in data if b >= 0x80}
    if high & _CP1252_ONLY:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return "a legacy 8-bit code page"
        return "Windows-1252"
    return "ISO-8859-1 (Latin-1) or Windows-1252"


def not_utf8_problem(data: bytes, exc: UnicodeDecodeError, shown: str) -> tuple[Position, str]:
    """The position (1-based line and column, in characters) and message of the first byte
    of `data` that is not UTF-8."""
    offset = exc.start
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8")) + 1  # valid up to the bad byte
    byte = data[offset]
    encoding = _likely_encoding(data)
    if encoding == "UTF-16":
        return Position(shown, line, column), (
            f"not UTF-8 text: byte 0x{byte:02X}; the file looks like UTF-16: save it as UTF-8"
        )
    as_read = data[offset : offset + 1].decode("cp1252", errors="replace")
    source = "Windows-1252" if encoding == "Windows-1252" else "ISO-8859-1"
    return Position(shown, line, column), (
        f"not UTF-8 text: byte 0x{byte:02X} ({as_read!r} in {source}); the file looks like "
        f"{encoding}: save it as UTF-8 (e.g. iconv -f {source} -t UTF-8)"
    )
