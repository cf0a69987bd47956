"""Checking source bindings and context sources against the tree: captures, map tables and
(where the tables enumerate them) the equipment, tags and unit conversions they reach."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any
from zoneinfo import ZoneInfo

from uns.config.entries import Entry, ProblemLog
from uns.config.positioned import YamlMap
from uns.config.yamlfile import YamlDoc, key_position, suggest
from uns.errors import UnitError
from uns.formats import format_names, get_format
from uns.model.namespace import MAX_ENUMERATION, Binding, ContextSource, Namespace, Node
from uns.model.problem import Position
from uns.model.specs import BindingSpec, ContextSourceSpec, TagMapSpec
from uns.model.template import NamePattern, Template
from uns.model.topics import TopicPattern
from uns.normalize.timestamps import compile_timestamp_parser
from uns.normalize.units import compile_conversion


def _enumerate(
    template: Template, tables: dict[str, dict[str, str]]
) -> list[dict[str, str]] | None:
    """Every capture combination a template can render from its lookup tables, if all are mapped."""
    if any(f not in tables for f in template.fields):
        return None
    choices = [sorted(set(tables[f].values())) for f in template.fields]
    total = 1
    for c in choices:
        total *= max(len(c), 1)
    if total > MAX_ENUMERATION:
        return None
    return [dict(zip(template.fields, combo, strict=True)) for combo in itertools.product(*choices)]


@dataclass
class BindingChecker:
    """Turns binding and context entries into model objects, reporting what cannot work."""

    ld: ProblemLog
    ns: Namespace

    def binding(self, e: Entry, order: int) -> Binding | None:
        spec = self.ld.validate(BindingSpec, e, prefix=f"bindings[{order}].")
        if not isinstance(spec, BindingSpec):
            return None
        data: YamlMap = e.data
        kpos = value_positions(e.doc, data)
        if not self._format_fits(spec, e, kpos):
            return None
        pattern = TopicPattern.parse(spec.topic)
        id_text = (
            spec.id if spec.id is not None else ("{tag}" if get_format(spec.format).batch else None)
        )
        id_pattern = NamePattern.parse(id_text) if id_text is not None else None
        captures = set(pattern.captures) | set(id_pattern.captures if id_pattern else ())
        equipment, tag = Template.parse(spec.equipment), Template.parse(spec.tag)
        ok = True
        for key, tpl in (("equipment", equipment), ("tag", tag)):
            for f in tpl.fields:
                if f not in captures:
                    what = key if key in kpos else f"{key} (default {tpl.source!r})"
                    self.ld.add(
                        kpos.get(key, e.pos),
                        f"{what} uses {{{f}}} but the topic/id captures only "
                        f"{', '.join(sorted(captures)) or 'nothing'}",
                        "unknown-reference",
                    )
                    ok = False
        map_data = data.get("map")
        self._numeric_codes(e.doc, map_data)
        for cap in spec.map:
            if cap not in captures:
                self.ld.add(
                    key_position(e.doc, map_data, cap),
                    f"map for unknown capture {{{cap}}}",
                    "unknown-reference",
                )
        name = spec.name or f"{_stem(e.doc.path)}[{e.name}]"  # index in its file
        b = Binding(name, spec, pattern, id_pattern, equipment, tag, spec.tags, order, e.pos, kpos)
        if ok:
            self._check_targets(b, e)
        if spec.timestamp_format is not None:
            try:
                compile_timestamp_parser(spec.timestamp_format, ZoneInfo("UTC"))
            except (ValueError, TypeError) as exc:
                self.ld.add(kpos["timestamp_format"], f"timestamp_format: {exc}", "schema")
        return b

    def _check_targets(self, b: Binding, e: Entry) -> None:
        """Equipment paths, canonical tags and unit conversions that can be known statically."""
        combos = _enumerate(b.equipment, b.spec.map)
        if combos is None:
            return
        eq_pos = b.key_positions.get("equipment", b.pos)
        targets: list[Node] = []
        for combo in combos:
            path = b.equipment.render(combo)
            node = self.ns.node(path)
            if node is None:
                self.ld.add(
                    eq_pos,
                    f"equipment {path!r} is not in any site"
                    f"{suggest(path, ['/'.join(p) for p in self.ns.nodes])}",
                    "unknown-reference",
                )
            elif node.asset_class is None:
                self.ld.add(
                    eq_pos,
                    f"{path!r} is {_article(node.level)} {node.level} without a class (no tags)",
                    "unknown-reference",
                )
            else:
                targets.append(node)
        tags_data = e.data.get("tags")
        if b.tag_map is not None:
            for raw, tm in b.tag_map.items():
                pos = key_position(e.doc, tags_data, raw, value=True)
                entry = tags_data.get(raw) if isinstance(tags_data, YamlMap) else None
                if tm.unit is not None and isinstance(entry, YamlMap):
                    upos = key_position(e.doc, entry, "unit", value=True)  # not the `{`
                else:
                    upos = b.key_positions.get("unit", pos)
                self._check_tag(b, targets, tm, pos, upos)
        elif not b.tag.fields:
            tpos = b.key_positions.get("tag", b.pos)
            upos = b.key_positions.get("unit", tpos)
            self._check_tag(b, targets, TagMapSpec(tag=b.tag.source), tpos, upos)

    def _check_tag(
        self,
        b: Binding,
        targets: Iterable[Node],
        tm: TagMapSpec,
        pos: Position,
        unit_pos: Position,
    ) -> None:
        unit = tm.unit if tm.unit is not None else b.spec.unit
        scale = tm.scale if tm.scale is not None else b.spec.scale
        offset = tm.offset if tm.offset is not None else b.spec.offset
        reported: set[str] = set()
        for node in targets:
            assert node.asset_class is not None
            tag = node.tags.get(tm.tag)
            if tag is None:
                if not node.asset_class.complete:
                    continue  # its own schema problem is reported; do not cascade
                if node.asset_class.name not in reported:
                    reported.add(node.asset_class.name)
                    self.ld.add(
                        pos,
                        f"tag {tm.tag!r} is not a tag of class {node.asset_class.name!r}"
                        f"{suggest(tm.tag, list(node.tags))}",
                        "unknown-reference",
                    )
                continue
            key = f"unit:{tag.unit}"
            if key in reported:
                continue
            try:
                if unit is not None and tag.unit is None:
                    raise UnitError(
                        f"source unit {unit!r} given, but {tag.owner}.{tag.name} has no unit"
                    )
                compile_conversion(unit, tag.unit, scale, offset)
            except UnitError as exc:
                reported.add(key)
                self.ld.add(unit_pos, str(exc), "unit")

    def _format_fits(self, spec: BindingSpec, e: Entry, kpos: dict[Any, Position]) -> bool:
        """The format is registered and the binding meets its rules (`uns.formats`)."""
        if spec.format not in format_names():
            names = ", ".join(repr(n) for n in format_names())
            where = kpos.get("format", e.pos)
            self.ld.add(where, f"unknown payload format {spec.format!r}; known: {names}", "schema")
            return False
        problem = get_format(spec.format).check(spec)
        if problem is not None:
            self.ld.add(e.pos, problem, "schema")
            return False
        return True

    def _numeric_codes(self, doc: YamlDoc, map_data: Any) -> None:
        """Codes YAML reads as numbers but written otherwise (`01`, `1_0`) would never match."""
        if not isinstance(map_data, YamlMap):
            return
        for table in map_data.values():
            if not isinstance(table, YamlMap):
                continue
            for code in table:
                if isinstance(code, bool) or not isinstance(code, int | float):
                    continue
                pos = key_position(doc, table, code)
                line = doc.lines[pos.line - 1] if pos.line <= len(doc.lines) else ""
                written = line[pos.column - 1 :].split(":", 1)[0].strip()
                if written and written != str(code):
                    self.ld.add(
                        pos,
                        f"code {written} is read as the number {code}; quote it "
                        f"('{written}') to match it as written",
                        "schema",
                    )

    def context_source(self, e: Entry, order: int) -> ContextSource | None:
        spec = self.ld.validate(ContextSourceSpec, e, prefix=f"context[{order}].")
        if not isinstance(spec, ContextSourceSpec):
            return None
        data: YamlMap = e.data
        kpos = value_positions(e.doc, data)
        pattern = TopicPattern.parse(spec.topic)
        scope = Template.parse(spec.scope)
        self._numeric_codes(e.doc, data.get("map"))
        name = spec.name or f"{_stem(e.doc.path)}[{e.name}]"  # index in its file
        fields_data = data.get("fields")
        for field_key in spec.fields:
            if field_key not in self.ns.context_keys:
                self.ld.add(
                    key_position(e.doc, fields_data, field_key),
                    f"unknown context key {field_key!r}"
                    f"{suggest(field_key, list(self.ns.context_keys))}; "
                    f"declare it in enterprise.context_keys",
                    "unknown-reference",
                )
        key = Template.parse(spec.key) if spec.key is not None else None
        src = ContextSource(name, spec, pattern, scope, order, e.pos, kpos, key)
        if key is not None:
            self._check_scalar_key(key, spec, kpos.get("key", e.pos), pattern)
        missing = [f for f in scope.fields if f not in pattern.captures]
        for f in missing:
            self.ld.add(
                kpos["scope"],
                f"scope uses {{{f}}} but the topic captures only "
                f"{', '.join(pattern.captures) or 'nothing'}",
                "unknown-reference",
            )
        if not missing:
            for combo in _enumerate(scope, spec.map) or []:
                path = scope.render(combo)
                if self.ns.node(path) is None:
                    self.ld.add(
                        kpos["scope"],
                        f"scope {path!r} is not a node of any site",
                        "unknown-reference",
                    )
        return src

    def _check_scalar_key(
        self, key: Template, spec: ContextSourceSpec, pos: Position, pattern: TopicPattern
    ) -> None:
        """A scalar source's key names a context key, or captures one through a map table."""
        unmapped = [f for f in key.fields if f not in spec.map]
        for f in unmapped:
            known = f"the topic captures only {', '.join(pattern.captures) or 'nothing'}"
            hint = "map it to context keys" if f in pattern.captures else known
            self.ld.add(pos, f"key uses {{{f}}} without a map table: {hint}", "unknown-reference")
        if unmapped:
            return
        for combo in _enumerate(key, spec.map) or []:
            name = key.render(combo)
            keys = self.ns.context_keys
            if name not in keys:
                self.ld.add(
                    pos,
                    f"key {name!r} is not a context key{suggest(name, list(keys))}; "
                    f"known: {', '.join(keys)}",
                    "unknown-reference",
                )


@functools.lru_cache(maxsize=4096)  # one per file, asked once per binding
def _stem(path: str) -> str:
    return FsPath(path).stem


def value_positions(doc: YamlDoc, data: YamlMap) -> dict[Any, Position]:
    """`key_position(doc, data, k, value=True)` for every key at once, read straight from
    the map's line/column table (a large model has 100k bindings); null values and merged keys
    take the general path."""
    table = data.lc.data
    out: dict[Any, Position] = {}
    for k, v in data.items():
        where = table.get(k)
        if where is None or v is None:
            out[k] = key_position(doc, data, k, value=True)
        else:
            out[k] = Position(doc.path, where[2] + 1, where[3] + 1)
    return out


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
