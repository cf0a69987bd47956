"""Every binding can receive data.

A binding never matches when an earlier binding of equal specificity matches every topic it
matches (the same pattern twice, or `plc/{x}/temp` after `plc/+/temp`), with an id pattern
that covers its own for batch formats; or when one of its `map` tables is empty, so no raw
code can pass.

PASS:

    bindings:
      - {topic: "plc/line1/{raw_tag}", ...}
      - {topic: "plc/line2/{raw_tag}", ...}

FAIL:

    bindings:
      - {topic: "plc/{line}/{raw_tag}", ...}
      - {topic: "plc/{l}/{t}", ...}           # every topic already goes to the first
"""

from __future__ import annotations

from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.lint.rules.common import buckets, covered
from uns.model.problem import Level, Problem

ID = "binding-unreachable"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    pass


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    for group in buckets([bt.binding for bt in model.bindings]):
        for i, b in enumerate(group):
            for a in group[:i]:
                if covered(a, b):
                    yield Problem.at(
                        b.key_positions.get("topic", b.pos),
                        f'binding "{b.name}" never receives data: binding "{a.name}" '
                        f'({a.pos}) matches every topic of "{b.pattern.source}" first',
                    )
                    break
    for bt in model.bindings:
        b = bt.binding
        for capture, table in sorted(b.spec.map.items()):
            if not table:
                yield Problem.at(
                    b.key_positions.get("map", b.pos),
                    f'binding "{b.name}": map for {{{capture}}} is empty, no raw code can match',
                )
