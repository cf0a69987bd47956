"""Siblings must differ by more than case or separators.

`Line1`, `line-1` and `line_1` under one parent are one line written three ways; on a
case-insensitive historian or after a rename they collide, and people pick the wrong one.
Checked for the children of every node and for the tags of every class. The later sibling
is reported.

PASS:

    line:
      line-1: {}
      line-2: {}

FAIL:

    line:
      line-1: {}
      Line_1: {}      # same as line-1 but for case and separator
"""

from __future__ import annotations

from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.names import fold
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Position, Problem

ID = "duplicate-sibling"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    pass


def _clashes(items: list[tuple[str, Position]]) -> Iterator[tuple[str, Position, str, Position]]:
    first: dict[str, tuple[str, Position]] = {}
    for name, pos in sorted(items, key=lambda it: it[1]):
        key = fold(name)
        if key in first:
            yield name, pos, *first[key]
        else:
            first[key] = (name, pos)


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    for site in ns.sites.values():
        for parent in site.node.walk():
            if len(parent.children) < 2:
                continue
            items = [(c.name, c.pos) for c in parent.children.values()]
            for name, pos, other, opos in _clashes(items):
                yield Problem.at(
                    pos,
                    f'"{name}" and its sibling "{other}" (line {opos.line}) differ only by '
                    f"case or separators (under {parent.path_text})",
                )
    sites = [(s.node.name, s.node.pos) for s in ns.sites.values()]
    for name, pos, other, opos in _clashes(sites):
        yield Problem.at(
            pos, f'site "{name}" and site "{other}" ({opos}) differ only by case or separators'
        )
    for cls in ns.classes.values():
        items = [(t.name, t.pos) for t in cls.own_tags.values()]
        for name, pos, other, opos in _clashes(items):
            yield Problem.at(
                pos,
                f'tag "{name}" and tag "{other}" (line {opos.line}) of class {cls.name} differ '
                "only by case or separators",
            )
