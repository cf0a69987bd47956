"""The demo's pure parts: what the subscriber board keeps, rates, the final summary."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from uns.demo import Board, PumpStats, Rates, Summary


def governed(
    shift: str | None,
    stamp: str,
    *,
    site: str = "dallas",
    crew: str | None = "A",
    source: str = "source",
    value: Any = 4.2,
) -> bytes:
    return orjson.dumps(
        {
            "value": value,
            "timestamp": stamp,
            "timestamp_source": source,
            "quality": "good",
            "unit": "degC",
            "asset": {"enterprise": "acme", "site": site},
            "context": {"shift": shift, "crew": crew, "batch": "B1", "product": "P", "order": None},
            "source": {"topic": "raw/x", "received": stamp},
        }
    )


def test_enriched_messages_fill_the_table_newest_first() -> None:
    board = Board("acme/_deadletter/")
    board.add("acme/dallas/a/t1", governed("night", "2026-01-01T12:59:58.000Z"))
    board.add("acme/dallas/a/t2", governed("night", "2026-01-01T12:59:59.000Z", value=True))
    assert board.enriched == 2
    assert [r.topic for r in board.rows] == ["acme/dallas/a/t2", "acme/dallas/a/t1"]
    assert board.rows[0].value == "true degC"
    assert board.rows[1].value == "4.20 degC"
    assert board.rows[1].shift == "night / A"


def test_dead_letters_are_counted_by_reason() -> None:
    board = Board("acme/_deadletter/")
    for reason in ("bad_json", "bad_json", "no_binding"):
        body = {"reason": reason, "detail": "d", "topic": "raw/t", "payload": "x"}
        board.add(f"acme/_deadletter/{reason}", orjson.dumps(body))
    assert board.dead == 3
    assert board.enriched == 0
    assert dict(board.dead_by_reason) == {"bad_json": 2, "no_binding": 1}
    assert board.dead_recent[0] == ("no_binding", "raw/t", "d")


def test_the_shift_follows_the_newest_source_time_only() -> None:
    board = Board("acme/_deadletter/")
    board.add("acme/t", governed("night", "2026-01-01T12:59:59.900Z"))
    board.add("acme/t", governed("day", "2026-01-01T13:00:00.100Z", crew="B"))
    # A value that changed before the boundary but arrives after it does not flip it back,
    board.add("acme/t", governed("night", "2026-01-01T12:59:59.950Z"))
    # and values stamped on arrival run on another clock.
    board.add("acme/t", governed(None, "2026-01-01T01:00:00.000Z", source="arrival", crew=None))
    assert board.shifts["dallas"][0] == "day / B"
    assert board.shift_changes == [("dallas", "night / A", "day / B", "2026-01-01T13:00:00.100Z")]


@pytest.mark.parametrize("payload", [b"\xff", b"[1, 2]", b"{"], ids=["binary", "array", "broken"])
def test_unreadable_messages_are_counted_not_raised(payload: bytes) -> None:
    board = Board("acme/_deadletter/")
    board.add("acme/t", payload)
    assert board.unreadable == 1
    assert board.enriched == board.dead == 0


def test_rates_over_the_window() -> None:
    rates = Rates(window_s=2.0)
    assert rates.per_second("raw") == 0.0
    for t in range(6):
        rates.sample(float(t), {"raw": 100 * t})
    assert rates.per_second("raw") == pytest.approx(100.0)
    assert rates.per_second("unknown") == 0.0


def test_summary_counts_outcomes() -> None:
    board = Board("acme/_deadletter/")
    board.add("acme/t", governed("night", "2026-01-01T12:59:59.900Z"))
    board.add("acme/t", governed("day", "2026-01-01T13:00:00.100Z"))
    summary = Summary(
        seconds=5.0,
        broker="mosquitto at mqtt://127.0.0.1:1",
        offset_ms=-(3_600_000 + 61_000),
        pumped=PumpStats(data=98, invalid=1, context=3),
        received=102,
        outcomes={("enriched", ""): 98, ("deadletter", "bad_json"): 1, ("context", ""): 3},
        board=board,
    )
    text = "\n".join(summary.lines())
    assert "clock -1h01m01s" in text
    assert "published 102 raw messages: 98 data, 1 invalid, 3 context" in text
    assert "enriched=98 deadletter=1 context=3" in text
    assert "by reason: bad_json=1" in text
    assert "dallas night / A -> day / A at 2026-01-01T13:00:00.100Z" in text
