"""The shared argparse types: what they accept, and the message for what they refuse."""

from __future__ import annotations

import argparse

import pytest

from uns.argtypes import positive_float, positive_int, seconds_or_auto


def test_positive_float_accepts_numbers_above_zero() -> None:
    assert positive_float("0.5") == 0.5
    assert positive_float("40") == 40.0


@pytest.mark.parametrize(
    ("text", "message"), [("0", "greater than 0"), ("-1", "greater than 0"), ("x", "not a number")]
)
def test_positive_float_refuses(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        positive_float(text)


def test_positive_int_accepts_one_and_more() -> None:
    assert positive_int("1") == 1
    assert positive_int("12") == 12


@pytest.mark.parametrize(
    ("text", "message"), [("0", "1 or more"), ("2.5", "whole number"), ("x", "whole number")]
)
def test_positive_int_refuses(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        positive_int(text)


def test_seconds_or_auto() -> None:
    assert seconds_or_auto("auto") is None
    assert seconds_or_auto("-90") == -90.0
    with pytest.raises(argparse.ArgumentTypeError, match="auto"):
        seconds_or_auto("soon")


def test_the_cli_uses_them() -> None:
    from uns.cli import main

    assert main(["tree", "models", "--depth", "0"]) == 2
    assert main(["demo", "--duration", "0"]) == 2
