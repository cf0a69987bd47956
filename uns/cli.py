"""The `uns` command line. The only module that decides exit codes.

Exit codes: 0 success, 1 the input has problems (model errors, lint errors), 2 usage errors or
unreadable input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from uns import __version__
from uns.argtypes import positive_int
from uns.errors import UnsError
from uns.model.problem import ModelError

if TYPE_CHECKING:
    from pathlib import Path

    from uns.replay import DeadLetter

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

Command = Callable[[argparse.Namespace], int]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


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
        print(f"{_count(n, 'problem')} in {args.models}", file=sys.stderr)
        return EXIT_PROBLEMS
    equipment = sum(1 for _ in ns.equipment())
    tags = sum(len(n.tags) for n in ns.equipment())
    counts = [
        _count(len(ns.sites), "site"),
        f"{equipment} equipment",
        _count(tags, "tag"),
        _count(len(ns.bindings), "binding"),
        _count(len(ns.context_sources), "context source"),
        _count(len(ns.calendars), "calendar"),
    ]
    print(f"{args.models}: ok: enterprise {ns.enterprise.name!r}, {', '.join(counts)}")
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
    from uns.config.broker import refuse_credentials
    from uns.config.settings import load_settings
    from uns.runner import run_service

    if args.broker:
        refuse_credentials(args.broker, "--broker")

    settings = load_settings(
        args.config,
        {
            "models": args.models,
            "broker.url": args.broker,
            "broker.client_id": args.client_id,
            "share_group": args.share_group,
            "partition": args.partition,
            "workers": args.workers,
            "metrics_port": args.metrics_port,
            "log_format": args.log_format,
            "log_level": args.log_level,
        },
    )
    _setup_logging(settings.log_level, settings.log_format)
    if settings.workers > 1:
        from uns.workers import run_workers

        return run_workers(settings)
    return run_service(settings, supervised=args.supervised)


def _payload_bytes(text: str | None, file: str | None, encoding: str, what: str) -> bytes:
    """A payload given on the command line: text, hex or base64 (`encoding`), or a file."""
    import base64
    import binascii

    if file is not None:
        try:
            with open(file, "rb") as f:
                return f.read()
        except OSError as exc:
            raise UnsError(f"cannot read {what} file {file}: {exc.strerror}") from None
    raw = text.encode() if text is not None else sys.stdin.buffer.read()
    try:
        if encoding == "hex":
            return bytes.fromhex(raw.decode("ascii"))
        if encoding == "base64":
            return base64.b64decode(b"".join(raw.split()), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise UnsError(f"{what} is not valid {encoding}: {exc}") from None
    return raw


def _explain(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    import orjson

    from uns.config.loader import load_model
    from uns.context.production import ContextStore
    from uns.pipeline import Enricher
    from uns.pipeline.explain import prime_sparkplug_host
    from uns.reload import fingerprint
    from uns.sparkplug import SparkplugHost

    ns = load_model(args.models)
    # A passive host that does not check seq: a dry run has one message, not a session.
    host = SparkplugHost(check_seq=False)
    enricher = Enricher(ns, ContextStore(), sparkplug=host, revision=fingerprint(Path(args.models)))
    encoding = "hex" if args.hex else "base64" if args.base64 else "text"
    if args.payload is not None and args.file is not None:
        raise UnsError("give the payload as PAYLOAD or --file, not both")
    payload = _payload_bytes(args.payload, args.file, encoding, "the payload")
    birth = None
    if args.birth is not None or args.birth_file is not None:
        birth = _payload_bytes(args.birth or "", args.birth_file, encoding, "--birth")
    received = int(time.time() * 1000)
    primed = prime_sparkplug_host(host, args.topic, birth, received)
    trace, outs = enricher.explain(args.topic, payload, received)
    trace.notes[:0] = primed
    owned_by = None
    if args.partitions is not None:
        from uns.lint.partitions import owner_text
        from uns.partitioning import PartitionPlan

        owned_by = owner_text(PartitionPlan(ns, args.partitions), args.topic)
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
        if owned_by is not None:
            doc["partition"] = owned_by
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
        print(
            "  candidates, most specific first; the first wins (specificity: per level 3 literal,"
            " 2 partial like T{n}, 1 {capture} or +, 0 #, then the number of levels):"
        )
        for c in trace.candidates:
            print(f"    {c}")
    if owned_by is not None:
        print(f"  partition: {owned_by}")
    for note in trace.notes:
        print(f"  {note}")
    for m in messages:
        print(f"{m['kind']}: {m['topic']}")
        print(orjson.dumps(m["payload"], option=orjson.OPT_INDENT_2).decode())
    return EXIT_OK if all(m["kind"] == "enriched" for m in messages) else EXIT_PROBLEMS


def _replay(args: argparse.Namespace) -> int:
    import time
    from collections import Counter
    from datetime import datetime
    from pathlib import Path

    from uns.replay import parse_spool, select

    def ms(text: str | None) -> int | None:
        if text is None:
            return None
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if when.tzinfo is None:
            raise UnsError(f"--since/--until need a time zone: {text!r} (add Z or +01:00)")
        return int(when.timestamp() * 1000)

    path = Path(args.spool)
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise UnsError(f"cannot read {path}: {exc.strerror}") from None
    reasons = set(args.reason) if args.reason else None
    excerpts: list[DeadLetter] = []
    letters = list(
        select(parse_spool(lines, str(path), excerpts), reasons, ms(args.since), ms(args.until))
    )
    cut = list(select(excerpts, reasons, ms(args.since), ms(args.until)))
    for letter in cut:  # over the spool's per-entry limit: the whole payload is not there
        print(
            f"uns: {path}:{letter.line}: only an excerpt of the payload was kept "
            f"(sha256 {letter.excerpt_sha256}): not replayed",
            file=sys.stderr,
        )
    if args.dry_run:
        from uns.config.loader import load_model
        from uns.context.production import ContextStore
        from uns.delivery import replay_hints
        from uns.pipeline import Enricher

        enricher = Enricher(load_model(args.models), ContextStore())
        now = int(time.time() * 1000)
        outcome: Counter[str] = Counter()
        for letter in letters:
            at, only = replay_hints(tuple(_hints(letter)), now)
            outs = enricher.process(letter.topic, letter.payload, at, only)
            dead = next((o.reason for o in outs if o.kind == "deadletter"), None)
            outcome["enriched" if dead is None else f"still dead-lettered: {dead}"] += 1
        print(f"{len(letters)} dead letters selected from {path}; with {args.models}:")
        for what, n in sorted(outcome.items()):
            print(f"  {n:7d}  {what}")
        return EXIT_OK if all(k == "enriched" for k in outcome) and not cut else EXIT_PROBLEMS
    if not args.broker:
        raise UnsError("give --broker to republish, or --dry-run --models DIR to check first")
    return _republish(args, path, letters, cut)


def _republish(
    args: argparse.Namespace, path: Path, letters: list[DeadLetter], cut: list[DeadLetter]
) -> int:
    """Republish what the journal does not list yet (all with --again), recording each."""
    import asyncio
    import os

    from uns.config.broker import refuse_credentials
    from uns.io.mqtt import BrokerSettings, MqttClient
    from uns.replay import ReplayJournal

    refuse_credentials(args.broker, "--broker")
    journal = ReplayJournal(args.journal or f"{path}.replayed")
    todo, seen = [], set()
    for letter in letters:
        if letter.key not in seen and (args.again or letter.key not in journal):
            todo.append(letter)
        seen.add(letter.key)
    creds = {
        k: v
        for k, v in (
            ("username", os.environ.get("UNS_BROKER_USERNAME")),
            ("password", os.environ.get("UNS_BROKER_PASSWORD")),
        )
        if v
    }

    async def republish() -> None:
        settings = BrokerSettings.from_url(
            args.broker, client_id=f"uns-replay-{os.getpid()}", clean_start=True, **creds
        )
        async with MqttClient(settings) as client:
            for letter in todo:
                hints = _hints(letter)
                await client.publish(letter.topic, letter.payload, qos=1, user_properties=hints)
                try:
                    journal.record(letter.key)
                except OSError as exc:
                    raise UnsError(f"cannot write the journal {journal.path}: {exc}") from None

    asyncio.run(republish())
    skipped = len(letters) - len(todo)
    again = f"; {skipped} already replayed or repeated, skipped (--again republishes)"
    print(
        f"republished {len(todo)} dead letters from {path} to {args.broker}"
        + (again if skipped else "")
    )
    return EXIT_PROBLEMS if cut else EXIT_OK


def _hints(letter: DeadLetter) -> list[tuple[str, str]]:
    """The user properties that make the service take a replayed message as it first came."""
    import orjson

    from uns.delivery import REPLAY_RECEIVED, REPLAY_VALUES

    hints = [(REPLAY_RECEIVED, letter.received)] if letter.received else []
    if letter.values is not None:
        hints.append((REPLAY_VALUES, orjson.dumps(list(letter.values)).decode()))
    return hints


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
    run.add_argument(
        "--partition", metavar="I/N", help="enrich only what partition I of N owns (from 0)"
    )
    run.add_argument(
        "--workers", type=positive_int, metavar="N", help="run N partitions as child processes"
    )
    run.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)  # a worker
    run.add_argument("--metrics-port", type=int, help="Prometheus port (default 9464)")
    run.add_argument("--log-format", choices=["text", "json"])
    run.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    run.set_defaults(func=_run)

    explain = sub.add_parser(
        "explain", help="dry run: show how one raw message would be mapped and enriched"
    )
    explain.add_argument("--models", metavar="DIR", default="models")
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    explain.add_argument(
        "--partitions", metavar="N", type=positive_int, help="say which of N partitions owns it"
    )
    explain.add_argument("topic", metavar="RAW_TOPIC")
    explain.add_argument("payload", metavar="PAYLOAD", nargs="?", help="default: stdin")
    written = explain.add_mutually_exclusive_group()
    written.add_argument(
        "--hex", action="store_true", help="PAYLOAD and --birth are hex (Sparkplug protobuf)"
    )
    written.add_argument("--base64", action="store_true", help="PAYLOAD and --birth are base64")
    explain.add_argument("--file", metavar="FILE", help="read the payload's bytes from FILE")
    births = explain.add_mutually_exclusive_group()
    births.add_argument(
        "--birth",
        metavar="BIRTH",
        help="Sparkplug: the NBIRTH (for NDATA) or DBIRTH (for DDATA) that declares the aliases",
    )
    births.add_argument("--birth-file", metavar="FILE", help="--birth, read from FILE")
    explain.set_defaults(func=_explain)

    replay = sub.add_parser(
        "replay",
        help="re-inject dead-lettered messages after a model fix",
        description="Reads a dead-letter spool (JSON lines: the service's deadletter_spool, or "
        "a capture of <enterprise>/_deadletter/#) and republishes the original messages.",
    )
    replay.add_argument("spool", metavar="SPOOL_FILE")
    replay.add_argument("--reason", action="append", help="only this reason (repeatable)")
    replay.add_argument(
        "--since", metavar="ISO", help="received at or after, e.g. 2026-03-24T10:00Z"
    )
    replay.add_argument("--until", metavar="ISO", help="received before")
    replay.add_argument("--broker", metavar="URL", help="republish to this broker")
    replay.add_argument("--dry-run", action="store_true", help="only show what the model does now")
    replay.add_argument(
        "--journal", metavar="FILE", help="record of what was replayed (default: SPOOL.replayed)"
    )
    replay.add_argument(
        "--again", action="store_true", help="republish also what the journal says went out"
    )
    replay.add_argument("--models", metavar="DIR", default="models", help="for --dry-run")
    replay.set_defaults(func=_replay)

    from uns.contract.command import add_schema_parser
    from uns.demo import add_demo_parsers
    from uns.lint.commands import add_lint_parsers

    add_lint_parsers(sub)  # lint, tree, diff
    add_demo_parsers(sub)  # demo, simulate
    add_schema_parser(sub)  # schema
    return parser


def _command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[command]
            return found
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # the command's usage, not the top-level one (`uns check --strict`)
            _command_parser(parser, args.command).error(
                f"unrecognized arguments: {' '.join(extra)}"
            )
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
