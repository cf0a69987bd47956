"""The package map holds: no package imports a higher layer, and packages import no circle.

Every module under `uns/` is read with `ast` (imports inside functions and under
`TYPE_CHECKING` count too: they are dependencies all the same). docs/decisions.md ("Package
map") explains the layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

# The layers, lowest first. A package may import its own layer's packages and any lower layer,
# never a higher one. Top-level modules count as packages of their own name; "uns" is the
# package root (it holds only `__version__`).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("uns", "errors", "logs", "signals", "argtypes"),  # stdlib-only leaves
    ("model",),
    ("normalize",),
    ("formats", "sparkplug"),
    ("context",),
    ("config",),
    ("pipeline", "partitioning"),  # partitioning: who owns which binding and topic
    ("lint",),
    ("io", "metrics", "replay"),  # replay: the dead-letter spool the service appends to
    ("service", "delivery", "host_state"),  # delivery: message ids; host_state: Sparkplug STATE
    ("runner", "reload", "demo", "simulator", "web", "contract", "workers", "worker_metrics"),
    ("cli", "__main__"),
)

# Imports that still break the map, in other helpers' areas (issue 10 is being done in
# parallel). Each is (importing module, imported module). The test fails when one of these
# disappears, so the list only ever shrinks: delete the entry with the change that fixes it.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()

ROOT = Path(__file__).resolve().parents[1] / "uns"
LAYER_OF = {package: index for index, names in enumerate(LAYERS) for package in names}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    """`uns.lint.rules.common` -> `lint`; `uns.cli` -> `cli`; `uns` -> `uns`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imported_modules(path: Path) -> Iterator[str]:
    """Every `uns` module that `path` imports, wherever the import statement stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; write `from uns...`"
            names = [node.module or ""]
        else:
            continue
        yield from (name for name in names if name == "uns" or name.startswith("uns."))


def import_edges() -> list[tuple[str, str]]:
    return sorted(
        {
            (module_name(path), target)
            for path in ROOT.rglob("*.py")
            for target in imported_modules(path)
        }
    )


def upward(edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    return {
        (source, target)
        for source, target in edges
        if LAYER_OF[package_of(target)] > LAYER_OF[package_of(source)]
    }


def test_every_package_has_a_layer() -> None:
    packages = {package_of(module_name(path)) for path in ROOT.rglob("*.py")}
    assert sorted(packages - set(LAYER_OF)) == []


def test_no_package_imports_a_higher_layer() -> None:
    assert sorted(upward(import_edges()) - KNOWN_VIOLATIONS) == []


def test_known_violations_still_exist() -> None:
    """A fixed violation must leave KNOWN_VIOLATIONS, so the list stays honest."""
    assert sorted(KNOWN_VIOLATIONS - upward(import_edges())) == []


def test_packages_import_no_circle() -> None:
    graph: nx.DiGraph = nx.DiGraph()
    for source, target in import_edges():
        if (source, target) in KNOWN_VIOLATIONS:
            continue
        a, b = package_of(source), package_of(target)
        if a != b:
            graph.add_edge(a, b)
    assert sorted(sorted(cycle) for cycle in nx.simple_cycles(graph)) == []


@pytest.mark.parametrize(
    ("source", "target", "bad"),
    [
        ("uns.config.loader", "uns.model.namespace", False),
        ("uns.model.namespace", "uns.config.loader", True),
        ("uns.lint.rules.common", "uns.lint.graph", False),
        ("uns.errors", "uns", False),
        ("uns.model.problem", "uns.lint", True),
    ],
)
def test_the_layer_check_itself(source: str, target: str, bad: bool) -> None:
    assert bool(upward([(source, target)])) is bad
