"""One canonical tag name, one unit, everywhere.

`temperature` in degC for the ovens of one site and in degF for the ovens of another (through
two classes) makes every cross-site chart wrong. Tag declarations are grouped by name across
all classes; spellings of the same unit (`degC`, `°C`) count as one. The unit used at most
sites (then by most equipment) wins; each declaration with another unit (or none, where the
others have one) is reported at its tag.

PASS:

    classes:
      oven: {tags: {temperature: {unit: degC}}}
      dryer: {tags: {temperature: {unit: °C}}}

FAIL:

    classes:
      oven: {tags: {temperature: {unit: degC}}}
      oven-us: {tags: {temperature: {unit: degF}}}   # degF; temperature is degC elsewhere
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from uns.errors import UnitError
from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.namespace import Tag
from uns.model.problem import Level, Problem
from uns.normalize.units import compile_conversion

ID = "unit-consistency"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    pass


def _same_unit(a: str, b: str) -> bool:
    try:
        return compile_conversion(a, b, 1.0, 0.0) is None
    except UnitError:
        return False


def _negated_weight(members: list[tuple[Tag, tuple[int, int]]]) -> tuple[int, int]:
    return (-sum(w[0] for _, w in members), -sum(w[1] for _, w in members))


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    # Weight of a declaration: the sites, then the equipment, that use it (via inheritance too).
    sites: dict[str, set[str]] = defaultdict(set)
    users: Counter[str] = Counter()
    for node in ns.equipment():
        assert node.asset_class is not None
        sites[node.asset_class.name].add(node.site)
        users[node.asset_class.name] += 1
    tag_sites: dict[int, set[str]] = defaultdict(set)
    tag_users: Counter[int] = Counter()
    for cls in ns.classes.values():
        for tag in cls.tags.values():
            tag_sites[id(tag)] |= sites[cls.name]
            tag_users[id(tag)] += users[cls.name]
    by_name: dict[str, list[tuple[Tag, tuple[int, int]]]] = defaultdict(list)
    for cls in ns.classes.values():
        for tag in cls.own_tags.values():
            weight = (len(tag_sites[id(tag)]), tag_users[id(tag)])
            by_name[tag.name].append((tag, weight))
    for name, decls in sorted(by_name.items()):
        if len({t.unit for t, _ in decls}) < 2:
            continue
        groups: list[tuple[str | None, list[tuple[Tag, tuple[int, int]]]]] = []
        for tag, weight in decls:
            for unit, members in groups:
                if unit == tag.unit or (
                    unit is not None and tag.unit is not None and _same_unit(unit, tag.unit)
                ):
                    members.append((tag, weight))
                    break
            else:
                groups.append((tag.unit, [(tag, weight)]))
        if len(groups) < 2:
            continue
        groups.sort(key=lambda g: (_negated_weight(g[1]), min(t.pos for t, _ in g[1])))
        main_unit, main = groups[0]
        where = ", ".join(sorted({t.owner for t, _ in main}))
        for unit, members in groups[1:]:
            for tag, _w in members:
                shown = "no unit" if unit is None else f"unit {unit}"
                yield Problem.at(
                    tag.pos,
                    f"tag {name} (class {tag.owner}) has {shown}, but it is "
                    f"{main_unit or 'unitless'} in {where}",
                )
