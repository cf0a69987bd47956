"""Helpers more than one rule needs, so that no rule imports another rule."""

from __future__ import annotations

from collections import defaultdict

from uns.lint.graph import ModelGraph
from uns.lint.patterns import id_covers, topic_covers
from uns.model.namespace import Binding
from uns.model.problem import Position
from uns.model.topics import LITERAL


def raw_position(model: ModelGraph, b: Binding, raw: str) -> Position:
    """Where a binding names raw tag `raw`: its `tags:` entry, else its `tag:` or start."""
    if b.tag_map is not None and raw in b.tag_map and "tags" in b.key_positions:
        return model.key_position(b.key_positions["tags"], raw)
    return b.key_positions.get("tag", b.pos)


def buckets(bindings: list[Binding]) -> list[list[Binding]]:
    """Bindings that could tie: equal specificity and equal literal levels (the only pairs
    that can overlap at equal specificity), each bucket in declaration order."""
    out: dict[tuple[object, ...], list[Binding]] = defaultdict(list)
    for b in bindings:
        literals = tuple(lvl.text if lvl.kind == LITERAL else None for lvl in b.pattern.levels)
        out[(b.pattern.specificity, literals)].append(b)
    return [sorted(g, key=lambda b: b.order) for g in out.values() if len(g) > 1]


def covered(earlier: Binding, later: Binding) -> bool:
    return topic_covers(earlier.pattern, later.pattern) and id_covers(
        earlier.id_pattern, later.id_pattern
    )
