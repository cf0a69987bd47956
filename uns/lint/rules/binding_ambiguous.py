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

from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.lint.patterns import ids_overlap, topics_overlap
from uns.lint.rules.common import buckets, covered
from uns.model.problem import Level, Problem

ID = "binding-ambiguous"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    pass


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
