"""Every site nests its levels in the order `enterprise.levels` gives.

Levels may be skipped (a line straight under a site), but never inverted: an `area` inside a
`line` at one site while every other site has lines inside areas gives two trees no query can
span. Reported at the level key (`area:`) of each inverted group, naming a site that has the
usual order when there is one.

PASS (levels: [site, area, line, equipment]):

    sites:
      cologne:
        timezone: Europe/Berlin
        area: {packaging: {line: {line-1: {}}}}
      dallas:
        timezone: America/Chicago
        line: {line-1: {}}                       # area skipped: fine

FAIL:

    sites:
      dallas:
        timezone: America/Chicago
        line:
          line-1:
            area: {packaging: {}}                # area below line
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Position, Problem

ID = "level-order"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    pass


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    rank = {lvl: i for i, lvl in enumerate(ns.levels)}
    usual: dict[tuple[str, str], str] = {}  # (upper, lower) -> a site nesting them that way
    inverted: dict[Position, tuple[str, str, str, str]] = {}
    for node in sorted(ns.nodes.values(), key=lambda n: n.pos):
        parent = node.parent
        if parent is None or node.level not in rank or parent.level not in rank:
            continue
        if rank[node.level] > rank[parent.level]:
            usual.setdefault((parent.level, node.level), node.site)
        else:
            pos = node.key_positions.get("level", node.pos)
            inverted.setdefault(pos, (node.level, parent.level, parent.path_text, node.site))
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for pos, (lower, upper, where, _site) in sorted(inverted.items()):
        seen[(lower, upper)] += 1
        other = usual.get((lower, upper))
        hint = f"; site {other} has {upper} inside {lower}" if other else ""
        yield Problem.at(
            pos,
            f"{lower} inside {upper} {where}: enterprise.levels puts {lower} above {upper}{hint}",
        )
