"""The exit codes in docs/operations.md are the ones the code returns.

The behaviour behind 0, 3 and 130 (a drain that finishes, one cut off by its deadline, a second
signal) is exercised in tests/integration/test_faults.py, which also takes the numbers from the
doc; this is the quick check that the code's names still carry the documented numbers.
"""

from __future__ import annotations

from tests.documented import exit_code, exit_codes
from uns import cli, runner


def test_the_documented_table_is_the_one_the_code_uses() -> None:
    assert set(exit_codes()) == {
        runner.EXIT_OK,
        cli.EXIT_PROBLEMS,
        cli.EXIT_USAGE,
        runner.EXIT_DRAIN_CUT,
        runner.EXIT_FORCED,
    }
    assert exit_code("every message taken in was published and acknowledged") == runner.EXIT_OK
    assert exit_code("found problems") == cli.EXIT_PROBLEMS
    assert exit_code("start-up error") == cli.EXIT_USAGE
    assert exit_code("the drain deadline passed") == runner.EXIT_DRAIN_CUT
    assert exit_code("a second SIGTERM/SIGINT forced the exit") == runner.EXIT_FORCED
