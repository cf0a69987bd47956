"""The simulated plant, read from the model: every binding inverted into points.

A point is one raw topic (plus an id for batch formats) per equipment tag a binding can
reach: topic captures get raw codes from the binding's `map`, raw tag names come from its
`tags` map (or are the canonical names when it has none); a point is kept only if the model
routes its topic back to the same binding (a more specific binding may own it, e.g.
`plc/cgn/L2/FIL01/...` belongs to the filler binding, not to the generic one).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from uns.formats import get_format
from uns.model.namespace import Binding, ContextSource, Namespace, Node, Tag
from uns.model.specs import TagMapSpec
from uns.model.template import PLACEHOLDER, Template
from uns.model.topics import LITERAL, MULTI, SINGLE, TopicPattern
from uns.model.trie import TopicIndex
from uns.simulator.encoding import value_encoder
from uns.simulator.messages import Point
from uns.simulator.values import signal_for

__all__ = [
    "FILLER",
    "binding_indexes",
    "context_index",
    "inverse_map",
    "plant_points",
    "render_topic",
    "template_regex",
]

FILLER = "sim"  # value for captures nothing depends on


def template_regex(source: str) -> re.Pattern[str]:
    parts: list[str] = []
    pos = 0
    for m in PLACEHOLDER.finditer(source):
        parts.append(re.escape(source[pos : m.start()]))
        parts.append(f"(?P<{m.group(1)}>.+?)")
        pos = m.end()
    parts.append(re.escape(source[pos:]))
    return re.compile("".join(parts), re.DOTALL)


def render_topic(pattern: TopicPattern, captures: dict[str, str]) -> str:
    """A concrete topic the pattern matches with these captures (fillers for `+` / `#`)."""
    levels: list[str] = []
    for lvl in pattern.levels:
        if lvl.kind == LITERAL:
            levels.append(lvl.text)
        elif lvl.kind in (SINGLE, MULTI):
            levels.append(captures[lvl.capture] if lvl.capture else FILLER)
        else:
            levels.append(Template.parse(lvl.text).render(captures))
    return "/".join(levels)


def inverse_map(table: dict[str, str]) -> dict[str, str]:
    """Model name -> the first raw code (sorted) that maps to it."""
    out: dict[str, str] = {}
    for code in sorted(table):
        out.setdefault(table[code], code)
    return out


def _raw_tags(b: Binding, node: Node) -> Iterator[tuple[str, Tag, TagMapSpec | None]]:
    if b.tag_map is not None:
        for raw, tm in b.tag_map.items():
            tag = node.tags.get(tm.tag)
            if tag is not None:
                yield raw, tag, tm
    else:
        for name, tag in node.tags.items():
            yield name, tag, None


@dataclass(slots=True)
class _Target:
    """A binding resolved for one equipment and raw tag: captures in model and raw form."""

    node: Node
    raw_tag: str
    tag: Tag
    tm: TagMapSpec | None
    raw_caps: dict[str, str]


def _targets(b: Binding, ns: Namespace) -> Iterator[_Target]:
    maps = b.spec.map
    inverse = {cap: inverse_map(table) for cap, table in maps.items()}
    all_caps = [*b.pattern.captures, *(b.id_pattern.captures if b.id_pattern else ())]
    eq_rx = template_regex(b.equipment.source)
    tag_rx = template_regex(b.tag.source)
    for node in ns.equipment():
        m = eq_rx.fullmatch(node.path_text)
        if m is None:
            continue
        eq_caps = m.groupdict()
        for raw_tag, tag, tm in _raw_tags(b, node):
            tm_ = tag_rx.fullmatch(raw_tag)
            if tm_ is None:
                continue
            caps = dict(eq_caps)
            if any(caps.get(k, v) != v for k, v in tm_.groupdict().items()):
                continue  # the tag template disagrees with the equipment path
            caps.update(tm_.groupdict())
            raw_caps: dict[str, str] = {}
            for cap in all_caps:
                if cap in inverse:
                    model = caps.get(cap)
                    code = (
                        min(maps[cap], default=None) if model is None else inverse[cap].get(model)
                    )
                    if code is None:
                        break
                    raw_caps[cap] = code
                else:
                    raw_caps[cap] = caps.get(cap, FILLER)
            else:
                yield _Target(node, raw_tag, tag, tm, raw_caps)


def binding_indexes(ns: Namespace) -> tuple[TopicIndex[Binding], TopicIndex[Binding]]:
    """Topic indexes as the pipeline has them: plain bindings, and Sparkplug addresses."""
    index: TopicIndex[Binding] = TopicIndex()
    sp_index: TopicIndex[Binding] = TopicIndex()
    for b in ns.bindings:
        (sp_index if get_format(b.spec.format).host_routed else index).add(b.pattern, b)
    return index, sp_index


def plant_points(ns: Namespace, rng: random.Random) -> list[Point]:
    index, sp_index = binding_indexes(ns)
    sources = context_index(ns)
    points: list[Point] = []
    for b in ns.bindings:
        sparkplug = get_format(b.spec.format).host_routed
        for t in _targets(b, ns):
            # Sparkplug patterns name an address (spBv1.0/group/node[/device]), not a topic.
            topic = render_topic(b.pattern, t.raw_caps)
            hit = (sp_index if sparkplug else index).lookup(topic)
            if hit is None or hit.value is not b or sources.lookup(topic) is not None:
                continue  # another binding (or an MES source) owns this topic
            if sparkplug and not 3 <= len(topic.split("/")) <= 4:
                continue
            name = None
            if b.id_pattern is not None:
                name = Template.parse(b.id_pattern.source).render(t.raw_caps)
                want = {k: t.raw_caps[k] for k in b.id_pattern.captures}
                if b.id_pattern.match(name) != want:
                    continue  # the id would split differently than intended
            encode = value_encoder(t.tag, t.tm, b, rng)
            if encode is None:
                continue
            points.append(
                Point(b, topic, name, t.node, t.tag, t.raw_tag, signal_for(t.tag, rng), encode)
            )
    return points


def context_index(ns: Namespace) -> TopicIndex[ContextSource]:
    """The MES context sources by topic, as the pipeline routes them."""
    sources: TopicIndex[ContextSource] = TopicIndex()
    for s in ns.context_sources:
        sources.add(s.pattern, s)
    return sources
