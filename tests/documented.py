"""What the documentation promises, read from the docs themselves.

Tests that check a documented number or list take it from here, so changing the code's
constant without the doc (or the doc without the code) fails a test.
"""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _section(doc: str, heading: str) -> str:
    text = (DOCS / doc).read_text(encoding="utf-8")
    start = text.index(heading + "\n")
    level = heading.split(" ", 1)[0]
    rest = text[start + len(heading) + 1 :]
    end = re.search(rf"^#{{1,{len(level)}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def _table_rows(section: str) -> list[list[str]]:
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.lstrip().startswith("|")
    ]
    return rows[2:]  # past the header and the --- line


def exit_codes() -> dict[int, str]:
    """docs/operations.md, "Exit codes": code -> meaning."""
    return {
        int(code): meaning
        for code, meaning in _table_rows(_section("operations.md", "### Exit codes"))
    }


def exit_code(words: str) -> int:
    """The one documented exit code whose meaning contains `words`."""
    found = [code for code, meaning in exit_codes().items() if words in meaning]
    if len(found) != 1:
        raise LookupError(f"docs/operations.md has {len(found)} exit codes meaning {words!r}")
    return found[0]


def deadletter_reasons() -> list[str]:
    """docs/payload.md, "Dead letters": every reason in the table's first column."""
    rows = _table_rows(_section("payload.md", "## Dead letters"))
    return [name for first, _ in rows for name in re.findall(r"`([a-z0-9_]+)`", first)]


def log_interval_s() -> float:
    """docs/operations.md: per-message problems are logged once per reason per this many s."""
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    match = re.search(r"one line per reason per (\d+(?:\.\d+)?) s\b", text)
    if match is None:
        raise LookupError("docs/operations.md no longer says how often a reason is logged")
    return float(match.group(1))
