"""Load a models directory into a resolved `Namespace`, collecting every problem with its position.

A models directory holds YAML files whose top-level keys are sections:

    enterprise:  exactly once in the directory
    classes:     name -> equipment class
    calendars:   name -> shift calendar
    sites:       name -> site tree
    bindings:    list of source bindings
    context:     list of MES context sources

Any file may hold any sections (one concern per file is the convention). `load_model` raises
`ModelError` with all problems; `load_model_lenient` returns what could be built plus the
problems, for the linter.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path as FsPath

from uns.config.bindings import BindingChecker
from uns.config.entries import ModelLimits, ProblemLog, read_docs, read_sections
from uns.config.positioned import YamlMap
from uns.config.reserved import check_reserved_branches
from uns.config.tree import TreeBuilder
from uns.config.vocabulary import read_calendars, read_classes, read_enterprise
from uns.config.yamlfile import key_position, suggest
from uns.errors import ModelsNotFoundError
from uns.model.namespace import Namespace
from uns.model.problem import ModelError, Position, Problem


@contextlib.contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Loading allocates hundreds of thousands of long-lived objects and no cycles worth
    collecting; the collector's full passes over them cost a third of a large load
    (bench/loader_gc.py: 200 sites, 1.34 s with the collector, 0.91 s without). The partition
    plan uses it too (100k bindings: 6.0 s with the collector, 1.3-2.0 s without).

    Afterwards they all sit in the youngest generation, and the first allocation would
    traverse them (1.4M objects for 100k bindings, 0.7 s). Freezing and unfreezing moves
    every tracked object into the oldest generation without a traversal: where a loaded
    model (or plan) belongs. A process that keeps its heap frozen (`uns run`, see
    `uns.runner`) keeps it frozen: unfreezing would hand its running model back to the
    collector."""
    enabled = gc.isenabled()
    kept_frozen = gc.get_freeze_count() > 0
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            if not kept_frozen:
                gc.unfreeze()
            gc.enable()


def load_model_lenient(
    root: str | FsPath, limits: ModelLimits | None = None
) -> tuple[Namespace, list[Problem]]:
    """Build as much of the namespace as is valid; return it with every problem, sorted."""
    with no_gc_pauses():
        return _load(FsPath(root), limits)


def _load(root: FsPath, limits: ModelLimits | None) -> tuple[Namespace, list[Problem]]:
    ld = ProblemLog()
    if not root.exists():
        raise ModelsNotFoundError(str(root))
    docs = read_docs(root, ld, limits)
    sections = read_sections(docs, ld)
    enterprise, epos = read_enterprise(sections["enterprise"], root, ld)
    ns = Namespace(enterprise=enterprise, enterprise_pos=epos, files=[d.path for d in docs])
    ns.classes = read_classes(sections["classes"], ld)
    ns.calendars, ns.calendar_pos = read_calendars(sections["calendars"], ld)
    tree = TreeBuilder(ld, enterprise.levels, ns.classes, ns.context_keys)
    for e in sections["sites"]:
        site = tree.site(e)
        if site is not None:
            ns.sites[site.node.name] = site
        # Checked from the raw data so a bad timezone does not hide a bad calendar.
        calendar = e.data.get("calendar") if isinstance(e.data, YamlMap) else None
        if isinstance(calendar, str) and calendar not in ns.calendars:
            pos = key_position(e.doc, e.data, "calendar", value=True)
            ld.add(
                pos,
                f"unknown calendar {calendar!r}{suggest(calendar, list(ns.calendars))}",
                "unknown-reference",
            )
    tree.resolveread_classes()
    ns.nodes = tree.nodes
    checker = BindingChecker(ld, ns)
    names: dict[str, Position] = {}
    for order, e in enumerate(sections["bindings"]):
        b = checker.binding(e, order)
        if b is not None:
            if b.name in names:
                ld.add(
                    b.pos,
                    f"binding name {b.name!r} is also used at {names[b.name]}",
                    "duplicate-key",
                )
            names.setdefault(b.name, b.pos)
            ns.bindings.append(b)
    for order, e in enumerate(sections["context"]):
        src = checker.context_source(e, order)
        if src is not None:
            ns.context_sources.append(src)
    check_reserved_branches(ns, ld)
    return ns, sorted(ld.problems)


def load_model(root: str | FsPath, limits: ModelLimits | None = None) -> Namespace:
    """The namespace, or ModelError listing every problem with file:line:col."""
    ns, problems = load_model_lenient(root, limits)
    if problems:
        raise ModelError(problems)
    return ns
