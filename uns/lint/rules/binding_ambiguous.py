"""No two bindings' raw topic patterns overlap at equal specificity.

A raw topic goes to the most specific matching binding (literal levels beat partial ones,
partial beat `+`/`{x}`, those beat `#`; longer beats shorter). When two patterns of equal
specificity both match a topic, only declaration order decides: a reordering of files or list
items silently reroutes data. Patterns are compared level by level; partial levels such as
`{line}_{cell}` are intersected exactly. Batch bindings (kepware, records) whose `id`
patterns cannot match the same record do not conflict. A later binding that the earlier one
fully covers is reported by `binding-unreachable` instead.

PASS:

    bindings:
      - {topic: "plc/line1/{raw_tag}", ...}
      - {topic: "plc/line2/{raw_tag}", ...}   # literal levels differ: no topic matches both

FAIL:

    bindings:
      - {topic: "plc/{line}_temp/{raw_tag}", ...}
      - {topic: "plc/line1_{x}/{raw_tag}", ...}   # plc/line1_temp/... matches both
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.lint.patterns import id_covers, ids_overlap, topic_covers, topics_overlap
from uns.model.namespace import Binding
from uns.model.problem import Level, Problem
from uns.model.topics import LITERAL

ID = "binding-ambiguous"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    pass


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


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    for group in buckets([bt.binding for bt in model.bindings]):
        for i, b in enumerate(group):
            if any(covered(a, b) for a in group[:i]):
                continue  # binding-unreachable
            for a in group[:i]:
                if topics_overlap(a.pattern, b.pattern) and ids_overlap(a.id_pattern, b.id_pattern):
                    yield Problem.at(
                        b.key_positions.get("topic", b.pos),
                        f'raw topic "{b.pattern.source}" of binding "{b.name}" overlaps '
                        f'"{a.pattern.source}" of binding "{a.name}" ({a.pos}) with equal '
                        "specificity: declaration order decides",
                    )
                    break
