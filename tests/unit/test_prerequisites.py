"""The one skip rule (tests/prerequisites.py) and that every test follows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.prerequisites import require

TESTS = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("value", ["true", "1", "false", "yes", "gitlab", " "])
def test_a_missing_prerequisite_fails_under_any_non_empty_ci(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=r"openssl.*required when CI is set"):
        require(False, "openssl is missing")


def test_a_missing_prerequisite_skips_without_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="openssl is missing"):
        require(None, "openssl is missing")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        require("", "openssl is missing")


def test_a_present_prerequisite_neither_skips_nor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    require("/usr/bin/openssl", "openssl is missing")


def test_no_test_skips_on_its_own() -> None:
    # A bare skip would make a CI run green without the prerequisite: use require/unavailable.
    bare = re.compile(r"pytest\.(skip|importorskip)\(|mark\.skipif\b|mark\.skip\b")
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in TESTS.rglob("*.py")
        if "node_modules" not in path.parts and path.name != "prerequisites.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if bare.search(line)
    ]
    assert offenders == []
