"""What changed in the governed namespace between two models, and whether it breaks consumers.

Both models are reduced to their governed topics (every tag of every equipment, as published),
each with its datatype, unit and *sources*: the raw inputs that feed it (binding name, the raw
codes that select the equipment, the raw tag). Then:

- added / removed: a topic in only one model;
- moved: a removed topic and an added one fed by the same source (a renamed node or tag
  whose binding still reads the same raw data);
- changed: the same topic (or a moved pair) with another datatype or unit.

Removed and moved topics and datatype changes break consumers (subscriptions, schemas). A unit
change does not stop a subscriber, but a historian that stores only the number silently gets
wrong data, so `uns diff` counts it as breaking unless `--allow-unit-changes` says every
consumer reads `unit` (`breaking(units=...)` here; an added topic never breaks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from uns.lint.targets import resolve_bindings
from uns.model.namespace import Namespace

_SLOT = "\x00"


@dataclass(frozen=True, slots=True)
class TopicInfo:
    topic: str
    datatype: str
    unit: str | None
    sources: frozenset[str]


@dataclass(frozen=True, slots=True)
class Change:
    topic: str
    what: str  # "datatype" or "unit"
    old: str | None
    new: str | None


@dataclass(slots=True)
class NamespaceDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)

    def breaking(self, *, units: bool = False) -> bool:
        return bool(
            self.removed
            or self.moved
            or any(c.what == "datatype" or (units and c.what == "unit") for c in self.changed)
        )

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.moved or self.changed)


def governed_topics(ns: Namespace) -> dict[str, TopicInfo]:
    """Every governed topic of the model with its datatype, unit and raw sources."""
    sources: dict[tuple[int, str], set[str]] = {}
    for bt in resolve_bindings(ns):
        for eq, t in bt.produced():
            raw = t.tag if t.raw == "*" else t.raw
            key = (id(eq.node), t.tag)
            sources.setdefault(key, set()).add(f"{bt.binding.name}|{eq.codes}|{raw}")
    out: dict[str, TopicInfo] = {}
    for node in ns.equipment():
        slot = "/".join(ns.governed_levels(node, _SLOT))
        for name, tag in node.tags.items():
            topic = slot.replace(_SLOT, name)
            src = frozenset(sources.get((id(node), name), ()))
            out[topic] = TopicInfo(topic, tag.datatype, tag.unit, src)
    return out


def _changes(old: TopicInfo, new: TopicInfo, topic: str) -> list[Change]:
    out = []
    if old.datatype != new.datatype:
        out.append(Change(topic, "datatype", old.datatype, new.datatype))
    if old.unit != new.unit:
        out.append(Change(topic, "unit", old.unit, new.unit))
    return out


def diff_topics(old: dict[str, TopicInfo], new: dict[str, TopicInfo]) -> NamespaceDiff:
    d = NamespaceDiff()
    removed = sorted(set(old) - set(new))
    added = sorted(set(new) - set(old))
    by_source: dict[str, str] = {}
    for topic in added:
        for src in sorted(new[topic].sources):
            by_source.setdefault(src, topic)
    taken: set[str] = set()
    for topic in removed:
        target = next(
            (
                by_source[s]
                for s in sorted(old[topic].sources)
                if s in by_source and by_source[s] not in taken
            ),
            None,
        )
        if target is None:
            d.removed.append(topic)
            continue
        taken.add(target)
        d.moved.append((topic, target))
        d.changed += _changes(old[topic], new[target], target)
    d.added = [t for t in added if t not in taken]
    for topic in sorted(set(old) & set(new)):
        d.changed += _changes(old[topic], new[topic], topic)
    return d


def diff_namespaces(old: Namespace, new: Namespace) -> NamespaceDiff:
    return diff_topics(governed_topics(old), governed_topics(new))


def format_diff_text(d: NamespaceDiff, *, units_break: bool = False) -> list[str]:
    lines = [f"- removed  {t}" for t in d.removed]
    lines += [f"~ moved    {a} -> {b}" for a, b in d.moved]
    lines += [
        f"! {c.what:8s} {c.topic}: {c.old or 'none'} -> {c.new or 'none'}"
        + ("" if c.what == "datatype" or units_break else " (not breaking)")
        for c in d.changed
    ]
    lines += [f"+ added    {t}" for t in d.added]
    verdict = "BREAKING" if d.breaking(units=units_break) else "compatible"
    lines.append(
        f"{len(d.added)} added, {len(d.removed)} removed, {len(d.moved)} moved, "
        f"{len(d.changed)} changed: {verdict}"
    )
    return lines


def diff_to_json(d: NamespaceDiff, *, units_break: bool = False) -> dict[str, Any]:
    return {
        "added": d.added,
        "removed": d.removed,
        "moved": [{"from": a, "to": b} for a, b in d.moved],
        "changed": [
            {"topic": c.topic, "field": c.what, "old": c.old, "new": c.new} for c in d.changed
        ],
        "breaking": d.breaking(units=units_break),
    }
