"""Building the ISA-95 node tree of each site: names checked, attributes split from child
levels, class references resolved once every class is known."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from uns.config.entries import Entry, ProblemLog
from uns.config.positioned import YamlMap
from uns.config.yamlfile import YamlDoc, key_position, plain, suggest
from uns.errors import TopicError
from uns.model.namespace import AssetClass, Node, Site
from uns.model.problem import Position
from uns.model.specs import LEVEL_VOCABULARY, NodeSpec, SiteSpec
from uns.model.topics import check_level


@dataclass
class TreeBuilder:
    """Builds the nodes of every site and remembers class references to resolve later."""

    ld: ProblemLog
    levels: tuple[str, ...]
    classes: dict[str, AssetClass]
    context_keys: tuple[str, ...]
    nodes: dict[tuple[str, ...], Node] = field(default_factory=dict)
    class_refs: list[tuple[Node, str, Position]] = field(default_factory=list)

    def site(self, e: Entry) -> Site | None:
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
        if not isinstance(data, YamlMap):
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

    def _apply(self, node: Node, spec: NodeSpec, e: Entry) -> None:
        node.description = spec.description
        node.context = {str(k): v for k, v in spec.context.items()}
        data = e.data.get("context") if isinstance(e.data, YamlMap) else None
        for key in node.context:
            if key not in self.context_keys:
                self.ld.add(
                    key_position(e.doc, data, key) if data is not None else e.pos,
                    f"unknown context key {key!r}{suggest(key, list(self.context_keys))}; "
                    f"declare it in enterprise.context_keys",
                    "unknown-reference",
                )
        if spec.class_ is not None:
            cpos = (
                key_position(e.doc, e.data, "class", value=True)
                if isinstance(e.data, YamlMap)
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
            if not isinstance(group, YamlMap):
                self.ld.add(lpos, f"'{level}' must be a mapping of name: {level}", "schema")
                continue
            if level == parent.level:
                # The asset object has one key per level: the inner name would replace the
                # outer one while the topic shows both (use a tag group instead).
                self.ld.add(
                    lpos,
                    f"{parent.level} {parent.path_text} contains {level} nodes: a level cannot "
                    f"nest inside itself (group tags with a tag path such as 'status/state')",
                    "schema",
                )
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
                entry = Entry(doc, name, pos, data)
                spec = self.ld.validate(NodeSpec, entry, f"{node.path_text}.", only=attrs)
                if isinstance(spec, NodeSpec):
                    self._apply(node, spec, entry)
                parent.children[name] = node
                self.nodes[node.path] = node
                self._children(doc, node, children)

    def resolveread_classes(self) -> None:
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
