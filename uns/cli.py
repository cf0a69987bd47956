"""The `uns` command line. The only module that decides exit codes.

Exit codes: 0 success, 1 the input has problems (model errors, lint errors), 2 usage errors or
unreadable input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from uns import __version__
from uns.errors import ModelError, UnsError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

Command = Callable[[argparse.Namespace], int]


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from uns.config.loader import load_model

    if not Path(args.models).exists():
        print(f"uns: error: {args.models}: no such file or directory", file=sys.stderr)
        return EXIT_USAGE
    try:
        ns = load_model(args.models)
    except ModelError as exc:
        for p in exc.problems:
            print(p.parsable())
        n = len(exc.problems)
        print(f"{n} problem{'s' if n != 1 else ''} in {args.models}", file=sys.stderr)
        return EXIT_PROBLEMS
    equipment = sum(1 for _ in ns.equipment())
    tags = sum(len(n.tags) for n in ns.equipment())
    print(
        f"{args.models}: ok: enterprise {ns.enterprise.name!r}, {len(ns.sites)} sites, "
        f"{equipment} equipment, {tags} tags, {len(ns.bindings)} bindings, "
        f"{len(ns.context_sources)} context sources, {len(ns.calendars)} calendars"
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uns",
        description="Unified Namespace contextualizer: raw MQTT in, governed ISA-95 tree out.",
    )
    parser.add_argument("--version", action="version", version=f"uns {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = sub.add_parser("check", help="validate a models directory (exit 1 on problems)")
    check.add_argument("models", metavar="MODELS_DIR", help="directory of YAML model files")
    check.set_defaults(func=_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    func: Command = args.func
    try:
        return func(args)
    except ModelError as exc:
        for p in exc.problems:
            print(p.parsable(), file=sys.stderr)
        return EXIT_USAGE
    except UnsError as exc:
        print(f"uns: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
