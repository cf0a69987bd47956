"""Equipment of one class expose the same canonical tags at every site.

A tag is *exposed* at a site when some binding there publishes it for equipment of the class.
For each class, the expected set is what at least half of the sites expose; each site that
lacks some of them (missing) or exposes tags no majority does (extra) is reported once, at
its first equipment of that class, with the counts. Only sites where the class has bound
equipment take part (entirely unbound equipment is `unbound-equipment`'s business), and a
class needs bound equipment at two sites or more to be compared.

Options: `min-sites` (default 2): compare a class only when it is bound at this many sites.

PASS: every site binds `running`, `flow` and `pressure` of its pumps.

FAIL:

    bindings:
      - {topic: "a/{raw_tag}", equipment: cologne/utilities/water/pump-1,
         tags: {RUN: running, FLOW: flow, P: pressure}}
      - {topic: "b/{raw_tag}", equipment: dallas/utilities/water/pump-1,
         tags: {RUN: running, FLOW: flow}}     # dallas: pump misses pressure
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from pydantic import Field

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.namespace import Node
from uns.model.problem import Level, Problem

ID = "cross-site-tags"
DEFAULT_LEVEL: Level = "warning"


class Options(RuleOptions):
    min_sites: int = Field(default=2, ge=2)


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    # class -> site -> exposed tags; class -> site -> first bound equipment
    exposed: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    first: dict[str, dict[str, Node]] = defaultdict(dict)
    for bt in model.bindings:
        for eq, t in bt.produced():
            node = eq.node
            assert node.asset_class is not None
            cls, site = node.asset_class.name, node.site
            exposed[cls][site].add(t.tag)
            known = first[cls].get(site)
            if known is None or node.pos < known.pos:
                first[cls][site] = node
    for cls, per_site in sorted(exposed.items()):
        n = len(per_site)
        if n < opts.min_sites:
            continue
        counts: dict[str, int] = defaultdict(int)
        for tags in per_site.values():
            for tag in tags:
                counts[tag] += 1
        expected = {tag for tag, c in counts.items() if 2 * c >= n}
        for site, tags in sorted(per_site.items()):
            missing = sorted(expected - tags)
            extra = sorted(tags - expected)
            if not missing and not extra:
                continue
            parts = []
            if missing:
                parts.append("misses " + ", ".join(f"{t} ({counts[t]}/{n} sites)" for t in missing))
            if extra:
                parts.append(
                    "has extra " + ", ".join(f"{t} ({counts[t]}/{n} sites)" for t in extra)
                )
            yield Problem.at(
                first[cls][site].pos,
                f"class {cls} at site {site} {' and '.join(parts)} compared with the other sites",
            )
