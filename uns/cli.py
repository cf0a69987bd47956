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


def _setup_logging(level: str, fmt: str) -> None:
    import logging

    from uns.logs import JsonFormatter

    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.getLogger("gmqtt").setLevel(logging.WARNING)  # it logs every packet at INFO


def _run(args: argparse.Namespace) -> int:
    from uns.config.settings import load_settings
    from uns.runner import run_service

    settings = load_settings(
        args.config,
        {
            "models": args.models,
            "broker.url": args.broker,
            "broker.client_id": args.client_id,
            "share_group": args.share_group,
            "metrics_port": args.metrics_port,
            "log_format": args.log_format,
            "log_level": args.log_level,
        },
    )
    _setup_logging(settings.log_level, settings.log_format)
    return run_service(settings)


def _explain(args: argparse.Namespace) -> int:
    import time

    import orjson

    from uns.config.loader import load_model
    from uns.context.production import ContextStore
    from uns.pipeline import Enricher

    ns = load_model(args.models)
    enricher = Enricher(ns, ContextStore())
    payload = args.payload.encode() if args.payload is not None else sys.stdin.buffer.read()
    received = int(time.time() * 1000)
    trace, outs = enricher.explain(args.topic, payload, received)
    messages = [
        {"kind": o.kind, "topic": o.topic, "retain": o.retain, "payload": orjson.loads(o.payload)}
        for o in outs
    ]
    if args.json:
        doc = {
            "route": {
                "kind": trace.kind,
                "name": trace.name,
                "pattern": trace.pattern,
                "captures": trace.captures,
                "candidates": trace.candidates,
            },
            "notes": trace.notes,
            "messages": messages,
        }
        print(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
        return EXIT_OK if all(m["kind"] == "enriched" for m in messages) else EXIT_PROBLEMS
    if trace.kind == "none":
        print(f"topic {args.topic!r}: no binding or context source matches")
    else:
        print(f"topic {args.topic!r} matched {trace.kind} {trace.name!r}")
        print(f"  pattern:  {trace.pattern}")
        caps = ", ".join(f"{k}={v!r}" for k, v in trace.captures.items()) or "none"
        print(f"  captures: {caps}")
    if len(trace.candidates) > 1:
        print("  candidates (most specific first; the first wins):")
        for c in trace.candidates:
            print(f"    {c}")
    for note in trace.notes:
        print(f"  {note}")
    for m in messages:
        print(f"{m['kind']}: {m['topic']}")
        print(orjson.dumps(m["payload"], option=orjson.OPT_INDENT_2).decode())
    return EXIT_OK if all(m["kind"] == "enriched" for m in messages) else EXIT_PROBLEMS


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

    run = sub.add_parser(
        "run",
        help="run the service: subscribe to raw topics, publish the governed tree",
        description="Credentials: UNS_BROKER_USERNAME / UNS_BROKER_PASSWORD or "
        "broker.password_file in the settings file; never on the command line.",
    )
    run.add_argument("--models", metavar="DIR", help="models directory (default: models)")
    run.add_argument("--broker", metavar="URL", help="mqtt://host:1883 or mqtts://host:8883")
    run.add_argument("--config", metavar="FILE", help="settings file (YAML)")
    run.add_argument("--client-id", help="MQTT client id (default: uns-<hostname>)")
    run.add_argument("--share-group", help="receive raw data via $share/<group>/ (scale-out)")
    run.add_argument("--metrics-port", type=int, help="Prometheus port (default 9464)")
    run.add_argument("--log-format", choices=["text", "json"])
    run.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    run.set_defaults(func=_run)

    explain = sub.add_parser(
        "explain", help="dry run: show how one raw message would be mapped and enriched"
    )
    explain.add_argument("--models", metavar="DIR", default="models")
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    explain.add_argument("topic", metavar="RAW_TOPIC")
    explain.add_argument("payload", metavar="PAYLOAD", nargs="?", help="default: stdin")
    explain.set_defaults(func=_explain)

    from uns.lint.commands import add_lint_parsers

    add_lint_parsers(sub)  # lint, tree, diff
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
