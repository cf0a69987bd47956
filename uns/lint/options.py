"""The base of every rule's `Options`: frozen, unknown keys rejected, kebab-case in YAML.

A lint config writes options as yamllint does (`max-gap-minutes: 30`); the pydantic field is
the snake_case name (`max_gap_minutes`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class RuleOptions(BaseModel):
    """No options; rules with options subclass this."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=_kebab, populate_by_name=True
    )
