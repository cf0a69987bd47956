"""bench/accounting.py: benchmarks count loss and per-topic reordering and fail on either."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load() -> ModuleType:
    # bench/ holds scripts, not a package: load the module from its file.
    spec = importlib.util.spec_from_file_location("bench_accounting", BENCH / "accounting.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


accounting = _load()


def test_a_clean_run_passes(capsys: pytest.CaptureFixture[str]) -> None:
    arrivals = accounting.Arrivals(4)
    for seq in range(4):
        arrivals.arrive(b"t/a" if seq % 2 else b"t/b", seq)
    result = {"variant": "uns", **accounting.account(4, arrivals.summary())}
    assert result == {
        "variant": "uns",
        "messages": 4,
        "received": 4,
        "lost": 0,
        "lost_pct": 0.0,
        "duplicates": 0,
        "reordered": 0,
    }
    assert accounting.verdict([result]) == 0
    assert capsys.readouterr().err == ""


def test_loss_fails_the_run_and_says_how_much(capsys: pytest.CaptureFixture[str]) -> None:
    arrivals = accounting.Arrivals(100_000)
    for seq in range(100_000 - 19_273):
        arrivals.arrive(b"t", seq)
    result = {"variant": "paho", "run": 0, **accounting.account(100_000, arrivals.summary())}
    assert (result["lost"], result["lost_pct"]) == (19_273, 19.273)
    assert accounting.verdict([{"variant": "gmqtt", "run": 0, "lost": 0}, result]) == 1
    assert capsys.readouterr().err == (
        "FAIL paho run 0: lost 19273 of 100000 messages (19.273 %)\n"
    )


def test_reordering_on_one_topic_fails_but_interleaved_topics_do_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    arrivals = accounting.Arrivals(6)
    for topic, seq in [(b"a", 0), (b"b", 3), (b"a", 1), (b"b", 2), (b"a", 4), (b"b", 5)]:
        arrivals.arrive(topic, seq)  # across topics any order is fine; on b, 2 after 3 is not
    result = {"scenario": "uns-100", **accounting.account(6, arrivals.summary())}
    assert (result["lost"], result["reordered"]) == (0, 1)
    assert accounting.verdict([result]) == 1
    assert capsys.readouterr().err == "FAIL uns-100: reordered 1\n"


def test_duplicates_and_strays_are_neither_loss_nor_reordering() -> None:
    arrivals = accounting.Arrivals(3)
    for seq in (0, 1, 1, 0, 2, -1):  # redeliveries of 1 and 0, and a start-up probe (-1)
        arrivals.arrive(b"t", seq)
    result = accounting.account(3, arrivals.summary())
    assert (result["lost"], result["duplicates"], result["reordered"]) == (0, 2, 0)
    assert accounting.failures([result]) == []


def test_a_run_that_did_not_finish_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert accounting.verdict([{"variant": "aiomqtt", "error": "TimeoutError: sink"}]) == 1
    assert "FAIL aiomqtt: did not finish: TimeoutError: sink" in capsys.readouterr().err


def test_the_benchmarks_exit_with_the_verdict() -> None:
    for script in ("transport_relay.py", "e2e.py"):
        source = (BENCH / script).read_text(encoding="utf-8")
        assert "return verdict(" in source, script
        assert "account(" in source, script
