"""Topic value types: governed UNS topics and raw topic patterns with named captures.

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
from dataclasses import dataclass, field

from uns.errors import TopicError
from uns.model.template import CAPTURE_NAME, compile_inline

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


_SPECIAL = frozenset("{}+#\x00")  # a level holding none of these is literal text

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
            if not _SPECIAL & set(raw):  # a plain level, as most are: nothing to capture
                levels.append(_literal_level(raw))
                continue
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
                regex, names = compile_inline(raw, what)
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


@functools.lru_cache(maxsize=65536)  # frozen: 100k topics share a few thousand level names
def _literal_level(text: str) -> PatternLevel:
    return PatternLevel(LITERAL, text)


@functools.lru_cache(maxsize=65536)  # frozen values: the loader and validators parse twice
def _parse_pattern(text: str) -> TopicPattern:
    return TopicPattern._parse(text)


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
