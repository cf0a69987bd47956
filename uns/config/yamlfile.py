"""Reading YAML model files with positions: syntax errors, duplicate keys, pydantic errors.

Parsing is libyaml's (PyYAML's C parser and composer: 25x faster than a pure-Python parser
on large models); the node tree it gives is turned into `YamlMap` / `YamlList`
(`uns.config.positioned`: dicts and lists that carry the line and column of every key and
item, 0-based) for the loader and the linter. This is the one place positions become
1-based `Position`s.

Scalars are resolved by the YAML 1.2 core schema, not PyYAML's YAML 1.1 rules: `yes`, `on`,
`06:00` and `2026-12-25` stay text; `true`, `12`, `0x1F`, `1.5e3`, `null` are typed. Nothing
but maps, lists and scalars is ever built, so loading an untrusted file is safe; alias
expansion is bounded (a "billion laughs" file is a problem, not an out-of-memory), and so is
nesting (`max_depth`, also through aliases): a file nested deeper is a positioned problem,
never a RecursionError. File sizes are checked before reading (`uns.config.entries`).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from uns.config.positioned import YamlList, YamlMap
from uns.model.problem import Position, Problem

_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C one unless libyaml is absent
_IMPLICIT = "?"  # the tag of every scalar written without one: _scalar resolves it


class _ComposeLoader(_BASE):  # type: ignore[misc]
    """Leaves implicit tags unresolved: PyYAML's resolver is YAML 1.1 and costs a regex scan
    per scalar; ours (`_scalar`) is YAML 1.2. An explicit tag (`!!str 12`) is kept."""

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            return _IMPLICIT
        return str(super().resolve(kind, value, implicit))


MAX_EXPANDED_NODES = 2_000_000  # what aliases may expand a file to
MAX_DEPTH = 64  # nested maps and lists; a real model needs about 10

Loc = tuple[str | int, ...]


@dataclass(slots=True)
class YamlDoc:
    path: str  # as shown to the user: relative to where they pointed us
    data: Any  # YamlMap (usually), YamlList or scalar
    lines: list[str]

    def pos(self, line0: int, col0: int) -> Position:
        return Position(self.path, line0 + 1, col0 + 1)


class _RecursiveAliasError(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _TooDeepError(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _ComplexKeyTooLargeError(Exception):
    """Complex keys expanding past the limits (they are hashed, so expanded, while built)."""

    def __init__(self, size: int, depth: int) -> None:
        self.size, self.depth = size, depth


@dataclass(slots=True)
class _Builder:
    """Composed nodes to positioned maps, lists and scalars in one walk that also finds the
    duplicate keys of every mapping and the size and depth the tree has once every alias is
    expanded. An alias inside its own anchor, or nesting deeper than `max_depth`, raises
    before the walk recurses any deeper.

    Aliases share one built object, like YAML, so each node is built once however often
    aliases reach it (an alias bomb is refused afterwards by its size, never expanded)."""

    path: str
    max_depth: int
    problems: list[Problem]
    memo: dict[int, tuple[Any, int, int]]  # node -> (built value, expanded size and depth)
    on_stack: set[int]
    key_nodes: int = 0  # expanded nodes of every complex key so far

    def build(self, node: Node, depth: int) -> tuple[Any, int, int]:
        if isinstance(node, ScalarNode):
            return _scalar(node), 1, 0
        nid = id(node)
        if nid in self.on_stack:  # an alias inside its own anchor: no finite value exists
            raise _RecursiveAliasError(node)
        if depth >= self.max_depth:
            raise _TooDeepError(node)
        known = self.memo.get(nid)
        if known is not None:
            return known
        self.on_stack.add(nid)
        if isinstance(node, SequenceNode):
            built: Any = YamlList()
            size, deepest = self._items(node, built, depth)
        else:
            built = YamlMap()
            size, deepest = self._pairs(node, built, depth)
        mark = node.start_mark
        built.lc.line, built.lc.col = mark.line, mark.column
        self.on_stack.discard(nid)
        self.memo[nid] = done = built, size, deepest + 1
        return done

    def _items(self, node: SequenceNode, seq: YamlList, depth: int) -> tuple[int, int]:
        size, deepest = 1, 0
        table = seq.lc.data
        for i, item in enumerate(node.value):
            value, item_size, item_depth = self.build(item, depth + 1)
            seq.append(value)
            mark = item.start_mark
            table[i] = [mark.line, mark.column]
            size += item_size
            deepest = max(deepest, item_depth)
        return size, deepest

    def _pairs(self, node: Node, mapping: YamlMap, depth: int) -> tuple[int, int]:
        size, deepest = 1, 0
        table = mapping.lc.data
        seen: dict[object, int] = {}  # written key text -> its line
        merged: list[Any] = []
        for key_node, value_node in node.value:
            km = key_node.start_mark
            if isinstance(key_node, ScalarNode):
                text = key_node.value
                if text in seen and text != "<<":
                    self.problems.append(
                        Problem(
                            Position(self.path, km.line + 1, km.column + 1),
                            f"duplicate key {text!r} (first at line {seen[text]})",
                            rule="duplicate-key",
                        )
                    )
                else:
                    seen[text] = km.line + 1
                key, key_size, key_depth = _scalar(key_node), 1, 0
            else:  # a complex key (`? [a, b]`)
                complex_key, key_size, key_depth = self.build(key_node, depth + 1)
                self.key_nodes += key_size
                if self.key_nodes > MAX_EXPANDED_NODES or key_depth > self.max_depth:
                    raise _ComplexKeyTooLargeError(self.key_nodes, key_depth)
                key = _hashable(complex_key)
            value, value_size, value_depth = self.build(value_node, depth + 1)
            size += key_size + value_size
            deepest = max(deepest, key_depth, value_depth)
            if key == "<<" and isinstance(key_node, ScalarNode) and not key_node.style:
                merged.append(value)  # `<<: *base` merges, own keys win
            elif key not in mapping:  # a duplicate is reported above; the first one counts
                mapping[key] = value
                vm = value_node.start_mark
                table[key] = [km.line, km.column, vm.line, vm.column]
        for source in merged:
            for base in source if isinstance(source, list) else [source]:
                if isinstance(base, dict):
                    for k, v in base.items():
                        mapping.setdefault(k, v)
        return size, deepest


def _written_nodes(root: Node) -> int:
    """How many distinct nodes the file writes (each alias target once)."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            todo += [value for _, value in node.value]
        elif isinstance(node, SequenceNode):
            todo += node.value
    return len(seen)


def _expanded_too_far(root: Node, size: int, depth: int, max_depth: int) -> str | None:
    """Why a file whose aliases expand to `size` nodes nested `depth` deep is refused."""
    if size > MAX_EXPANDED_NODES:
        cause = (
            "the file has"
            if _written_nodes(root) > MAX_EXPANDED_NODES
            else "YAML aliases expand to"
        )
        return f"{cause} more than {MAX_EXPANDED_NODES} nodes"
    if depth > max_depth:
        return f"YAML aliases nest maps and lists more than {max_depth} levels deep"
    return None


def _syntax_hint(lines: list[str], line: int, col: int) -> str:
    """What to do about the two syntax errors new users hit most."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in text[: max(col, 1)]:
        return " (tabs are not allowed for indentation: indent with spaces)"
    key, colon, value = text.partition(": ")
    if colon and value.lstrip().startswith("{") and not _is_flow_mapping(value):
        example = f'{key.strip(" -")}: "{value.strip()}"'
        return f' (a value starting with "{{" is read as a YAML mapping: quote it, {example})'
    return ""


def _is_flow_mapping(value: str) -> bool:
    """`{a: 1, b: x}` on purpose, not a template like `{site}/raw/{tag}`."""
    v = value.strip()
    return v.startswith("{") and v.endswith("}") and ":" in v


def _at(path: str, node: Node) -> Position:
    mark = node.start_mark
    return Position(path, mark.line + 1, mark.column + 1)


def read_yaml(
    text: str, path: str, max_depth: int = MAX_DEPTH
) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse one file; on a syntax error return None and the positioned problem."""
    try:
        node = yaml.compose(text, Loader=_ComposeLoader)  # libyaml stops at 1000 levels itself
        if node is None:
            return YamlDoc(path, None, text.splitlines()), []
        problems: list[Problem] = []
        try:
            data, size, depth = _Builder(path, max_depth, problems, {}, set()).build(node, 0)
        except _ComplexKeyTooLargeError as exc:
            size, depth = exc.size, exc.depth
        refused = _expanded_too_far(node, size, depth, max_depth)
        if refused is not None:
            return None, [Problem(Position(path, 1, 1), refused, "yaml-syntax")]
    except _RecursiveAliasError as exc:
        where = _at(path, exc.node)
        return None, [Problem(where, "YAML alias refers to itself (recursive)", "yaml-syntax")]
    except _TooDeepError as exc:
        message = f"maps and lists nested more than {max_depth} levels deep"
        return None, [Problem(_at(path, exc.node), message, "yaml-syntax")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        hint = _syntax_hint(text.splitlines(), line, col)
        message = f"YAML syntax: {what}{hint}"
        return None, [Problem(Position(path, line, col), message, "yaml-syntax")]
    except yaml.YAMLError as exc:
        return None, [Problem(Position(path, 1, 1), f"YAML syntax: {exc}", "yaml-syntax")]
    return YamlDoc(path, data, text.splitlines()), problems


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution) for plain scalars.
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("null", "Null", "NULL", "~", ""), None),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), float("inf")),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), float("-inf")),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), float("nan")),
}


def _scalar(node: ScalarNode) -> Any:
    text: str = node.value
    if node.style:  # quoted, literal or folded: always text
        return text
    if node.tag != _IMPLICIT:
        return text  # an explicit `!!str 12`; other tags are not part of the model format
    if text in _WORDS:
        return _WORDS[text]
    first = text[0]
    if first.isdigit() or first in "+-.":
        if _INT.fullmatch(text):
            return int(text)
        if _FLOAT.fullmatch(text):
            return float(text)
        if text.startswith("0o") and text[2:].isdigit():
            return int(text[2:], 8)
        if text.startswith("0x"):
            try:
                return int(text[2:], 16)
            except ValueError:
                return text
    return text


def _hashable(value: Any) -> Any:
    """A complex key (`? [a, b]`) as a tuple, so it can be a key and be reported."""
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def key_position(doc: YamlDoc, mapping: Any, key: Any, *, value: bool = False) -> Position:
    """Where `key` (or its value) is written in `mapping`; the mapping itself if unknown."""
    if isinstance(mapping, YamlMap) and key in mapping:
        try:
            line, col = mapping.lc.value(key) if value else mapping.lc.key(key)
            if value and mapping[key] is None:
                line, col = mapping.lc.key(key)
        except KeyError:  # merged in with `<<: *anchor`: it has no position of its own
            return node_position(doc, mapping)
        return doc.pos(line, col)
    if isinstance(mapping, YamlList) and isinstance(key, int) and 0 <= key < len(mapping):
        line, col = mapping.lc.item(key)
        return doc.pos(line, col)
    return node_position(doc, mapping)


def node_position(doc: YamlDoc, node: Any) -> Position:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return doc.pos(lc.line, lc.col)
    return Position(doc.path, 1, 1)


def locate(doc: YamlDoc, root: Any, anchor: Position, loc: Loc, *, at_key: bool) -> Position:
    """The deepest written position along a pydantic error `loc` below `root`."""
    node, pos = root, anchor
    for i, key in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, YamlMap) and key in node:
            pos = key_position(doc, node, key, value=not (last and at_key))
        elif isinstance(node, YamlList) and isinstance(key, int) and 0 <= key < len(node):
            pos = key_position(doc, node, key)
        else:
            break
        node = node[key]
    return pos


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model class that owns the last element of `loc` (for key suggestions)."""
    current: Any = model
    for key in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or n: f for n, f in current.model_fields.items()}
            if key not in fields:
                return None
            current = fields[key].annotation
        else:
            # A dict/list/tuple element: keep descending into its value type.
            pass
        current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Optional / dict / list / tuple wrappers down to a model class, if any."""
    for _ in range(4):
        origin = typing.get_origin(tp)
        if origin is None:
            return tp
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if origin in (typing.Union, types.UnionType):
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else args[0]
        elif origin is typing.Annotated:
            tp = args[0]
        elif args:
            tp = args[-1]
        else:
            return tp
    return tp


def suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def validation_problems(
    exc: ValidationError,
    model: type[BaseModel],
    doc: YamlDoc,
    root: Any,
    anchor: Position,
    *,
    prefix: str = "",
) -> list[Problem]:
    """Turn pydantic's errors into positioned problems with messages an engineer can act on."""
    problems = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        kind = err["type"]
        where = prefix + ".".join(str(p) for p in loc)
        if kind == "extra_forbidden":
            owner = _model_at(model, loc[:-1])
            names = [f.alias or n for n, f in owner.model_fields.items()] if owner else []
            msg = f"unknown key {loc[-1]!r}{suggest(str(loc[-1]), names)}"
            pos = locate(doc, root, anchor, loc, at_key=True)
        elif kind == "missing":
            msg = f"missing required key {where!r}"
            pos = locate(doc, root, anchor, loc[:-1], at_key=True)
        elif loc and loc[-1] == "[key]":
            where = prefix + ".".join(str(p) for p in loc[:-2])
            msg = f"{where}: key {loc[-2]!r}: {err['msg']}"
            pos = locate(doc, root, anchor, loc[:-1], at_key=True)
        else:
            text = str(err["msg"])
            text = text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
            msg = f"{where}: {text}" if where else text
            pos = locate(doc, root, anchor, loc, at_key=False)
        problems.append(Problem(pos, msg, "schema"))
    return problems


def plain(data: Any) -> Any:
    """Positioned maps and lists to plain dicts and lists (specs keep no positions)."""
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data
