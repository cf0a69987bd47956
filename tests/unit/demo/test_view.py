"""The plain view line: rates, the shift per site, dead letters so far."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from uns.demo.board import Board, Rates
from uns.demo.view import Snapshot, plain_line


def test_plain_line_shows_rates_shifts_and_the_last_dead_letter() -> None:
    board = Board("acme/_deadletter/")
    board.add("acme/_deadletter/bad_json", b'{"reason": "bad_json", "topic": "t", "detail": "d"}')
    board.shifts["cologne"] = ("late", "2026-03-24T14:00:00.000Z")
    rates = Rates()
    rates.sample(0.0, {"raw": 0, "enriched": 0, "dead": 0})
    rates.sample(2.0, {"raw": 400, "enriched": 600, "dead": 3})
    zones = {"cologne": ZoneInfo("Europe/Berlin"), "dallas": ZoneInfo("America/Chicago")}
    line = plain_line(Snapshot(12.34, "mosquitto", 0, zones, board, rates))
    assert line == (
        "[  12.3s] raw in 200/s, enriched out 300/s, dead letters 1.5/s | "
        "shift cologne=late dallas=- | dead letters so far 1 (last: bad_json)"
    )
