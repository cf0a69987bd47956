"""`uns schema`: the contracts consumers validate against, exported from the models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

EXIT_OK, EXIT_PROBLEMS = 0, 1


def _schema(args: argparse.Namespace) -> int:
    from uns.config.loader import load_model
    from uns.contract.asyncapi import asyncapi_document
    from uns.contract.payloads import json_schema_bundle
    from uns.errors import UnsError
    from uns.reload import fingerprint

    root = Path(args.models)
    if not root.exists():
        raise UnsError(f"{args.models}: no such file or directory")
    ns = load_model(root)  # a model with problems: ModelError, reported by the CLI
    revision = fingerprint(root)
    if args.format == "asyncapi":
        doc = asyncapi_document(ns, revision)
    else:
        doc = json_schema_bundle(ns, revision)
    text = orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(
            f"wrote {args.format} of {args.models} (model {revision}) to {args.output}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return EXIT_OK


def add_schema_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schema = sub.add_parser(
        "schema",
        help="export the payload contract: JSON Schema 2020-12 or AsyncAPI 3.0",
        description="JSON Schema: one schema per class and tag (value type from the datatype, "
        "unit, context keys) and the dead-letter payload. AsyncAPI: the governed tree's "
        "channels from the topic layout, their parameters and messages.",
    )
    schema.add_argument("models", metavar="MODELS_DIR", help="directory of YAML model files")
    schema.add_argument("--format", choices=["jsonschema", "asyncapi"], default="jsonschema")
    schema.add_argument("--output", "-o", metavar="FILE", help="default: stdout")
    schema.set_defaults(func=_schema)
