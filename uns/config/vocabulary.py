"""The definitions sites and bindings refer to: the enterprise header, classes (with their
inherited tags) and shift calendars."""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from uns.config.entries import Entry, ProblemLog
from uns.config.positioned import YamlList, YamlMap
from uns.config.yamlfile import key_position, plain, suggest, validation_problems
from uns.errors import TopicError, UnitError
from uns.model.calendars import CALENDAR_MODELS, Calendar, parse_calendar
from uns.model.namespace import AssetClass, Tag
from uns.model.problem import Position
from uns.model.specs import PAYLOAD_CONTEXT_KEYS, ClassSpec, EnterpriseSpec
from uns.model.tag_paths import check_tag_path
from uns.model.template import Template
from uns.normalize.units import check_unit


def read_enterprise(
    entries: list[Entry], root: FsPath, ld: ProblemLog
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
    topics_data = first.data.get("topics") if isinstance(first.data, YamlMap) else None
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
    _check_context_keys(spec, first, ld)
    dl_fields = set(Template.parse(spec.topics.deadletter).fields)
    if not dl_fields <= {"enterprise", "reason"} or "reason" not in dl_fields:
        pos = key_position(first.doc, topics_data, "deadletter", value=True)
        ld.add(pos, "deadletter may use {enterprise} and must use {reason}", "topic-pattern")
    return spec, first.pos


def _check_context_keys(spec: EnterpriseSpec, e: Entry, ld: ProblemLog) -> None:
    """Declared context keys become payload keys: named like tags, never a built-in twice."""
    data = e.data.get("context_keys") if isinstance(e.data, YamlMap) else None
    tag_rx = re.compile(spec.naming.tag_pattern)
    seen: set[str] = set()
    for i, key in enumerate(spec.context_keys):
        pos = e.pos
        if isinstance(data, YamlList):
            line, col = data.lc.item(i)
            pos = Position(e.doc.path, line + 1, col + 1)
        if key in PAYLOAD_CONTEXT_KEYS or key in seen:
            ld.add(pos, f"context key {key!r} is already a context key", "duplicate-key")
        elif not tag_rx.fullmatch(key):
            ld.add(
                pos,
                f"context key {key!r} does not match naming.tag_pattern {tag_rx.pattern}",
                "schema",
            )
        seen.add(key)


def read_classes(entries: list[Entry], ld: ProblemLog) -> dict[str, AssetClass]:
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
        tags_data = e.data.get("tags") if isinstance(e.data, YamlMap) else None
        own = {}
        for tag_name, t in spec.tags.items():
            tpos = key_position(e.doc, tags_data, tag_name)
            try:
                check_tag_path(tag_name)
            except TopicError as exc:
                ld.add(tpos, f"class {name!r}: {exc}", "topic-pattern")
                continue
            if t.unit is not None:
                try:
                    check_unit(t.unit)
                except UnitError as exc:
                    upos = key_position(
                        e.doc, tags_data.get(tag_name) if tags_data else None, "unit", value=True
                    )
                    ld.add(upos, str(exc), "unit")
            own[tag_name] = Tag(
                tag_name,
                t.datatype,
                t.unit,
                t.description,
                t.range,
                t.retain,
                tpos,
                name,
                tuple((t.columns or {}).items()),
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
        cls.tags = inherited_tags(cls, classes, ld, raw_extends)
    return classes


def inherited_tags(
    cls: AssetClass,
    classes: dict[str, AssetClass],
    ld: ProblemLog,
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


def read_calendars(
    entries: list[Entry], ld: ProblemLog
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
