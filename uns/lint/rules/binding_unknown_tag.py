"""Raw tags map only to tags the target equipment's class has.

A `tags:` entry (or a literal `tag:`, or a `tag:` built from mapped codes) naming a tag the
class lacks drops that raw data at run time. The loader checks bindings whose equipment it
can enumerate; this rule covers equipment reached through pass-through captures and tags
built from mapped codes. Reported once per raw tag and class.

PASS:

    classes: {pump: {tags: {flow: float}}}
    bindings:
      - {topic: "plc/{asset}/{raw_tag}", equipment: "cologne/water/{asset}",
         tags: {FLOW: flow}}

FAIL:

    bindings:
      - {topic: "plc/{asset}/{raw_tag}", equipment: "cologne/water/{asset}",
         tags: {FLOW: flow, PRESS: presure}}   # pump has no tag "presure"
"""

from __future__ import annotations

from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.lint.rules.common import raw_position
from uns.model.problem import Level, Problem

ID = "binding-unknown-tag"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    pass


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    for bt in model.bindings:
        if bt.loader_checked_tags:
            continue
        b = bt.binding
        reported: set[tuple[str, str]] = set()
        for eq in bt.equipment:
            cls = eq.node.asset_class
            if cls is None:
                continue
            for t in bt.tags.get(id(eq.node), ()):
                if t.known or (t.raw, cls.name) in reported:
                    continue
                reported.add((t.raw, cls.name))
                yield Problem.at(
                    raw_position(model, b, t.raw),
                    f'binding "{b.name}" maps raw tag {t.raw} to "{t.tag}", which class '
                    f"{cls.name} (of {eq.node.path_text}) does not have",
                )
