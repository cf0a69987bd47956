"""What a source binding can publish: its target equipment, canonical tags and governed topics.

A binding's `equipment` and `tag` templates are filled from topic captures. A capture with a
`map` table can only take the mapped names; an unmapped capture passes the raw text through,
so it can reach any node (or tag) whose name fits the template. We resolve both kinds against
the model:

- equipment: walk the site trees segment by segment, a literal segment by child lookup, a
  templated segment by matching each child's name (mapped captures only to mapped names).
- tags: a `tags:` table, a literal `tag:`, or a `tag:` built from mapped captures name the
  canonical tags exactly; otherwise (pass-through) any tag of the class that fits the template.

A target is *definite* when every capture on the way is mapped or literal: the binding surely
publishes it. Pass-through targets are *possible*: published only if such raw data arrives.
Everything here is pure; positions of `tags:` entries are resolved later by the caller.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from uns.model.namespace import MAX_ENUMERATION, Binding, Namespace, Node
from uns.model.template import Template, fill, template_regex
from uns.model.topics import LITERAL, MULTI, SINGLE, TopicPattern
from uns.model.trie import TopicIndex


@dataclass(frozen=True, slots=True)
class TagTarget:
    """One canonical tag a binding fills on one equipment; `raw` is its raw-side key."""

    tag: str
    raw: str  # the raw tag (tags table key or rendered codes); "*" for pass-through
    definite: bool
    known: bool  # the equipment's class has this tag
    captures: tuple[tuple[str, str], ...] = ()  # raw capture values that select this tag
    shadowed: bool = False  # a more specific binding takes these raw topics


@dataclass(frozen=True, slots=True)
class EquipmentTarget:
    node: Node
    codes: str  # raw codes that select this node, e.g. "asset=P1"; stable across renames
    definite: bool
    captures: tuple[tuple[str, str], ...] = ()  # one raw value per capture (first code)


@dataclass(slots=True, eq=False)
class BindingTargets:
    """The resolved reach of one binding."""

    binding: Binding
    equipment: list[EquipmentTarget] = field(default_factory=list)
    tags: dict[int, list[TagTarget]] = field(default_factory=dict)  # id(node) -> tags
    equipment_mapped: bool = False  # every equipment capture is mapped (loader enumerates it)
    loader_checked_tags: bool = False  # the loader already checked tags of these targets

    def produced(self) -> Iterator[tuple[EquipmentTarget, TagTarget]]:
        """Every (equipment, known tag) pair this binding can publish: raw topics that a more
        specific binding takes are left out."""
        for eq in self.equipment:
            for t in self.tags.get(id(eq.node), ()):
                if t.known and not t.shadowed:
                    yield eq, t


@dataclass(slots=True)
class _Resolver:
    ns: Namespace
    _class_tag_cache: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    _tags_cache: dict[tuple[int, str, bool], list[TagTarget]] = field(default_factory=dict)
    _sites: dict[str, Node] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._sites = {path[0]: n for path, n in self.ns.nodes.items() if len(path) == 1}

    def equipment(self, b: Binding) -> tuple[list[EquipmentTarget], bool]:
        tpl = b.equipment
        maps = b.spec.map
        mapped = all(f in maps for f in tpl.fields)
        multi = frozenset(
            lvl.capture for lvl in b.pattern.levels if lvl.kind == MULTI and lvl.capture
        )
        if any(f in multi and f not in maps for f in tpl.fields):
            return self._scan(b, multi), mapped
        out: list[EquipmentTarget] = []
        segments = tpl.source.split("/")
        if not segments or not segments[0]:
            return out, mapped
        frontier: list[tuple[Node | None, dict[str, str]]] = [(None, {})]
        allowed = {f: set(table.values()) for f, table in maps.items()}
        for seg in segments:
            nxt: list[tuple[Node | None, dict[str, str]]] = []
            rx = template_regex(seg) if "{" in seg else None
            for parent, values in frontier:
                children = self._sites if parent is None else parent.children
                if rx is None:
                    child = children.get(seg)
                    if child is not None:
                        nxt.append((child, values))
                    continue
                for name, child in children.items():
                    m = rx.fullmatch(name)
                    if m is None:
                        continue
                    got = m.groupdict()
                    if any(
                        (f in allowed and v not in allowed[f]) or (f in values and values[f] != v)
                        for f, v in got.items()
                    ):
                        continue
                    nxt.append((child, {**values, **got}))
            frontier = nxt
        reverse: dict[str, dict[str, list[str]]] = {}
        for f, table in maps.items():
            by_name = reverse[f] = {}
            for code, name in sorted(table.items()):
                by_name.setdefault(name, []).append(code)
        for node, values in frontier:
            assert node is not None
            codes = {f: reverse[f][v] if f in reverse else [v] for f, v in sorted(values.items())}
            text = ",".join(f"{f}={'|'.join(c)}" for f, c in codes.items())
            first = tuple((f, c[0]) for f, c in codes.items())
            out.append(EquipmentTarget(node, text, mapped, first))
        return out, mapped

    def _scan(self, b: Binding, multi: frozenset[str]) -> list[EquipmentTarget]:
        """Fallback for multi-level captures in the equipment template: test every node."""
        rx = template_regex(b.equipment.source, multi)
        out = []
        for node in self.ns.nodes.values():
            m = rx.fullmatch(node.path_text)
            if m is not None:
                codes = ",".join(f"{f}={v}" for f, v in sorted(m.groupdict().items()))
                out.append(EquipmentTarget(node, codes, False))
        return out

    def tags(self, b: Binding, node: Node, eq_definite: bool) -> list[TagTarget]:
        """The tags `b` fills on `node`: the same for every node of one class, so the list is
        built once per (binding, class) and shared (never mutate it)."""
        cls = node.asset_class
        if cls is None:
            return []
        passthrough = b.tag_map is None and not all(f in b.spec.map for f in b.tag.fields)
        # Pass-through tags depend only on the class and the template: share across bindings.
        key = (
            (-1, f"{cls.name}\x00{b.tag.source}", False)
            if passthrough
            else (b.order, cls.name, eq_definite)
        )
        found = self._tags_cache.get(key)
        if found is None:
            found = self._tags_cache[key] = self._class_tags(b, cls.tags, cls.name, eq_definite)
        return found

    def _class_tags(
        self, b: Binding, known: Mapping[str, object], cls_name: str, eq_definite: bool
    ) -> list[TagTarget]:
        if b.tag_map is not None:
            # With `tag: "{x}"` the tags table key is the raw value of capture x.
            whole = b.tag.whole_capture
            return [
                TagTarget(
                    tm.tag, raw, eq_definite, tm.tag in known, ((whole, raw),) if whole else ()
                )
                for raw, tm in b.tag_map.items()
            ]
        tpl = b.tag
        if not tpl.fields:
            return [TagTarget(tpl.source, tpl.source, eq_definite, tpl.source in known)]
        maps = b.spec.map
        if all(f in maps for f in tpl.fields):
            return self._mapped_tags(tpl, maps, known, eq_definite)
        key = (cls_name, tpl.source)
        names = self._class_tag_cache.get(key)
        if names is None:
            rx = template_regex(tpl.source)
            names = [t for t in known if rx.fullmatch(t)]
            self._class_tag_cache[key] = names
        whole = tpl.whole_capture
        return [TagTarget(t, "*", False, True, ((whole, t),) if whole else ()) for t in names]

    @staticmethod
    def _mapped_tags(
        tpl: Template,
        maps: Mapping[str, Mapping[str, str]],
        known: Mapping[str, object],
        eq_definite: bool,
    ) -> list[TagTarget]:
        choices = [sorted(maps[f].items()) for f in tpl.fields]
        total = 1
        for c in choices:
            total *= max(len(c), 1)
        if total > MAX_ENUMERATION:
            return []
        out = []
        for combo in itertools.product(*choices):
            values = {f: name for f, (_code, name) in zip(tpl.fields, combo, strict=True)}
            caps = tuple((f, code) for f, (code, _n) in zip(tpl.fields, combo, strict=True))
            raw = ",".join(f"{f}={code}" for f, code in caps)
            tag = tpl.render(values)
            out.append(TagTarget(tag, raw, eq_definite, tag in known, caps))
        return out


def resolve_bindings(ns: Namespace) -> list[BindingTargets]:
    """The reach of every binding of the namespace, in declaration order."""
    r = _Resolver(ns)
    trie: TopicIndex[Binding] = TopicIndex()
    for b in ns.bindings:
        trie.add(b.pattern, b)
    out = []
    for b in ns.bindings:
        eqs, mapped = r.equipment(b)
        bt = BindingTargets(b, eqs, equipment_mapped=mapped)
        literal_tag = b.tag_map is not None or not b.tag.fields
        bt.loader_checked_tags = mapped and literal_tag and _enumerable(b)
        rank = (b.pattern.specificity, -b.order)
        winners = [
            c for c in trie.overlapping(b.pattern) if (c.pattern.specificity, -c.order) > rank
        ]
        for eq in eqs:
            tags = r.tags(b, eq.node, eq.definite)
            if winners:
                tags = [_shadow(b, eq, t, winners) for t in tags]
            bt.tags[id(eq.node)] = tags
        out.append(bt)
    return out


_UNKNOWN = "\x01"  # a raw value no literal or partial level of another pattern accepts


class _Unknown(dict[str, str]):
    """Capture values where a missing capture reads as `_UNKNOWN`."""

    def __missing__(self, key: str) -> str:
        return _UNKNOWN


def raw_topic(pattern: TopicPattern, captures: Mapping[str, str]) -> list[str]:
    """The raw topic levels selecting these capture values; unknown captures get a value no
    literal matches, so only wildcard levels of other patterns accept it."""
    levels = []
    for lvl in pattern.levels:
        if lvl.kind == LITERAL:
            levels.append(lvl.text)
        elif lvl.kind in (SINGLE, MULTI):
            levels.append(captures.get(lvl.capture or "", _UNKNOWN))
        else:
            levels.append(fill(lvl.text, _Unknown(captures)))
    return levels


def _shadow(b: Binding, eq: EquipmentTarget, t: TagTarget, winners: list[Binding]) -> TagTarget:
    levels = raw_topic(b.pattern, dict((*eq.captures, *t.captures)))
    if any(w.pattern.match(levels) is not None for w in winners):
        return replace(t, shadowed=True)
    return t


def _enumerable(b: Binding) -> bool:
    total = 1
    for f in b.equipment.fields:
        total *= max(len(set(b.spec.map[f].values())), 1)
    return total <= MAX_ENUMERATION
