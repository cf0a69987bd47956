"""Two clients with one client id: the takeover pattern is named in one line (issue 13)."""

from __future__ import annotations

import logging

from uns.io.connection import SESSION_TAKEN_OVER, TakeoverWatch


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_session_taken_over_is_named_once_per_quiet_period(caplog) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    watch = TakeoverWatch("uns-host1", quiet_s=60.0, clock=clock)
    with caplog.at_level(logging.ERROR):
        assert watch.disconnected(SESSION_TAKEN_OVER)
        clock.now = 0.5
        assert not watch.disconnected(SESSION_TAKEN_OVER)  # every half second: one line
        clock.now = 61.0
        assert watch.disconnected(SESSION_TAKEN_OVER)
    assert not watch.disconnected(0x8D)  # keep-alive timeout: another story
    [first, _] = [r.getMessage() for r in caplog.records]
    assert "'uns-host1'" in first
    assert "--client-id" in first


def test_quick_losses_in_a_row_are_the_pattern_without_a_reason_code() -> None:
    clock = Clock()
    watch = TakeoverWatch("uns-host1", limit=3, within_s=2.0, clock=clock)
    said = []
    for _ in range(3):
        watch.up()
        clock.now += 0.5
        said.append(watch.down())
    assert said == [False, False, True]


def test_a_connection_that_lasted_resets_the_count() -> None:
    clock = Clock()
    watch = TakeoverWatch("uns-host1", limit=2, within_s=2.0, clock=clock)
    for lasted in (0.5, 30.0, 0.5):
        watch.up()
        clock.now += lasted
        assert not watch.down()
