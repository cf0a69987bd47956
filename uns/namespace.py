"""The resolved asset model: what the loader builds from the YAML files and everyone else reads.

Names are resolved here (a node's class is an `AssetClass`, inherited tags are merged), every
entity keeps the `Position` it was written at, and governed topics are built only from model
names, so nothing derived from a raw message can reach the governed tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from uns.config.assets import (
    BindingSpec,
    ContextSourceSpec,
    EnterpriseSpec,
    TagMapSpec,
)
from uns.lint.problem import Position
from uns.topics import NamePattern, Template, TopicPattern, UnsTopic

if TYPE_CHECKING:
    from uns.config.calendars import Calendar

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
    def layout(self) -> Template:
        text = self.enterprise.topics.layout or "/".join(
            ["{enterprise}", *(f"{{{lvl}}}" for lvl in self.levels), "{tag}"]
        )
        return Template.parse(text)

    def equipment(self) -> Iterator[Node]:
        """Every node that has a class (and so tags)."""
        return (n for n in self.nodes.values() if n.asset_class is not None)

    def node(self, path_text: str) -> Node | None:
        return self.nodes.get(tuple(path_text.split("/")))

    def governed_topic(self, node: Node, tag: str) -> UnsTopic:
        """The governed topic of one tag: layout levels a branch lacks are left out."""
        values: dict[str, str] = {"enterprise": self.enterprise.name, "tag": tag}
        cursor: Node | None = node
        while cursor is not None:
            values[cursor.level] = cursor.name
            cursor = cursor.parent
        prefix = self.enterprise.topics.prefix
        levels = prefix.split("/") if prefix else []
        for segment in self.layout.source.split("/"):
            part = Template.parse(segment)
            if all(f in values for f in part.fields):
                levels.append(part.render(values))
        return UnsTopic(tuple(levels))

    def deadletter_topic(self, reason: str) -> UnsTopic:
        prefix = self.enterprise.topics.prefix
        text = Template.parse(self.enterprise.topics.deadletter).render(
            {"enterprise": self.enterprise.name, "reason": reason}
        )
        return UnsTopic.parse(f"{prefix}/{text}" if prefix else text)
