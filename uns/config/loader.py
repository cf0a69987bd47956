"""Load a models directory into a resolved `Namespace`, collecting every problem with its position.

A models directory holds YAML files whose top-level keys are sections:

    enterprise:  exactly once in the directory
    classes:     name -> equipment class
    calendars:   name -> shift calendar
    sites:       name -> site tree
    bindings:    list of source bindings
    context:     list of MES context sources

Any file may hold any sections (one concern per file is the convention). `load_model` raises
`ModelError` with all problems; `load_model_lenient` returns what could be built plus the
problems, for the linter.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from uns.config.yamlfile import (
    YamlDoc,
    key_position,
    node_position,
    plain,
    read_yaml,
    suggest,
    validation_problems,
)
from uns.errors import TopicError, UnitError
from uns.model.calendars import CALENDAR_MODELS, Calendar, parse_calendar
from uns.model.namespace import (
    MAX_ENUMERATION,
    AssetClass,
    Binding,
    ContextSource,
    Namespace,
    Node,
    Site,
    Tag,
)
from uns.model.problem import ModelError, Position, Problem
from uns.model.specs import (
    LEVEL_VOCABULARY,
    BindingSpec,
    ClassSpec,
    ContextSourceSpec,
    EnterpriseSpec,
    NodeSpec,
    SiteSpec,
    TagMapSpec,
)
from uns.model.template import NamePattern, Template
from uns.model.topics import TopicPattern, check_level
from uns.normalize.timestamps import compile_timestamp_parser
from uns.normalize.units import check_unit, compile_conversion

SECTIONS = ("enterprise", "classes", "calendars", "sites", "bindings", "context")


@dataclass
class _Entry:
    """One section entry as written: the document, its key position and raw data."""

    doc: YamlDoc
    name: str | int
    pos: Position
    data: Any


@dataclass
class _Loader:
    problems: list[Problem] = field(default_factory=list)

    def add(self, pos: Position, message: str, rule: str) -> None:
        self.problems.append(Problem(pos, message, rule))

    def validate(
        self, model: type[BaseModel], entry: _Entry, prefix: str = "", only: Any = None
    ) -> BaseModel | None:
        """Validate the entry (or `only`, a part of it); positions come from the entry."""
        data = entry.data
        value = only if only is not None else plain(data) if data is not None else {}
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            self.problems += validation_problems(
                exc, model, entry.doc, data, entry.pos, prefix=prefix
            )
            return None


def _display_files(root: FsPath) -> list[tuple[FsPath, str]]:
    if root.is_file():
        return [(root, str(root))]
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [(p, str(root / p.relative_to(root))) for p in files]


def _read_docs(root: FsPath, ld: _Loader) -> list[YamlDoc]:
    docs = []
    for fs_path, shown in _display_files(root):
        try:
            text = fs_path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            ld.add(Position(shown), f"not UTF-8 text ({exc.reason})", "yaml-syntax")
            continue
        except OSError as exc:
            ld.add(Position(shown), f"cannot read: {exc.strerror}", "yaml-syntax")
            continue
        doc, problems = read_yaml(text, shown)
        ld.problems += problems
        if doc is None or doc.data is None:
            continue
        if not isinstance(doc.data, CommentedMap):
            ld.add(
                node_position(doc, doc.data), "a model file must be a mapping of sections", "schema"
            )
            continue
        docs.append(doc)
    return docs


def _sections(docs: list[YamlDoc], ld: _Loader) -> dict[str, list[_Entry]]:
    """Every entry of every section, in file order; named sections checked for duplicates."""
    out: dict[str, list[_Entry]] = {s: [] for s in SECTIONS}
    seen: dict[tuple[str, str | int], Position] = {}
    for doc in docs:
        for key in doc.data:
            kpos = key_position(doc, doc.data, key)
            value = doc.data[key]
            if key not in SECTIONS:
                ld.add(kpos, f"unknown section {key!r}{suggest(str(key), SECTIONS)}", "schema")
            elif key == "enterprise":
                out[key].append(_Entry(doc, key, kpos, value))
            elif key in ("bindings", "context"):
                if not isinstance(value, CommentedSeq):
                    ld.add(kpos, f"'{key}' must be a list (items start with '- ')", "schema")
                    continue
                for i, item in enumerate(value):
                    out[key].append(_Entry(doc, i, key_position(doc, value, i), item))
            else:
                if value is None:
                    continue
                if not isinstance(value, CommentedMap):
                    ld.add(kpos, f"'{key}' must be a mapping of name: definition", "schema")
                    continue
                for name in value:
                    npos = key_position(doc, value, name)
                    if (key, name) in seen:
                        first = seen[key, name]
                        ld.add(
                            npos,
                            f"{key} entry {name!r} is also defined at {first}",
                            "duplicate-key",
                        )
                        continue
                    seen[key, name] = npos
                    out[key].append(_Entry(doc, name, npos, value[name]))
    return out


def _enterprise(
    entries: list[_Entry], root: FsPath, ld: _Loader
) -> tuple[EnterpriseSpec, Position]:
    if not entries:
        ld.add(Position(str(root)), "no file defines the 'enterprise' section", "schema")
        return EnterpriseSpec(name="enterprise"), Position(str(root))
    for extra in entries[1:]:
        ld.add(extra.pos, f"'enterprise' is also defined at {entries[0].pos}", "duplicate-key")
    first = entries[0]
    spec = ld.validate(EnterpriseSpec, first, prefix="enterprise.")
    if not isinstance(spec, EnterpriseSpec):
        return EnterpriseSpec(name="enterprise"), first.pos
    topics_data = first.data.get("topics") if isinstance(first.data, CommentedMap) else None
    allowed = {"enterprise", "tag", *spec.levels}
    layout = spec.topics.layout
    if layout is not None:
        fields = Template.parse(layout).fields
        pos = key_position(first.doc, topics_data, "layout", value=True)
        for unknown in sorted(set(fields) - allowed):
            ld.add(pos, f"layout placeholder {{{unknown}}} is not a level in use", "topic-pattern")
        if "tag" not in fields:
            ld.add(pos, "layout must contain {tag}", "topic-pattern")
        for segment in layout.split("/"):
            if len(Template.parse(segment).fields) > 1:
                ld.add(pos, f"layout segment {segment!r} may hold one placeholder", "topic-pattern")
    dl_fields = set(Template.parse(spec.topics.deadletter).fields)
    if not dl_fields <= {"enterprise", "reason"} or "reason" not in dl_fields:
        pos = key_position(first.doc, topics_data, "deadletter", value=True)
        ld.add(pos, "deadletter may use {enterprise} and must use {reason}", "topic-pattern")
    return spec, first.pos


def _classes(entries: list[_Entry], ld: _Loader) -> dict[str, AssetClass]:
    classes: dict[str, AssetClass] = {}
    raw_extends: dict[str, tuple[Position, Any]] = {}
    for e in entries:
        name = str(e.name)
        spec = ld.validate(ClassSpec, e, prefix=f"classes.{name}.")
        if not isinstance(spec, ClassSpec):
            # Keep the name known (without tags) so references to it do not cascade.
            classes[name] = AssetClass(name, "", (), {}, e.pos, complete=False)
            raw_extends[name] = (e.pos, e.data)
            continue
        tags_data = e.data.get("tags") if isinstance(e.data, CommentedMap) else None
        own = {}
        for tag_name, t in spec.tags.items():
            tpos = key_position(e.doc, tags_data, tag_name)
            if t.unit is not None:
                try:
                    check_unit(t.unit)
                except UnitError as exc:
                    upos = key_position(
                        e.doc, tags_data.get(tag_name) if tags_data else None, "unit", value=True
                    )
                    ld.add(upos, str(exc), "unit")
            own[tag_name] = Tag(
                tag_name, t.datatype, t.unit, t.description, t.range, t.retain, tpos, name
            )
        classes[name] = AssetClass(name, spec.description, spec.extends, own, e.pos)
        raw_extends[name] = (key_position(e.doc, e.data, "extends", value=True), e.data)
    for cls in classes.values():
        for base in cls.extends:
            if base not in classes:
                pos = raw_extends[cls.name][0]
                ld.add(
                    pos,
                    f"class {cls.name!r} extends unknown class {base!r}"
                    f"{suggest(base, list(classes))}",
                    "unknown-reference",
                )
    for cls in classes.values():
        cls.tags = _inherited_tags(cls, classes, ld, raw_extends)
    return classes


def _inherited_tags(
    cls: AssetClass,
    classes: dict[str, AssetClass],
    ld: _Loader,
    raw_extends: dict[str, tuple[Position, Any]],
) -> dict[str, Tag]:
    """Bases first in the order listed, then own tags (which override)."""
    tags: dict[str, Tag] = {}

    def visit(c: AssetClass, chain: tuple[str, ...]) -> None:
        for base in c.extends:
            if base in chain:
                # Reported by every class on the cycle, each at its own `extends`.
                if base == cls.name:
                    cycle = " -> ".join((*chain, base))
                    pos = raw_extends[cls.name][0]
                    ld.add(pos, f"class inheritance cycle: {cycle}", "class-cycle")
                continue
            if base in classes:
                visit(classes[base], (*chain, base))
        tags.update(c.own_tags)

    visit(cls, (cls.name,))
    return tags


def _calendars(
    entries: list[_Entry], ld: _Loader
) -> tuple[dict[str, Calendar], dict[str, Position]]:
    calendars: dict[str, Calendar] = {}
    positions: dict[str, Position] = {}
    for e in entries:
        name = str(e.name)
        data = plain(e.data) if e.data else {}
        try:
            calendars[name] = parse_calendar(data)
            positions[name] = e.pos
        except ValidationError as exc:
            kind = data.get("kind") if isinstance(data, dict) else None
            model = CALENDAR_MODELS.get(kind, BaseModel) if isinstance(kind, str) else BaseModel
            ld.problems += validation_problems(
                exc, model, e.doc, e.data, e.pos, prefix=f"calendars.{name}."
            )
    return calendars, positions


@dataclass
class _TreeBuilder:
    ld: _Loader
    levels: tuple[str, ...]
    classes: dict[str, AssetClass]
    nodes: dict[tuple[str, ...], Node] = field(default_factory=dict)
    class_refs: list[tuple[Node, str, Position]] = field(default_factory=list)

    def site(self, e: _Entry) -> Site | None:
        name = str(e.name)
        if not self._name_ok(name, "site", e.pos, e.name):
            return None
        attrs, children = self._split(e.doc, e.data, "site", e.pos)
        spec = self.ld.validate(SiteSpec, e, f"sites.{name}.", only=attrs)
        node = Node(name=name, level="site", path=(name,), pos=e.pos)
        self.nodes[node.path] = node
        if isinstance(spec, SiteSpec):
            self._apply(node, spec, e)
        self._children(e.doc, node, children)
        return Site(node, spec.timezone, spec.calendar) if isinstance(spec, SiteSpec) else None

    def _name_ok(self, name: str, level: str, pos: Position, raw: object = "") -> bool:
        if not isinstance(raw, str | int):
            self.ld.add(pos, f"{level} name must be plain text, not {raw!r}", "schema")
            return False
        try:
            check_level(name, f"{level} name")
        except TopicError as exc:
            self.ld.add(pos, str(exc), "topic-pattern")
            return False
        return True

    def _split(
        self, doc: YamlDoc, data: Any, level: str, pos: Position
    ) -> tuple[dict[str, Any], list[tuple[str, Position, Any]]]:
        """Separate a node's attributes from its child-level groups (`area:`, `line:` ...)."""
        if data is None:
            return {}, []
        if isinstance(data, str) and level != "site":
            return {"class": data}, []  # `filler-1: filler` shorthand
        if not isinstance(data, CommentedMap):
            self.ld.add(pos, f"{level} must be a mapping (or a class name)", "schema")
            return {}, []
        attrs: dict[str, Any] = {}
        model = SiteSpec if level == "site" else NodeSpec
        allowed = [f.alias or n for n, f in model.model_fields.items()]
        children = []
        for key in data:
            if key in self.levels:
                children.append((key, key_position(doc, data, key), data[key]))
            elif key in LEVEL_VOCABULARY:
                self.ld.add(
                    key_position(doc, data, key),
                    f"level {key!r} is not in enterprise.levels ({', '.join(self.levels)})",
                    "schema",
                )
            elif key not in allowed:
                self.ld.add(
                    key_position(doc, data, key),
                    f"unknown key {key!r}{suggest(str(key), [*allowed, *self.levels])}",
                    "schema",
                )
            else:
                attrs[key] = plain(data[key])
        return attrs, children

    def _apply(self, node: Node, spec: NodeSpec, e: _Entry) -> None:
        node.description = spec.description
        node.context = {str(k): v for k, v in spec.context.items()}
        if spec.class_ is not None:
            cpos = (
                key_position(e.doc, e.data, "class", value=True)
                if isinstance(e.data, CommentedMap)
                else e.pos
            )
            self.class_refs.append((node, spec.class_, cpos))

    def _children(
        self, doc: YamlDoc, parent: Node, groups: list[tuple[str, Position, Any]]
    ) -> None:
        for level, lpos, group in groups:
            if level == "site":
                self.ld.add(lpos, "a site cannot contain sites", "schema")
                continue
            if group is None:
                continue
            if not isinstance(group, CommentedMap):
                self.ld.add(lpos, f"'{level}' must be a mapping of name: {level}", "schema")
                continue
            for raw_name in group:
                name = str(raw_name)
                pos = key_position(doc, group, raw_name)
                if not self._name_ok(name, level, pos, raw_name):
                    continue
                if name in parent.children:
                    first = parent.children[name]
                    self.ld.add(
                        pos,
                        f"{parent.path_text} already has a child {name!r} ({first.level}, "
                        f"line {first.pos.line})",
                        "duplicate-path",
                    )
                    continue
                data = group[raw_name]
                node = Node(
                    name=name, level=level, path=(*parent.path, name), pos=pos, parent=parent
                )
                node.key_positions["level"] = lpos
                attrs, children = self._split(doc, data, level, pos)
                entry = _Entry(doc, name, pos, data)
                spec = self.ld.validate(NodeSpec, entry, f"{node.path_text}.", only=attrs)
                if isinstance(spec, NodeSpec):
                    self._apply(node, spec, entry)
                parent.children[name] = node
                self.nodes[node.path] = node
                self._children(doc, node, children)

    def resolve_classes(self) -> None:
        for node, name, pos in self.class_refs:
            cls = self.classes.get(name)
            if cls is None:
                self.ld.add(
                    pos,
                    f"unknown class {name!r}{suggest(name, list(self.classes))}",
                    "unknown-reference",
                )
            else:
                node.asset_class = cls


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
class _BindingChecker:
    ld: _Loader
    ns: Namespace

    def binding(self, e: _Entry, order: int) -> Binding | None:
        spec = self.ld.validate(BindingSpec, e, prefix=f"bindings[{order}].")
        if not isinstance(spec, BindingSpec):
            return None
        data: CommentedMap = e.data
        kpos = {k: key_position(e.doc, data, k, value=True) for k in data}
        pattern = TopicPattern.parse(spec.topic)
        id_text = (
            spec.id
            if spec.id is not None
            else ("{tag}" if spec.format in ("kepware", "records", "sparkplug") else None)
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
        name = spec.name or f"{FsPath(e.doc.path).stem}[{e.name}]"  # index in its file
        b = Binding(name, spec, pattern, id_pattern, equipment, tag, spec.tags, order, e.pos, kpos)
        if ok:
            self._check_targets(b, e)
        if spec.timestamp_format is not None:
            try:
                compile_timestamp_parser(spec.timestamp_format, ZoneInfo("UTC"))
            except (ValueError, TypeError) as exc:
                self.ld.add(kpos["timestamp_format"], f"timestamp_format: {exc}", "schema")
        return b

    def _check_targets(self, b: Binding, e: _Entry) -> None:
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
                    f"{path!r} is a {node.level} without a class (no tags)",
                    "unknown-reference",
                )
            else:
                targets.append(node)
        tags_data = e.data.get("tags")
        if b.tag_map is not None:
            for raw, tm in b.tag_map.items():
                pos = key_position(e.doc, tags_data, raw, value=True)
                self._check_tag(b, targets, tm, pos)
        elif not b.tag.fields:
            self._check_tag(
                b, targets, TagMapSpec(tag=b.tag.source), b.key_positions.get("tag", b.pos)
            )

    def _check_tag(
        self, b: Binding, targets: Iterable[Node], tm: TagMapSpec, pos: Position
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
                self.ld.add(pos, str(exc), "unit")

    def _numeric_codes(self, doc: YamlDoc, map_data: Any) -> None:
        """Codes YAML reads as numbers but written otherwise (`01`, `1_0`) would never match."""
        if not isinstance(map_data, CommentedMap):
            return
        for table in map_data.values():
            if not isinstance(table, CommentedMap):
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

    def context_source(self, e: _Entry, order: int) -> ContextSource | None:
        spec = self.ld.validate(ContextSourceSpec, e, prefix=f"context[{order}].")
        if not isinstance(spec, ContextSourceSpec):
            return None
        data: CommentedMap = e.data
        kpos = {k: key_position(e.doc, data, k, value=True) for k in data}
        pattern = TopicPattern.parse(spec.topic)
        scope = Template.parse(spec.scope)
        self._numeric_codes(e.doc, data.get("map"))
        name = spec.name or f"{FsPath(e.doc.path).stem}[{e.name}]"  # index in its file
        src = ContextSource(name, spec, pattern, scope, order, e.pos, kpos)
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


@contextlib.contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Loading allocates hundreds of thousands of long-lived objects and no cycles worth
    collecting; the collector's full passes over them cost a third of a large load."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_model_lenient(root: str | FsPath) -> tuple[Namespace, list[Problem]]:
    """Build as much of the namespace as is valid; return it with every problem, sorted."""
    with _no_gc_pauses():
        return _load(FsPath(root))


def _load(root: FsPath) -> tuple[Namespace, list[Problem]]:
    ld = _Loader()
    if not root.exists():
        raise ModelError([Problem(Position(str(root)), "no such file or directory", "yaml-syntax")])
    docs = _read_docs(root, ld)
    sections = _sections(docs, ld)
    enterprise, epos = _enterprise(sections["enterprise"], root, ld)
    ns = Namespace(enterprise=enterprise, enterprise_pos=epos, files=[d.path for d in docs])
    ns.classes = _classes(sections["classes"], ld)
    ns.calendars, ns.calendar_pos = _calendars(sections["calendars"], ld)
    tree = _TreeBuilder(ld, enterprise.levels, ns.classes)
    for e in sections["sites"]:
        site = tree.site(e)
        if site is not None:
            ns.sites[site.node.name] = site
        # Checked from the raw data so a bad timezone does not hide a bad calendar.
        calendar = e.data.get("calendar") if isinstance(e.data, CommentedMap) else None
        if isinstance(calendar, str) and calendar not in ns.calendars:
            pos = key_position(e.doc, e.data, "calendar", value=True)
            ld.add(
                pos,
                f"unknown calendar {calendar!r}{suggest(calendar, list(ns.calendars))}",
                "unknown-reference",
            )
    tree.resolve_classes()
    ns.nodes = tree.nodes
    checker = _BindingChecker(ld, ns)
    names: dict[str, Position] = {}
    for order, e in enumerate(sections["bindings"]):
        b = checker.binding(e, order)
        if b is not None:
            if b.name in names:
                ld.add(
                    b.pos,
                    f"binding name {b.name!r} is also used at {names[b.name]}",
                    "duplicate-key",
                )
            names.setdefault(b.name, b.pos)
            ns.bindings.append(b)
    for order, e in enumerate(sections["context"]):
        src = checker.context_source(e, order)
        if src is not None:
            ns.context_sources.append(src)
    return ns, sorted(ld.problems)


def load_model(root: str | FsPath) -> Namespace:
    """The namespace, or ModelError listing every problem with file:line:col."""
    ns, problems = load_model_lenient(root)
    if problems:
        raise ModelError(problems)
    return ns
