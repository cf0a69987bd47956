"""The one topic trie over raw topic patterns.

It serves two questions with one structure:

- routing: the most specific pattern matching a concrete topic (`lookup`, cached per topic);
- lint: which patterns may overlap a given pattern (`overlapping`), without comparing all pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from uns.model.topics import LITERAL, MULTI, TopicPattern

V = TypeVar("V")


@dataclass(slots=True)
class _TrieNode(Generic[V]):
    literal: dict[str, _TrieNode[V]] = field(default_factory=dict)
    wild: _TrieNode[V] | None = None  # SINGLE and PARTIAL levels (PARTIAL checked at the end)
    multi: list[tuple[TopicPattern, int, V]] = field(default_factory=list)
    here: list[tuple[TopicPattern, int, V]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IndexHit(Generic[V]):
    pattern: TopicPattern
    value: V
    captures: dict[str, str]
    order: int  # insertion order, the tie-breaker


class TopicIndex(Generic[V]):
    """Finds the most specific pattern for a topic, at a cost independent of the pattern count.

    A trie over pattern levels prunes candidates; the few that reach a leaf are matched fully and
    the winner is the highest `specificity`, then the earliest added (declaration order). Results
    are cached per exact topic (bounded), so steady traffic costs one dict lookup.
    """

    def __init__(self, cache_size: int = 100_000) -> None:
        self._root: _TrieNode[V] = _TrieNode()
        self._count = 0
        self._cache: dict[str | tuple[str, ...], IndexHit[V] | None] = {}
        self._cache_size = cache_size

    def add(self, pattern: TopicPattern, value: V) -> None:
        node = self._root
        entry = (pattern, self._count, value)
        self._count += 1
        self._cache.clear()
        for lvl in pattern.levels:
            if lvl.kind == MULTI:
                node.multi.append(entry)
                return
            if lvl.kind == LITERAL:
                node = node.literal.setdefault(lvl.text, _TrieNode())
            else:
                if node.wild is None:
                    node.wild = _TrieNode()
                node = node.wild
        node.here.append(entry)

    def __len__(self) -> int:
        return self._count

    def candidates(self, topic: str) -> Iterator[IndexHit[V]]:
        """Every pattern that matches, in no particular order."""
        return self._candidates(topic.split("/"))

    def _candidates(self, levels: list[str] | tuple[str, ...]) -> Iterator[IndexHit[V]]:
        stack: list[tuple[_TrieNode[V], int]] = [(self._root, 0)]
        while stack:
            node, depth = stack.pop()
            entries = node.multi if depth < len(levels) else [*node.multi, *node.here]
            for pattern, order, value in entries:
                caps = pattern.match(levels)
                if caps is not None:
                    yield IndexHit(pattern, value, caps, order)
            if depth < len(levels):
                child = node.literal.get(levels[depth])
                if child is not None:
                    stack.append((child, depth + 1))
                if node.wild is not None:
                    stack.append((node.wild, depth + 1))

    def lookup(self, topic: str) -> IndexHit[V] | None:
        try:
            return self._cache[topic]
        except KeyError:
            return self._remember(topic, topic.split("/"))

    def lookup_levels(self, levels: tuple[str, ...]) -> IndexHit[V] | None:
        """`lookup` for a topic already split into its levels (a parsed Sparkplug address)."""
        try:
            return self._cache[levels]
        except KeyError:
            return self._remember(levels, levels)

    def _remember(
        self, key: str | tuple[str, ...], levels: list[str] | tuple[str, ...]
    ) -> IndexHit[V] | None:
        hit = max(
            self._candidates(levels),
            key=lambda h: (h.pattern.specificity, -h.order),
            default=None,
        )
        if len(self._cache) >= self._cache_size:
            self._cache.clear()  # cheap bound; steady traffic refills it at once
        self._cache[key] = hit
        return hit

    def overlapping(self, pattern: TopicPattern) -> list[V]:
        """The values whose patterns may match a topic `pattern` also matches (itself included
        if it was added). Partial levels count as wildcards here, so callers that need
        exactness confirm with `uns.lint.patterns.topics_overlap`."""
        out: list[tuple[TopicPattern, int, V]] = []
        stack: list[tuple[_TrieNode[V], int]] = [(self._root, 0)]
        levels = pattern.levels
        while stack:
            node, i = stack.pop()
            out += node.multi
            if i == len(levels):
                out += node.here
                continue
            lvl = levels[i]
            if lvl.kind == MULTI:
                out += _below(node)
                continue
            if lvl.kind == LITERAL:
                child = node.literal.get(lvl.text)
                if child is not None:
                    stack.append((child, i + 1))
            else:
                stack += [(c, i + 1) for c in node.literal.values()]
            if node.wild is not None:
                stack.append((node.wild, i + 1))
        return [value for _pattern, _order, value in out]


def _below(node: _TrieNode[V]) -> list[tuple[TopicPattern, int, V]]:
    """Every entry ending at or below `node` (its own `multi` entries are already taken)."""
    out = [*node.here]
    for child in (*node.literal.values(), *([node.wild] if node.wild else [])):
        out += child.multi
        out += _below(child)
    return out
