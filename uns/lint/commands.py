"""`uns lint`, `uns tree` and `uns diff`: argument parsing and output; the logic lives in
`uns.lint.linter`, `uns.lint.treeview` and `uns.lint.diff`.

Exit codes (as `uns.cli`): 0 clean, 1 problems (lint errors, or warnings with `--strict`; a
breaking diff), 2 usage errors or unreadable input (missing directory, bad lint config).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from uns import __version__
from uns.argtypes import positive_int
from uns.lint.formats import (
    format_github,
    format_json,
    format_sarif,
    format_text,
    summary,
)
from uns.model.problem import Level, Problem

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _missing(path: str, err: TextIO) -> bool:
    if Path(path).exists():
        return False
    print(f"uns: error: {path}: no such file or directory", file=err)
    return True


def _use_color(out: TextIO) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(out, "isatty") and out.isatty()


def rule_descriptions() -> dict[str, tuple[str, Level]]:
    """rule id -> (first docstring line, default level), loader rules included."""
    from uns.lint.rules import LOADER_RULES, RULES

    out: dict[str, tuple[str, Level]] = {rid: (text, "error") for rid, text in LOADER_RULES.items()}
    for rid, module in RULES.items():
        doc = (getattr(module, "__doc__", None) or rid).strip().splitlines()[0]
        out[rid] = (doc, module.DEFAULT_LEVEL)
    return out


def render_problems(problems: list[Problem], fmt: str, *, color: bool = False) -> list[str]:
    """The lines to print for `problems` in format `fmt`."""
    if fmt == "json":
        return [format_json(problems)]
    if fmt == "sarif":
        return [format_sarif(problems, rule_descriptions(), __version__)]
    if fmt == "github":
        return [format_github(p) for p in problems]
    return [format_text(p, color=color) for p in problems]


def exit_code(problems: list[Problem], *, strict: bool) -> int:
    levels = {p.level for p in problems}
    if "error" in levels or (strict and "warning" in levels):
        return EXIT_PROBLEMS
    return EXIT_OK


def lint_command(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    from uns.lint.config import default_config, load_config
    from uns.lint.linter import lint_models

    if _missing(args.models, err):
        return EXIT_USAGE
    config = default_config()
    if args.config is not None:
        try:
            config, problems = load_config(args.config)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"uns: error: {args.config}: cannot read lint config: {exc}", file=err)
            return EXIT_USAGE
        if problems:
            for p in problems:
                print(format_text(p), file=err)
            print(f"uns: error: {args.config}: invalid lint config", file=err)
            return EXIT_USAGE
    fmt = args.format
    if fmt == "auto":
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    # A short-lived process that frees little: the cyclic GC would only re-scan the model.
    gc.disable()
    try:
        problems = lint_models(args.models, config)
    finally:
        gc.enable()
    for line in render_problems(problems, fmt, color=fmt == "text" and _use_color(out)):
        print(line, file=out)
    if fmt == "text":
        out.flush()
        print(summary(problems), file=err)
    return exit_code(problems, strict=args.strict)


def tree_command(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    from uns.config.loader import load_model_lenient
    from uns.lint.treeview import governed_tree, render_tree

    if _missing(args.models, err):
        return EXIT_USAGE
    ns, problems = load_model_lenient(args.models)
    if args.site is not None and args.site not in ns.sites:
        known = ", ".join(sorted(ns.sites)) or "none"
        print(f"uns: error: no site {args.site!r} (sites: {known})", file=err)
        return EXIT_USAGE
    for line in render_tree(governed_tree(ns, args.site), args.depth, args.tags):
        print(line, file=out)
    if args.partitions is not None:
        from uns.lint.partitions import split_lines

        print("", file=out)
        for line in split_lines(ns, args.partitions):
            print(line, file=out)
    if problems:
        print(
            f"{len(problems)} model problem(s): the tree shows what loaded; run `uns lint`",
            file=err,
        )
        return EXIT_PROBLEMS
    return EXIT_OK


def diff_command(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    from uns.config.loader import load_model
    from uns.lint.diff import diff_namespaces, diff_to_json, format_diff_text

    if _missing(args.old, err) or _missing(args.new, err):
        return EXIT_USAGE
    # ModelError propagates: uns.cli prints the problems and exits 2 (unreadable input).
    old, new = load_model(args.old), load_model(args.new)
    d = diff_namespaces(old, new)
    # A historian that stores only numbers silently gets wrong data after a unit change, so
    # the command counts it as breaking unless told the consumers read `unit`.
    units_break = not args.allow_unit_changes
    if args.format == "json":
        doc: dict[str, Any] = diff_to_json(d, units_break=units_break)
        print(json.dumps(doc, indent=2), file=out)
    else:
        *changes, verdict = format_diff_text(d, units_break=units_break)
        for line in changes:
            print(line, file=out)
        print(verdict, file=err)  # the summary, like check's and lint's
    return EXIT_PROBLEMS if d.breaking(units=units_break) else EXIT_OK


def add_lint_parsers(sub: Any) -> None:
    """Register `lint`, `tree`, `diff` and `partitions` on the CLI's subparsers."""
    lint = sub.add_parser(
        "lint",
        help="lint the governed namespace (exit 1 on errors)",
        description="Lint a models directory: naming, duplicates, cross-site consistency, "
        "references, bindings and shift calendars. See docs/lint.md.",
    )
    lint.add_argument("models", metavar="MODELS_DIR", help="directory of YAML model files")
    lint.add_argument("--config", metavar="FILE", help="lint config (rules, levels, options)")
    lint.add_argument(
        "--format",
        choices=("auto", "text", "json", "github", "sarif"),
        default="auto",
        help="output format (auto: github under GitHub Actions, else text)",
    )
    lint.add_argument("--strict", action="store_true", help="exit 1 on warnings too (not on info)")
    lint.set_defaults(func=lint_command)

    tree = sub.add_parser("tree", help="show the governed namespace as a tree")
    tree.add_argument("models", metavar="MODELS_DIR")
    tree.add_argument("--site", metavar="S", help="only this site")
    tree.add_argument("--depth", metavar="N", type=positive_int, help="draw N topic levels")
    tree.add_argument("--tags", action="store_true", help="list every tag with type and unit")
    tree.add_argument(
        "--partitions", metavar="N", type=positive_int, help="also say which partition owns what"
    )
    tree.set_defaults(func=tree_command)

    diff = sub.add_parser(
        "diff",
        help="compare the governed topics of two models (exit 1 on breaking changes)",
    )
    diff.add_argument("old", metavar="OLD_DIR")
    diff.add_argument("new", metavar="NEW_DIR")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.add_argument(
        "--allow-unit-changes",
        action="store_true",
        help="do not count unit changes as breaking (every consumer reads the `unit` field)",
    )
    diff.add_argument(  # the default since unit changes break; kept so old CI scripts run
        "--fail-on-unit", action="store_true", help=argparse.SUPPRESS
    )
    diff.set_defaults(func=diff_command)

    from uns.lint.partitions import add_partitions_parser

    add_partitions_parser(sub)
