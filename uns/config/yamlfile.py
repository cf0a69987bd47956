"""Reading YAML model files with positions: syntax errors, duplicate keys, pydantic errors.

ruamel's round-trip loader keeps the line and column of every key and item (0-based); this is
the one place they become 1-based `Position`s. The round-trip loader builds only plain maps,
lists and scalars, never Python objects, so loading an untrusted file is safe.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from uns.lint.problem import Position, Problem

Loc = tuple[str | int, ...]


@dataclass(slots=True)
class YamlDoc:
    path: str  # as shown to the user: relative to where they pointed us
    data: Any  # CommentedMap (usually), CommentedSeq or scalar
    lines: list[str]

    def pos(self, line0: int, col0: int) -> Position:
        return Position(self.path, line0 + 1, col0 + 1)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.allow_duplicate_keys = True  # we report them ourselves, all of them, with positions
    return y


class _RecursiveAliasError(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _duplicate_keys(node: Node, path: str, stack: tuple[int, ...] = ()) -> Iterator[Problem]:
    if id(node) in stack:  # an alias inside its own anchor: no finite value exists
        raise _RecursiveAliasError(node)
    stack = (*stack, id(node))
    if isinstance(node, MappingNode):
        seen: dict[object, int] = {}
        for key, value in node.value:
            k = getattr(key, "value", None)
            if isinstance(k, str | int | float | bool):
                if k in seen and k != "<<":
                    mark = key.start_mark
                    yield Problem(
                        Position(path, mark.line + 1, mark.column + 1),
                        f"duplicate key {k!r} (first at line {seen[k]})",
                        rule="duplicate-key",
                    )
                else:
                    seen[k] = key.start_mark.line + 1
            yield from _duplicate_keys(value, path, stack)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item, path, stack)


def read_yaml(text: str, path: str) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse one file; on a syntax error return None and the positioned problem."""
    y = _yaml()
    try:
        # Parse once: compose the node tree (marks for duplicate keys), then construct from it.
        constructor, parser = y.get_constructor_parser(text)
        try:
            node = constructor.composer.get_single_node()
            problems = list(_duplicate_keys(node, path)) if node is not None else []
            data = constructor.construct_document(node) if node is not None else None
        finally:
            parser.dispose()
    except _RecursiveAliasError as exc:
        mark = exc.node.start_mark
        where = Position(path, mark.line + 1, mark.column + 1)
        return None, [Problem(where, "YAML alias refers to itself (recursive)", "yaml-syntax")]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(Position(path, line, col), f"YAML syntax: {what}", "yaml-syntax")]
    except YAMLError as exc:
        return None, [Problem(Position(path, 1, 1), f"YAML syntax: {exc}", "yaml-syntax")]
    return YamlDoc(path, data, text.splitlines()), problems


def key_position(doc: YamlDoc, mapping: Any, key: Any, *, value: bool = False) -> Position:
    """Where `key` (or its value) is written in `mapping`; the mapping itself if unknown."""
    if isinstance(mapping, CommentedMap) and key in mapping:
        try:
            line, col = mapping.lc.value(key) if value else mapping.lc.key(key)
            if value and mapping[key] is None:
                line, col = mapping.lc.key(key)
        except KeyError:  # merged in with `<<: *anchor`: ruamel keeps no position for it
            return node_position(doc, mapping)
        return doc.pos(line, col)
    if isinstance(mapping, CommentedSeq) and isinstance(key, int) and 0 <= key < len(mapping):
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
        if isinstance(node, CommentedMap) and key in node:
            pos = key_position(doc, node, key, value=not (last and at_key))
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
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
    """ruamel containers to plain dicts and lists (pydantic keeps no ruamel types)."""
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data
