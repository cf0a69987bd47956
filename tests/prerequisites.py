"""The one rule for a test whose prerequisite (a binary, a peer, an optional package) is
missing: skip on a developer machine, fail under CI.

CI counts as set whenever the CI variable is non-empty, whatever its value ("true", "1",
"yes", GitLab's "true", a vendor's own word): a missing prerequisite must never make a CI
run quietly green.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "") != ""


def unavailable(what: str) -> NoReturn:
    """Skip because `what` is missing, or fail if CI is set."""
    if in_ci():
        pytest.fail(f"{what} (required when CI is set)")
    pytest.skip(what)


def require(condition: object, what: str) -> None:
    """Go on if `condition` holds; otherwise skip locally and fail under CI, naming `what`."""
    if not condition:
        unavailable(what)
