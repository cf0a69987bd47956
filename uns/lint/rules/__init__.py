"""The rule registry: rule id -> module, listed explicitly (yamllint's `rules/__init__.py`).

A rule module has a docstring (its documentation, with PASS / FAIL examples), `ID`,
`DEFAULT_LEVEL`, an `Options` model and a generator `check(model, opts)`. It does not stamp
its id or level on what it yields: the runner does.

The loader's own findings (`LOADER_RULES`) are reported under their ids too. They make a model
unloadable by the service, so they are always errors and cannot be disabled or suppressed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.lint.rules import (
    binding_ambiguous,
    binding_unknown_tag,
    binding_unreachable,
    calendar_coverage,
    context_scope,
    cross_site_tags,
    duplicate_equipment,
    duplicate_sibling,
    duplicate_topic,
    forbidden_characters,
    level_order,
    missing_class,
    name_pattern,
    near_duplicate_names,
    orphan_binding,
    topic_depth,
    topic_length,
    unbound_equipment,
    unit_consistency,
    unused_calendar,
    unused_class,
)
from uns.model.problem import Level, Problem


class RuleModule(Protocol):
    """What the runner needs of a rule module (read-only, as module constants are)."""

    @property
    def ID(self) -> str: ...  # noqa: N802 - the module constant's name
    @property
    def DEFAULT_LEVEL(self) -> Level: ...  # noqa: N802
    @property
    def Options(self) -> type[RuleOptions]: ...  # noqa: N802

    def check(self, model: ModelGraph, opts: Any, /) -> Iterator[Problem]: ...


_MODULES: tuple[RuleModule, ...] = (
    # naming
    name_pattern,
    forbidden_characters,
    topic_depth,
    topic_length,
    # duplicates
    duplicate_sibling,
    duplicate_topic,
    duplicate_equipment,
    # cross-site consistency
    cross_site_tags,
    unit_consistency,
    near_duplicate_names,
    level_order,
    # references and structure
    unused_class,
    unused_calendar,
    context_scope,
    missing_class,
    orphan_binding,
    unbound_equipment,
    # bindings
    binding_ambiguous,
    binding_unreachable,
    binding_unknown_tag,
    # calendars
    calendar_coverage,
)

RULES: dict[str, RuleModule] = {m.ID: m for m in _MODULES}

LOADER_RULES: dict[str, str] = {
    "yaml-syntax": "a file is not readable, not UTF-8, or not valid YAML",
    "duplicate-key": "a key appears twice in one mapping, or a section entry in two files",
    "schema": "a key is unknown or misspelt, a required key is missing, or a value has the "
    "wrong type or form",
    "unknown-reference": "a reference names nothing: class, base class, calendar, equipment, "
    "tag, capture or scope",
    "topic-pattern": "a name, raw topic pattern, template or layout is not usable as a topic",
    "unit": "a unit is unknown, or a binding's source unit cannot convert to the tag's unit",
    "class-cycle": "classes extend each other in a cycle",
    "duplicate-path": "two nodes with the same name under one parent",
}
