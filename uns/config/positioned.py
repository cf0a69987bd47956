"""The maps and lists a model file is read into: plain dicts and lists that remember where
each key, value and item was written.

They replace ruamel's `CommentedMap` / `CommentedSeq`, whose every `get`, iteration and
insertion runs Python code (comment bookkeeping a model never uses): a 100k-binding model
spent a fifth of its load there. The position table keeps ruamel's shape and 0-based lines
and columns (`lc.key(k)`, `lc.value(k)`, `lc.item(i)`, `lc.line`, `lc.col`, `lc.data`), so
the code that reports problems reads it the same way.
"""

from __future__ import annotations

from typing import Any


class LineCol:
    """Where a map or list starts, and where each of its keys / values / items is written."""

    __slots__ = ("col", "data", "line")

    def __init__(self, line: int | None = None, col: int | None = None) -> None:
        self.line = line
        self.col = col
        # key -> [key line, key col, value line, value col]; index -> [line, col]
        self.data: dict[Any, list[int]] = {}

    def key(self, k: Any) -> tuple[int, int]:
        """A KeyError for a key without a position of its own (merged in by `<<`)."""
        where = self.data[k]
        return where[0], where[1]

    def value(self, k: Any) -> tuple[int, int]:
        where = self.data[k]
        return where[2], where[3]

    def item(self, idx: int) -> tuple[int, int]:
        where = self.data[idx]
        return where[0], where[1]

    def __repr__(self) -> str:
        return f"LineCol({self.line}, {self.col})"


class YamlMap(dict[Any, Any]):
    """A YAML mapping as written (keys in file order) with its positions in `lc`."""

    __slots__ = ("lc",)

    def __init__(self) -> None:  # built empty, then filled (a dict needs no other setup)
        self.lc = LineCol()


class YamlList(list[Any]):
    """A YAML sequence with its positions in `lc`."""

    __slots__ = ("lc",)

    def __init__(self) -> None:  # built empty, then filled
        self.lc = LineCol()
