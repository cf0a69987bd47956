"""The resolved asset model: what the loader builds from the YAML files and everyone else reads.

Names are resolved here (a node's class is an `AssetClass`, inherited tags are merged), every
entity keeps the `Position` it was written at, and governed topics are built only from model
names, so nothing derived from a raw message can reach the governed tree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from uns.model.calendars import Calendar
from uns.model.problem import Position
from uns.model.specs import (
    CONTEXT_KEYS,
    BindingSpec,
    ContextSourceSpec,
    EnterpriseSpec,
    TagMapSpec,
)
from uns.model.tag_paths import tag_group, tag_levels
from uns.model.template import NamePattern, Template
from uns.model.topics import TopicPattern, UnsTopic

GROUP_KEY = "group"  # the payload's `asset` field for a tag's group path (not a level name)
MAX_ENUMERATION = 10_000  # static checks of mapped bindings give up beyond this many paths

Path = tuple[str, ...]  # node names below the enterprise: ("cologne", "bottling", "line-1")


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    datatype: str
    unit: str | None
    description: str
    range: tuple[float, float] | None
    retain: bool
    pos: Position
    owner: str  # the class that declares it (may be a base class)
    columns: tuple[tuple[str, str], ...] = ()  # a dataset's (column, datatype), in order

    @property
    def group(self) -> str | None:
        """The tag's group path below its equipment (`status` for `status/state`)."""
        return tag_group(self.name)


@dataclass(slots=True)
class AssetClass:
    name: str
    description: str
    extends: tuple[str, ...]
    own_tags: dict[str, Tag]
    pos: Position
    tags: dict[str, Tag] = field(default_factory=dict)  # own + inherited, resolved by the loader
    complete: bool = True  # False when its definition had problems (tags may be missing)


@dataclass(slots=True, eq=False)
class Node:
    """One node of the ISA-95 tree below the enterprise (a site, area, line, ... equipment)."""

    name: str
    level: str
    path: Path
    pos: Position
    parent: Node | None = None
    children: dict[str, Node] = field(default_factory=dict)
    description: str = ""
    asset_class: AssetClass | None = None
    context: dict[str, str] = field(default_factory=dict)  # static defaults
    key_positions: dict[str, Position] = field(default_factory=dict)

    @property
    def site(self) -> str:
        return self.path[0]

    @property
    def path_text(self) -> str:
        return "/".join(self.path)

    @property
    def tags(self) -> dict[str, Tag]:
        return self.asset_class.tags if self.asset_class else {}

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children.values():
            yield from child.walk()


@dataclass(slots=True, eq=False)
class Site:
    node: Node
    timezone: str
    calendar: str | None


@dataclass(slots=True, eq=False)
class Binding:
    """A source binding with its patterns compiled; `order` is its declaration order."""

    name: str
    spec: BindingSpec
    pattern: TopicPattern
    id_pattern: NamePattern | None
    equipment: Template
    tag: Template
    tag_map: dict[str, TagMapSpec] | None
    order: int
    pos: Position
    key_positions: dict[str, Position] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class ContextSource:
    name: str
    spec: ContextSourceSpec
    pattern: TopicPattern
    scope: Template
    order: int
    pos: Position
    key_positions: dict[str, Position] = field(default_factory=dict)
    key: Template | None = None  # `format: scalar`: the context key the payload fills


@dataclass(slots=True, eq=False)
class Namespace:
    enterprise: EnterpriseSpec
    enterprise_pos: Position
    classes: dict[str, AssetClass] = field(default_factory=dict)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    calendar_pos: dict[str, Position] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    nodes: dict[Path, Node] = field(default_factory=dict)
    bindings: list[Binding] = field(default_factory=list)
    context_sources: list[ContextSource] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def levels(self) -> tuple[str, ...]:
        return self.enterprise.levels

    @property
    def context_keys(self) -> tuple[str, ...]:
        """batch, product, order, then the keys the model declares."""
        return (*CONTEXT_KEYS, *self.enterprise.context_keys)

    @property
    def layout_source(self) -> str:
        return self.enterprise.topics.layout or "/".join(
            ["{enterprise}", *(f"{{{lvl}}}" for lvl in self.levels), "{tag}"]
        )

    @property
    def layout(self) -> Template:
        return Template.parse(self.layout_source)

    def equipment(self) -> Iterator[Node]:
        """Every node that has a class (and so tags)."""
        return (n for n in self.nodes.values() if n.asset_class is not None)

    def node(self, path_text: str) -> Node | None:
        return self.nodes.get(tuple(path_text.split("/")))

    def asset_levels(self, node: Node, tag: Tag | None = None) -> dict[str, str]:
        """`{"enterprise": ..., <level>: <name>, ...}` from the site down to `node`: the asset
        object of a governed message, and the values its governed topic is rendered from.
        With a grouped `tag`, its group path follows as `group` (the equipment stays the
        equipment)."""
        chain = []
        cursor: Node | None = node
        while cursor is not None:
            chain.append(cursor)
            cursor = cursor.parent
        values = {"enterprise": self.enterprise.name}
        for n in reversed(chain):
            values[n.level] = n.name
        group = tag.group if tag is not None else None
        if group is not None:
            values[GROUP_KEY] = group
        return values

    def governed_levels(self, node: Node, tag: str) -> list[str]:
        """The levels of one tag's governed topic, unvalidated (lint must survive bad names):
        the prefix, then each layout level whose placeholders the branch has values for.
        A grouped tag (`status/state`) takes one level per part."""
        values = self.asset_levels(node)
        values.setdefault("tag", tag)
        prefix = self.enterprise.topics.prefix
        levels = prefix.split("/") if prefix else []
        for part in _layout_parts(self.layout_source):
            whole = part.whole_capture
            if whole is not None:
                value = values.get(whole)  # a whole-level placeholder: no regex needed
                if value is None:
                    continue
                if whole == "tag":
                    levels += tag_levels(value)
                else:
                    levels.append(value)
            elif all(f in values for f in part.fields):
                rendered = part.render(values)
                levels += tag_levels(rendered) if "tag" in part.fields else [rendered]
        return levels

    def deadletter_branch(self) -> TopicPattern:
        """The dead-letter topics as a pattern (`{reason}` captured), prefix included."""
        prefix = self.enterprise.topics.prefix
        text = self.enterprise.topics.deadletter.replace("{enterprise}", self.enterprise.name)
        return TopicPattern.parse(f"{prefix}/{text}" if prefix else text)

    def governed_topic(self, node: Node, tag: str) -> UnsTopic:
        """The governed topic of one tag: layout levels a branch lacks are left out."""
        return UnsTopic(tuple(self.governed_levels(node, tag)))

    def deadletter_topic(self, reason: str) -> UnsTopic:
        prefix = self.enterprise.topics.prefix
        text = Template.parse(self.enterprise.topics.deadletter).render(
            {"enterprise": self.enterprise.name, "reason": reason}
        )
        return UnsTopic.parse(f"{prefix}/{text}" if prefix else text)


@functools.lru_cache(maxsize=64)
def _layout_parts(source: str) -> tuple[Template, ...]:
    """The layout parsed level by level (the same few layouts serve every tag)."""
    return tuple(Template.parse(segment) for segment in source.split("/"))
