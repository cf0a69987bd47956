"""Argument types for the command line (`type=` of argparse), shared by every subcommand."""

from __future__ import annotations

import argparse

__all__ = ["positive_float", "positive_int", "seconds_or_auto"]


def positive_float(text: str) -> float:
    """A number greater than 0 (seconds, rates)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def positive_int(text: str) -> int:
    """A whole number of 1 or more (depths, counts)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def seconds_or_auto(text: str) -> float | None:
    """A number of seconds, or `auto` (None: the program chooses)."""
    if text == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a number of seconds or 'auto'") from None
