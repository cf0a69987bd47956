"""Do two raw topic patterns (or id patterns) match a common topic? Does one contain the other?

Used by the binding rules. A topic level such as `{line}_{cell}` is a glob: literal characters
and captures, each capture one or more characters. Two globs share a string exactly when a
walk over both can reach both ends together (a small product automaton, `_globs_meet`).
Containment of two partial levels is only decided when they are written the same (capture names
aside); otherwise they are treated as overlapping without containment, which makes the rules
report "ambiguous" rather than "unreachable": the milder claim when unsure.
"""

from __future__ import annotations

from uns.model.template import PLACEHOLDER, NamePattern, fill
from uns.model.topics import LITERAL, MULTI, PARTIAL, SINGLE, PatternLevel, TopicPattern

_ANY, _STAR = object(), object()
Glob = tuple[object, ...]  # characters (str) or _ANY / _STAR


def _glob(text: str) -> Glob:
    out: list[object] = []
    pos = 0
    for m in PLACEHOLDER.finditer(text):
        out += list(text[pos : m.start()])
        out += [_ANY, _STAR]  # one or more characters
        pos = m.end()
    out += list(text[pos:])
    return tuple(out)


def _globs_meet(a: Glob, b: Glob) -> bool:
    """True if some string matches both globs."""
    todo, seen = [(0, 0)], {(0, 0)}
    while todo:
        i, j = todo.pop()
        if i == len(a) and j == len(b):
            return True
        steps: list[tuple[int, int]] = []
        ta = a[i] if i < len(a) else None
        tb = b[j] if j < len(b) else None
        if ta is _STAR:
            steps.append((i + 1, j))
            if tb is not None and tb is not _STAR:
                steps.append((i, j + 1))
        if tb is _STAR:
            steps.append((i, j + 1))
            if ta is not None and ta is not _STAR:
                steps.append((i + 1, j))
        both_chars = ta is not None and tb is not None and _STAR not in (ta, tb)
        if both_chars and (ta is _ANY or tb is _ANY or ta == tb):
            steps.append((i + 1, j + 1))
        for s in steps:
            if s not in seen:
                seen.add(s)
                todo.append(s)
    return False


def _shape(text: str) -> str:
    return fill(text, "{}")


def _level_overlap(a: PatternLevel, b: PatternLevel) -> bool:
    if SINGLE in (a.kind, b.kind):
        return True
    if a.kind == LITERAL and b.kind == LITERAL:
        return a.text == b.text
    if a.kind == PARTIAL and b.kind == LITERAL:
        return a.regex is not None and a.regex.fullmatch(b.text) is not None
    if b.kind == PARTIAL and a.kind == LITERAL:
        return b.regex is not None and b.regex.fullmatch(a.text) is not None
    return _globs_meet(_glob(a.text), _glob(b.text))


def _empty_tail_ok(levels: tuple[PatternLevel, ...], i: int) -> bool:
    """Can `levels[i:]` match no further levels (only an uncaptured '#' can)?"""
    return len(levels) == i + 1 and levels[i].kind == MULTI and levels[i].capture is None


def topics_overlap(a: TopicPattern, b: TopicPattern) -> bool:
    """True if some topic matches both patterns."""
    la, lb = a.levels, b.levels
    for i in range(max(len(la), len(lb))):
        if i >= len(la):
            return _empty_tail_ok(lb, i)
        if i >= len(lb):
            return _empty_tail_ok(la, i)
        if la[i].kind == MULTI or lb[i].kind == MULTI:
            return True
        if not _level_overlap(la[i], lb[i]):
            return False
    return True


def _level_covers(a: PatternLevel, b: PatternLevel) -> bool:
    if a.kind == SINGLE:
        return b.kind != MULTI
    if a.kind == LITERAL:
        return b.kind == LITERAL and a.text == b.text
    if a.kind == PARTIAL:
        if b.kind == LITERAL:
            return a.regex is not None and a.regex.fullmatch(b.text) is not None
        return b.kind == PARTIAL and _shape(a.text) == _shape(b.text)
    return False


def topic_covers(a: TopicPattern, b: TopicPattern) -> bool:
    """True if every topic `b` matches is matched by `a` too."""
    la, lb = a.levels, b.levels
    for i in range(max(len(la), len(lb))):
        if i >= len(la):
            return False
        if la[i].kind == MULTI:
            return la[i].capture is None or (i < len(lb) and not _empty_tail_ok(lb, i))
        if i >= len(lb) or lb[i].kind == MULTI:
            return False
        if not _level_covers(la[i], lb[i]):
            return False
    return True


def ids_overlap(a: NamePattern | None, b: NamePattern | None) -> bool:
    """Batch-payload id patterns; no id pattern means "any record"."""
    if a is None or b is None:
        return True
    return _globs_meet(_glob(a.source), _glob(b.source))


def id_covers(a: NamePattern | None, b: NamePattern | None) -> bool:
    if a is None:
        return True
    if b is None:
        return False
    if a.regex is None:
        return b.regex is None and a.source == b.source
    if b.regex is None:
        return a.regex.fullmatch(b.source) is not None
    return _shape(a.source) == _shape(b.source) or _shape(a.source) == "{}"
