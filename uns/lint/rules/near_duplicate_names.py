"""Names that look alike across sites are one name spelled differently.

`Temp` / `Temperature` / `temp_c` for one signal, `Packaging` at one site and `packaging` at
the next, `incorperated` for `incorporated`: each spelling splits dashboards, queries and
alarms. Names are compared per kind (site names, the names of each level, canonical tag names,
class names) and grouped when they are

- case or separator variants (`Line1`, `line-1`) under different parents (variants under one
  parent are `duplicate-sibling`),
- abbreviations or unit-suffixed forms (`temp`, `Temperature`, `temp_c`; `spd`, `speed`),
- typos: within `max-typo-distance` edits, same digits, at least `min-typo-length` letters.

Abbreviations and typos count only between names that never appear together in one scope
(one site for node names, one class for tags): names used side by side are meant to differ.
Nodes of different classes and tags of different datatypes are never grouped.
The most used spelling of a group is taken as the intended one; every other spelling is
reported once, at its first use, with the whole group.

Options: `max-typo-distance` (default 1; 0 turns typo matching off), `min-typo-length`
(default 5), `kinds` (default all of: site, level, tag, class).

PASS:

    classes:
      oven: {tags: {temperature: float}}
      dryer: {tags: {temperature: float}}

FAIL:

    classes:
      oven: {tags: {temperature: float}}
      dryer: {tags: {Temp: float}}        # looks like "temperature"
      kiln: {tags: {temp_c: float}}       # looks like "temperature"
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from uns.lint.graph import ModelGraph
from uns.lint.names import abbreviates, close_pairs, digits, fold, stem
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Position, Problem

ID = "near-duplicate-names"
DEFAULT_LEVEL: Level = "warning"

Kind = Literal["site", "level", "tag", "class"]


class Options(RuleOptions):
    max_typo_distance: int = Field(default=1, ge=0, le=2)
    min_typo_length: int = Field(default=5, ge=1)
    kinds: tuple[Kind, ...] = ("site", "level", "tag", "class")


@dataclass(slots=True)
class _Name:
    text: str
    first: Position
    count: int = 0
    scopes: set[str] = field(default_factory=set)
    parents: set[str] = field(default_factory=set)
    sorts: set[str] = field(default_factory=set)  # classes of nodes, datatypes of tags


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _groups(
    names: dict[str, _Name], opts: Options, units: bool
) -> list[tuple[list[str], dict[tuple[str, str], str]]]:
    """Groups of look-alike names and why each linked pair was linked."""
    parent = {n: n for n in names}
    why: dict[tuple[str, str], str] = {}

    def link(a: str, b: str, reason: str) -> None:
        why[(a, b) if a < b else (b, a)] = reason
        parent[_find(parent, a)] = _find(parent, b)

    def apart(a: _Name, b: _Name) -> bool:
        return not (a.scopes & b.scopes) and (not a.sorts or not b.sorts or bool(a.sorts & b.sorts))

    by_fold: dict[str, list[str]] = defaultdict(list)
    by_stem: dict[tuple[str, ...], list[str]] = defaultdict(list)
    stems = {}
    for text in names:
        by_fold[fold(text)].append(text)
        stems[text] = s = stem(text, units=units)
        by_stem[tuple(t[:3] for t in s)].append(text)
    for group in by_fold.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                na, nb = names[a], names[b]
                if not (na.parents & nb.parents) and (
                    not na.sorts or not nb.sorts or na.sorts & nb.sorts
                ):
                    link(a, b, "case or separators")
    for group in by_stem.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if fold(a) != fold(b) and apart(names[a], names[b]):
                    sa, sb = stems[a], stems[b]
                    if sa == sb or abbreviates(sa, sb):
                        link(a, b, "abbreviation or unit suffix")
    folded: dict[str, list[str]] = defaultdict(list)
    for text in names:
        key = fold(text)
        if len(key) >= opts.min_typo_length:
            folded[key].append(text)
    for fa, fb in close_pairs(folded, opts.max_typo_distance):
        if digits(fa) != digits(fb):
            continue
        for a in folded[fa]:
            for b in folded[fb]:
                if apart(names[a], names[b]):
                    link(a, b, "typo")
    members: dict[str, list[str]] = defaultdict(list)
    for text in names:
        members[_find(parent, text)].append(text)
    return [(m, why) for m in members.values() if len(m) > 1]


def _report(what: str, names: dict[str, _Name], opts: Options, units: bool) -> Iterator[Problem]:
    for group, why in _groups(names, opts, units):
        group.sort(key=lambda t: (-names[t].count, names[t].first))
        main = group[0]
        listed = ", ".join(f'"{t}" ({names[t].count})' for t in group)
        for text in group[1:]:
            reasons = sorted({r for (a, b), r in why.items() if text in (a, b)})
            yield Problem.at(
                names[text].first,
                f'{what} "{text}" looks like "{main}" ({", ".join(reasons)}); '
                f"spellings in use: {listed}",
            )


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    if "site" in opts.kinds:
        sites: dict[str, _Name] = {}
        for name, site in ns.sites.items():
            entry = sites.setdefault(name, _Name(name, site.node.pos))
            entry.count += 1
            entry.scopes.add(name)
            entry.parents.add("")
        yield from _report("site", sites, opts, units=False)
    if "level" in opts.kinds:
        per_level: dict[str, dict[str, _Name]] = defaultdict(dict)
        for node in ns.nodes.values():
            if node.parent is None:
                continue
            names = per_level[node.level]
            n = names.get(node.name)
            if n is None:
                n = names[node.name] = _Name(node.name, node.pos)
            n.count += 1
            n.first = min(n.first, node.pos)
            n.scopes.add(node.site)
            n.parents.add(node.parent.path_text)
            if node.asset_class is not None:
                n.sorts.add(node.asset_class.name)
        for level in ns.levels:
            if level in per_level:
                yield from _report(level, per_level[level], opts, units=False)
    if "tag" in opts.kinds:
        tags: dict[str, _Name] = {}
        for cls in ns.classes.values():
            for tag in cls.own_tags.values():
                n = tags.get(tag.name)
                if n is None:
                    n = tags[tag.name] = _Name(tag.name, tag.pos)
                n.count += 1
                n.first = min(n.first, tag.pos)
                n.scopes.add(cls.name)
                n.parents.add(cls.name)
                n.sorts.add(tag.datatype)
        yield from _report("tag", tags, opts, units=True)
    if "class" in opts.kinds:
        classes = {
            name: _Name(name, cls.pos, 1, {name}, {name}) for name, cls in ns.classes.items()
        }
        yield from _report("class", classes, opts, units=False)
