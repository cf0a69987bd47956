"""The governed namespace as a tree of topic levels, with tag counts. Pure.

Built from the governed topics the service publishes (every tag of every equipment, through
the enterprise's topic layout and prefix), so the tree shows what consumers will browse, not
the YAML nesting. Each level shows how many governed tags lie below it; an equipment level
also shows its class. `render_tree` draws it with box-drawing characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from uns.model.namespace import Namespace, Tag

_SLOT = "\x00"


@dataclass(slots=True)
class TreeNode:
    name: str
    children: dict[str, TreeNode] = field(default_factory=dict)
    tag_count: int = 0  # governed tags at or below this level
    tags: list[tuple[str, Tag]] = field(default_factory=list)  # tags published right here
    classes: set[str] = field(default_factory=set)  # classes of equipment ending here


def governed_tree(ns: Namespace, site: str | None = None) -> TreeNode:
    """A tree of governed topic levels; `site` keeps only that site's equipment."""
    root = TreeNode("")
    for node in ns.equipment():
        if site is not None and node.site != site:
            continue
        assert node.asset_class is not None
        levels = ns.governed_levels(node, _SLOT)
        where = [lvl for lvl in levels if _SLOT not in lvl]
        cursor = root
        cursor.tag_count += len(node.tags)
        for level in where:
            cursor = cursor.children.setdefault(level, TreeNode(level))
            cursor.tag_count += len(node.tags)
        cursor.classes.add(node.asset_class.name)
        cursor.tags += list(node.tags.items())
    return root


def _label(node: TreeNode) -> str:
    cls = f" [{', '.join(sorted(node.classes))}]" if node.classes else ""
    n = node.tag_count
    return f"{node.name}{cls} ({n} tag{'s' if n != 1 else ''})"


def _tag_label(name: str, tag: Tag) -> str:
    unit = f" {tag.unit}" if tag.unit else ""
    return f"{name}: {tag.datatype}{unit}"


def render_tree(root: TreeNode, depth: int | None = None, show_tags: bool = False) -> list[str]:
    """Lines of the tree; `depth` limits how many topic levels are drawn (None: all)."""
    lines: list[str] = []

    def walk(node: TreeNode, prefix: str, level: int) -> None:
        if depth is not None and level >= depth:
            return
        items: list[tuple[str, TreeNode | None, str]] = [
            (name, child, "") for name, child in sorted(node.children.items())
        ]
        if show_tags:
            items += [(name, None, _tag_label(name, tag)) for name, tag in sorted(node.tags)]
        for i, (_name, child, text) in enumerate(items):
            last = i == len(items) - 1
            branch, cont = ("└── ", "    ") if last else ("├── ", "│   ")
            if child is None:
                lines.append(prefix + branch + text)
                continue
            lines.append(prefix + branch + _label(child))
            walk(child, prefix + cont, level + 1)

    for _name, top in sorted(root.children.items()):
        lines.append(_label(top))
        walk(top, "", 1)
    return lines
