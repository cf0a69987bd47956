"""Names follow the model's own naming conventions (`enterprise.naming`).

Every node name must fully match the pattern for its level (`naming.levels.<level>`, else
`naming.pattern`); every canonical tag name must match `naming.tag_pattern` (each part of a
grouped tag such as `status/state` on its own); the enterprise name must match
`naming.pattern`. The patterns (and with them the case) come from the model,
so each enterprise chooses its convention once and the lint holds every site to it.

Options: `tags` (default true): also check canonical tag names.

PASS:

    enterprise:
      name: acme
      naming: {pattern: "^[a-z0-9][a-z0-9-]*$", levels: {line: "^line-[0-9]+$"}}
    sites:
      cologne:
        timezone: Europe/Berlin
        area: {packaging: {line: {line-1: {}}}}

FAIL:

    sites:
      cologne:
        timezone: Europe/Berlin
        area:
          Packaging:            # "Packaging" does not match naming.pattern
            line:
              L1: {}            # "L1" does not match naming.levels.line
    classes:
      pump:
        tags: {FlowRate: float} # "FlowRate" does not match naming.tag_pattern
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Problem
from uns.model.tag_paths import tag_levels

ID = "name-pattern"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    tags: bool = True


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    naming = ns.enterprise.naming
    default = re.compile(naming.pattern)
    per_level = {lvl: re.compile(p) for lvl, p in naming.levels.items()}
    if not default.fullmatch(ns.enterprise.name):
        pos = model.key_position(ns.enterprise_pos, "name")
        yield Problem.at(
            pos,
            f'enterprise name "{ns.enterprise.name}" does not match naming.pattern '
            f"{default.pattern}",
        )
    for node in ns.nodes.values():
        rx = per_level.get(node.level, default)
        if not rx.fullmatch(node.name):
            where = f"naming.levels.{node.level}" if node.level in per_level else "naming.pattern"
            yield Problem.at(
                node.pos, f'{node.level} name "{node.name}" does not match {where} {rx.pattern}'
            )
    if opts.tags:
        tag_rx = re.compile(naming.tag_pattern)
        for cls in ns.classes.values():
            for tag in cls.own_tags.values():
                if not all(tag_rx.fullmatch(part) for part in tag_levels(tag.name)):
                    yield Problem.at(
                        tag.pos,
                        f'tag name "{tag.name}" (class {cls.name}) does not match '
                        f"naming.tag_pattern {tag_rx.pattern}",
                    )
