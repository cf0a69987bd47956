"""Topic value types: governed UNS topics, raw topic patterns with named captures, templates.

Everything here is pure and validated on construction. Errors name the segment that is wrong
("segment 3 '{li ne}' ...") rather than just "invalid topic".

Raw topic patterns, as written in a binding's `topic:`:

- `plc`            literal level
- `{line}`         one whole level, captured as `line` (subscribes as `+`)
- `{line}_{cell}`  a level made of captures and literal text (subscribes as `+`)
- `+`              any one level, not captured
- `#`              any remaining levels (last only), not captured
- `{rest#}`        any remaining levels (last only, at least one), captured joined by `/`
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from uns.errors import TopicError

CAPTURE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Characters that must never appear inside one level of any topic we publish.
_FORBIDDEN_IN_LEVEL = frozenset("+#/\x00")
MAX_TOPIC_BYTES = 65535


def check_level(level: str, what: str) -> None:
    """Raise TopicError unless `level` is usable: no wildcard, '/', NUL or leading '$'."""
    if not level:
        raise TopicError(f"{what} is empty")
    bad = sorted(_FORBIDDEN_IN_LEVEL.intersection(level))
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise TopicError(f"{what} {level!r} contains {shown}")
    if level.startswith("$"):
        raise TopicError(f"{what} {level!r} starts with '$' (reserved by brokers)")


@dataclass(frozen=True, slots=True)
class UnsTopic:
    """A topic in the governed tree: one or more validated levels."""

    levels: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.levels:
            raise TopicError("topic has no levels")
        for i, level in enumerate(self.levels, 1):
            check_level(level, f"level {i}")
        if len(str(self).encode()) > MAX_TOPIC_BYTES:
            raise TopicError("topic is longer than 65535 bytes")

    @classmethod
    def parse(cls, text: str) -> UnsTopic:
        return cls(tuple(text.split("/")))

    def __str__(self) -> str:
        return "/".join(self.levels)


def _compile_inline(text: str, what: str) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """Compile text with `{name}` placeholders into an anchored regex, or None if it is literal."""
    names: list[str] = []
    literals: list[str] = []
    regex: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        name = m.group(1)
        if not CAPTURE_NAME.fullmatch(name):
            raise TopicError(
                f"{what}: capture {{{name}}} must be lower-case letters, digits and '_'"
            )
        if name in names:
            raise TopicError(f"{what}: capture {{{name}}} appears twice")
        literals.append(text[pos : m.start()])
        regex.append(re.escape(literals[-1]))
        # Non-greedy so "{a}.{b}" splits at the first separator; the last capture takes the rest.
        regex.append(f"(?P<{name}>.+?)")
        names.append(name)
        pos = m.end()
    literals.append(text[pos:])
    if any("{" in lit or "}" in lit for lit in literals):
        raise TopicError(f"{what}: unbalanced '{{' or '}}'")
    if not names:
        return None, ()
    regex.append(re.escape(literals[-1]))
    return re.compile("".join(regex), re.DOTALL), tuple(names)


# Segment kinds, ordered by specificity (higher is more specific).
MULTI, SINGLE, PARTIAL, LITERAL = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class PatternLevel:
    kind: int
    text: str
    capture: str | None = None  # SINGLE / MULTI capture name
    regex: re.Pattern[str] | None = None  # PARTIAL
    names: tuple[str, ...] = ()  # PARTIAL capture names


@dataclass(frozen=True, slots=True)
class TopicPattern:
    """A raw topic pattern with named captures (see the module docstring for the syntax)."""

    source: str
    levels: tuple[PatternLevel, ...]
    captures: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> TopicPattern:
        return _parse_pattern(text)

    @classmethod
    def _parse(cls, text: str) -> TopicPattern:
        if not text:
            raise TopicError("topic pattern is empty")
        if text.startswith("$share/"):
            raise TopicError("write the plain topic; shared subscriptions are a service setting")
        raw_levels = text.split("/")
        levels: list[PatternLevel] = []
        captures: list[str] = []
        for i, raw in enumerate(raw_levels, 1):
            what = f"segment {i} {raw!r}"
            last = i == len(raw_levels)
            if raw == "#" or (raw.startswith("{") and raw.endswith("#}")):
                if not last:
                    raise TopicError(f"{what}: a multi-level wildcard must be the last segment")
                name = raw[1:-2] if raw != "#" else None
                if name is not None and not CAPTURE_NAME.fullmatch(name):
                    raise TopicError(f"{what}: capture name must be lower-case a-z, 0-9, '_'")
                levels.append(PatternLevel(MULTI, raw, capture=name))
            elif raw == "+":
                levels.append(PatternLevel(SINGLE, raw))
            elif "+" in raw or "#" in raw:
                raise TopicError(f"{what}: '+' and '#' must fill a whole segment")
            elif "\x00" in raw:
                raise TopicError(f"{what}: contains NUL")
            else:
                regex, names = _compile_inline(raw, what)
                if regex is None:
                    levels.append(PatternLevel(LITERAL, raw))
                elif raw == "{" + names[0] + "}":
                    levels.append(PatternLevel(SINGLE, raw, capture=names[0]))
                else:
                    levels.append(PatternLevel(PARTIAL, raw, regex=regex, names=names))
            lvl = levels[-1]
            for name in (lvl.capture,) if lvl.capture else lvl.names:
                if name in captures:
                    raise TopicError(f"{what}: capture {{{name}}} appears twice in the pattern")
                captures.append(name)
        return cls(text, tuple(levels), tuple(captures))

    def subscription(self) -> str:
        """The MQTT subscription filter that receives every topic this pattern can match."""
        out = []
        for lvl in self.levels:
            if lvl.kind == LITERAL:
                out.append(lvl.text)
            elif lvl.kind == MULTI:
                out.append("#")
            else:
                out.append("+")
        return "/".join(out)

    @property
    def specificity(self) -> tuple[int, ...]:
        """Sort key: compared level by level, literal > partial > single > multi; longer wins."""
        return (*(lvl.kind for lvl in self.levels), len(self.levels))

    def match(self, levels: list[str] | tuple[str, ...]) -> dict[str, str] | None:
        """Captured values if the topic (split on '/') matches, else None."""
        out: dict[str, str] = {}
        n = len(self.levels)
        for i, lvl in enumerate(self.levels):
            if lvl.kind == MULTI:
                if lvl.capture is None:
                    return out  # like MQTT, "a/#" also matches "a"
                if i >= len(levels):
                    return None
                if lvl.capture:
                    out[lvl.capture] = "/".join(levels[i:])
                return out
            if i >= len(levels):
                return None
            value = levels[i]
            if lvl.kind == LITERAL:
                if value != lvl.text:
                    return None
            elif lvl.kind == SINGLE:
                if lvl.capture:
                    out[lvl.capture] = value
            else:
                assert lvl.regex is not None
                m = lvl.regex.fullmatch(value)
                if m is None:
                    return None
                out.update(m.groupdict())
        return out if len(levels) == n else None


@functools.lru_cache(maxsize=65536)  # frozen values: the loader and validators parse twice
def _parse_pattern(text: str) -> TopicPattern:
    return TopicPattern._parse(text)


@dataclass(frozen=True, slots=True)
class NamePattern:
    """A pattern for ids inside batch payloads, e.g. `{line}.{asset}.{raw_tag}` for Kepware."""

    source: str
    regex: re.Pattern[str] | None
    captures: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> NamePattern:
        if not text:
            raise TopicError("id pattern is empty")
        regex, names = _compile_inline(text, f"id pattern {text!r}")
        return cls(text, regex, names)

    def match(self, name: str) -> dict[str, str] | None:
        if self.regex is None:
            return {} if name == self.source else None
        m = self.regex.fullmatch(name)
        return m.groupdict() if m else None


@dataclass(frozen=True, slots=True)
class Template:
    """Text with `{name}` placeholders, rendered from captured values."""

    source: str
    fields: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        _, names = _compile_inline(text, f"template {text!r}")
        return cls(text, names)

    def render(self, values: Mapping[str, str]) -> str:
        if not self.fields:
            return self.source
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.source)


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
    order: int  # declaration order, the tie-breaker


class TopicIndex(Generic[V]):
    """Finds the most specific pattern for a topic, at a cost independent of the pattern count.

    A trie over pattern levels prunes candidates; the few that reach a leaf are matched fully and
    the winner is the highest `specificity`, then the earliest added (declaration order). Results
    are cached per exact topic (bounded), so steady traffic costs one dict lookup.
    """

    def __init__(self, cache_size: int = 100_000) -> None:
        self._root: _TrieNode[V] = _TrieNode()
        self._count = 0
        self._cache: dict[str, IndexHit[V] | None] = {}
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
        levels = topic.split("/")
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
            pass
        hit = max(
            self.candidates(topic),
            key=lambda h: (h.pattern.specificity, -h.order),
            default=None,
        )
        if len(self._cache) >= self._cache_size:
            self._cache.clear()  # cheap bound; steady traffic refills it at once
        self._cache[topic] = hit
        return hit


def filter_matches(filter_: str, topic: str) -> bool:
    """MQTT filter matching (`+`, `#`, `$share/group/` prefix), for subscriptions we hold."""
    if filter_.startswith("$share/"):
        parts = filter_.split("/", 2)
        if len(parts) < 3:
            return False
        filter_ = parts[2]
    f_levels = filter_.split("/")
    t_levels = topic.split("/")
    if topic.startswith("$") and f_levels[0] in ("+", "#"):
        return False  # MQTT: wildcards at the first level never match $-topics
    for i, f in enumerate(f_levels):
        if f == "#":
            return True
        if i >= len(t_levels):
            return False
        if f != "+" and f != t_levels[i]:
            return False
    return len(f_levels) == len(t_levels)


@dataclass(slots=True)
class _FilterNode:
    children: dict[str, _FilterNode] = field(default_factory=dict)
    end: bool = False  # a filter ends here


def minimal_filters(filters: list[str]) -> list[str]:
    """Drop every filter that another one already covers, sorted.

    Brokers deliver a message once per matching subscription of a client, so overlapping
    filters (`plc/+/+` and `plc/L1/+`) would make the service process it twice. A trie of the
    filters answers "is this one covered" in time independent of how many there are.
    """
    unique = sorted(set(filters))
    root = _FilterNode()
    for f in unique:
        node = root
        for level in f.split("/"):
            node = node.children.setdefault(level, _FilterNode())
        node.end = True

    def covered(levels: list[str], i: int, node: _FilterNode, itself: bool) -> bool:
        # `itself`: still on the filter's own path, which must not count as covering it.
        hash_ = node.children.get("#")
        if hash_ is not None and not (itself and levels[i:] == ["#"]):
            return True  # `a/#` covers `a`, `a/b`, `a/+/c`
        if i == len(levels):
            return node.end and not itself
        level = levels[i]
        if level == "#":
            return False  # only `#` covers `#`, handled above
        plus = node.children.get("+")
        if plus is not None and covered(levels, i + 1, plus, itself and level == "+"):
            return True
        child = node.children.get(level) if level != "+" else None
        return child is not None and covered(levels, i + 1, child, itself)

    return [f for f in unique if not covered(f.split("/"), 0, root, itself=True)]
