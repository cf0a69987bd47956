"""No two bindings may publish the same governed topic.

Two gateways feeding one tag path make the value jump between sources and the history
unusable. Checked for definite targets (mapped captures, `tags:` tables, literal tags):
pass-through bindings only *may* publish a topic, and are left to `binding-ambiguous`.
Reported once per pair of bindings, at the later one (at its `tags:` entry when there is one).

PASS:

    bindings:
      - {topic: "plc/line1/{raw_tag}", equipment: cologne/packaging/line-1/filler-1,
         tags: {T1: temperature}}
      - {topic: "plc/line1/{raw_tag}/x", equipment: cologne/packaging/line-1/filler-1,
         tags: {P1: pressure}}

FAIL:

    bindings:
      - {topic: "plc/a/{raw_tag}", equipment: cologne/packaging/line-1/filler-1,
         tags: {T1: temperature}}
      - {topic: "opc/b/{raw_tag}", equipment: cologne/packaging/line-1/filler-1,
         tags: {Temp: temperature}}     # filler-1/temperature is already published
"""

from __future__ import annotations

from collections.abc import Iterator

from uns.lint.graph import ModelGraph, tag_id
from uns.lint.options import RuleOptions
from uns.lint.rules.common import raw_position
from uns.model.namespace import Binding
from uns.model.problem import Level, Problem

ID = "duplicate-topic"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    pass


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    first: dict[str, tuple[Binding, str]] = {}
    clashes: dict[tuple[int, int, str], list[str]] = {}
    owners: dict[int, Binding] = {}
    for bt in model.bindings:
        b = bt.binding
        owners[b.order] = b
        for eq, t in bt.produced():
            if not (eq.definite and t.definite):
                continue
            key = tag_id(eq.node, t.tag)
            seen = first.get(key)
            if seen is None:
                first[key] = (b, t.raw)
            elif seen[0] is not b:
                topic = model.topic(eq.node, t.tag)
                clashes.setdefault((b.order, seen[0].order, t.raw), []).append(topic)
    for (later, earlier, raw), topics in sorted(clashes.items()):
        b, a = owners[later], owners[earlier]
        shown = ", ".join(topics[:3]) + (f" (+{len(topics) - 3} more)" if len(topics) > 3 else "")
        yield Problem.at(
            raw_position(model, b, raw),
            f'binding "{b.name}" publishes {len(topics)} governed topic(s) that binding '
            f'"{a.name}" ({a.pos}) already publishes: {shown}',
        )
