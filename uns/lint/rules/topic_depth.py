"""A governed topic has at most `naming.max_depth` levels.

Counted over the whole topic as published: prefix, enterprise, every node level the layout
keeps, and the tag. Deep trees are hard to browse and some historians cap the path depth.
Reported once per equipment.

Options: `max` (default: null = use the model's `naming.max_depth`).

PASS (max_depth 6: acme/cologne/packaging/line-1/filler-1/speed has 6 levels):

    enterprise: {name: acme, naming: {max_depth: 6}}

FAIL (max_depth 5, the same topic has 6 levels):

    enterprise: {name: acme, naming: {max_depth: 5}}
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Problem

ID = "topic-depth"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    max: int | None = Field(default=None, ge=1)


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    limit = opts.max if opts.max is not None else ns.enterprise.naming.max_depth
    for node in ns.equipment():
        if not node.tags:
            continue
        slot = model.topic_slot(node)
        depth = slot.count("/") + 1
        if depth > limit:
            example = model.topic(node, next(iter(node.tags)))
            yield Problem.at(
                node.pos, f"governed topics have {depth} levels (limit {limit}): {example}"
            )
