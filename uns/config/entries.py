"""Reading a models directory into section entries, each with the position it was written at.

A models directory holds YAML files whose top-level keys are sections; any file may hold any
sections. `read_docs` parses the files, `read_sections` lists every entry of every section.

`ModelLimits` bounds what a models directory may cost before any of it is parsed: a file over
`max_file_bytes` is not read, and a directory over `max_total_bytes` is not parsed at all (a
50 MB file once took the service to 4.9 GB of memory for half a minute).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from uns.config.encoding import not_utf8_problem
from uns.config.positioned import YamlList, YamlMap
from uns.config.yamlfile import (
    MAX_DEPTH,
    YamlDoc,
    key_position,
    node_position,
    read_yaml,
    suggest,
    validation_problems,
)
from uns.model.problem import Position, Problem

SECTIONS = ("enterprise", "classes", "calendars", "sites", "bindings", "context")
_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """What one models directory may be; `uns run` reads them from `model_limits:`."""

    max_file_bytes: int = 10 * _MB
    max_total_bytes: int = 100 * _MB
    max_depth: int = MAX_DEPTH


def _mb(size: int) -> str:
    return f"{size / _MB:.1f} MB" if size >= _MB else f"{size} bytes"


def _sizes(files: list[tuple[FsPath, str]], limits: ModelLimits, ld: ProblemLog) -> list[int]:
    """Each file's size (-1: over the per-file limit or unreadable, not to be read); every
    file is refused when the directory as a whole is over the total limit."""
    sizes = []
    for fs_path, shown in files:
        try:
            size = fs_path.stat().st_size
        except OSError as exc:
            ld.add(Position(shown), f"cannot read: {exc.strerror}", "yaml-syntax")
            size = -1
        if size > limits.max_file_bytes:
            limit = f"the limit of {_mb(limits.max_file_bytes)} per model file"
            ld.add(Position(shown), f"file is {_mb(size)}, over {limit}", "yaml-syntax")
            size = -1
        sizes.append(size)
    total = sum(s for s in sizes if s > 0)
    if total > limits.max_total_bytes:
        where = Position(files[0][1]) if files else Position("")
        limit = f"the limit of {_mb(limits.max_total_bytes)} for all model files"
        ld.add(where, f"model files total {_mb(total)}, over {limit}; none was read", "yaml-syntax")
        return [-1] * len(sizes)
    return sizes


@dataclass
class Entry:
    """One section entry as written: the document, its key position and raw data."""

    doc: YamlDoc
    name: str | int
    pos: Position
    data: Any


@dataclass
class ProblemLog:
    """The problems found while loading, in the order found."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, pos: Position, message: str, rule: str) -> None:
        self.problems.append(Problem(pos, message, rule))

    def validate(
        self, model: type[BaseModel], entry: Entry, prefix: str = "", only: Any = None
    ) -> BaseModel | None:
        """Validate the entry (or `only`, a part of it); positions come from the entry."""
        data = entry.data
        # Positioned maps are dicts: pydantic copies them into the spec's own dicts and lists.
        value = only if only is not None else data if data is not None else {}
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            self.problems += validation_problems(
                exc, model, entry.doc, data, entry.pos, prefix=prefix
            )
            return None


def display_files(root: FsPath) -> list[tuple[FsPath, str]]:
    if root.is_file():
        return [(root, str(root))]
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [(p, str(root / p.relative_to(root))) for p in files]


def read_docs(root: FsPath, ld: ProblemLog, limits: ModelLimits | None = None) -> list[YamlDoc]:
    limits = limits or ModelLimits()
    docs = []
    files = display_files(root)
    for (fs_path, shown), size in zip(files, _sizes(files, limits, ld), strict=True):
        if size < 0:
            continue
        try:
            data = fs_path.read_bytes()
            # Universal newlines, as read_text would: positions count lines the same way.
            text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError as exc:
            ld.add(*not_utf8_problem(data, exc, shown), "yaml-syntax")
            continue
        except OSError as exc:
            ld.add(Position(shown), f"cannot read: {exc.strerror}", "yaml-syntax")
            continue
        doc, problems = read_yaml(text, shown, limits.max_depth)
        ld.problems += problems
        if doc is None or doc.data is None:
            continue
        if not isinstance(doc.data, YamlMap):
            ld.add(
                node_position(doc, doc.data), "a model file must be a mapping of sections", "schema"
            )
            continue
        docs.append(doc)
    return docs


def read_sections(docs: list[YamlDoc], ld: ProblemLog) -> dict[str, list[Entry]]:
    """Every entry of every section, in file order; named sections checked for duplicates."""
    out: dict[str, list[Entry]] = {s: [] for s in SECTIONS}
    seen: dict[tuple[str, str | int], Position] = {}
    for doc in docs:
        for key in doc.data:
            kpos = key_position(doc, doc.data, key)
            value = doc.data[key]
            if key not in SECTIONS:
                ld.add(kpos, f"unknown section {key!r}{suggest(str(key), SECTIONS)}", "schema")
            elif key == "enterprise":
                out[key].append(Entry(doc, key, kpos, value))
            elif key in ("bindings", "context"):
                if not isinstance(value, YamlList):
                    ld.add(kpos, f"'{key}' must be a list (items start with '- ')", "schema")
                    continue
                for i, item in enumerate(value):
                    out[key].append(Entry(doc, i, key_position(doc, value, i), item))
            else:
                if value is None:
                    continue
                if not isinstance(value, YamlMap):
                    ld.add(kpos, f"'{key}' must be a mapping of name: definition", "schema")
                    continue
                for name in value:
                    npos = key_position(doc, value, name)
                    if (key, name) in seen:
                        first = seen[key, name]
                        ld.add(
                            npos,
                            f"{key} entry {name!r} is also defined at {first}",
                            "duplicate-key",
                        )
                        continue
                    seen[key, name] = npos
                    out[key].append(Entry(doc, name, npos, value[name]))
    return out
