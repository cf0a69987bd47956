"""JSON Schemas of what `uns` publishes, derived from the model. Pure.

One schema per (class, tag): the governed payload of docs/payload.md with the value type of the
tag's datatype and its unit as a constant; and one for the dead-letter payload. Shared parts
(timestamp, quality, asset, context, source) are referenced under `ref_base`, so the same
schemas serve a JSON Schema 2020-12 bundle (`#/$defs/`) and an AsyncAPI document
(`#/components/schemas/`).
"""

from __future__ import annotations

from typing import Any

from uns.model.namespace import GROUP_KEY, AssetClass, Namespace, Tag

JSON_TYPES = {"float": "number", "int": "number", "bool": "boolean", "string": "string"}
STRUCTURED_TYPES = {"object": ["object", "array"], "dataset": ["array"]}
CONTEXT_KEYS = ("shift", "crew", "batch", "product", "order")
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
QUALITIES = ("good", "uncertain", "bad", "stale")
MODEL_REVISION: dict[str, Any] = {
    "type": ["string", "null"],
    "description": "the model revision that made it (a content hash of the model files, as "
    "in the schema's $id); null only where no revision is known (an embedded Enricher)",
}
MESSAGE_ID = {
    "type": "string",
    "pattern": "^[0-9a-f]{32}$",
    "description": "deterministic per raw message and output: de-duplicate on it (payload.md)",
}

Schema = dict[str, Any]


def tag_schema_name(class_name: str, tag: str) -> str:
    return f"{class_name}.{tag}"


def shared_schemas(ns: Namespace) -> dict[str, Schema]:
    """The parts every governed payload has."""
    text_or_null = {"type": ["string", "null"]}
    context_keys = (*CONTEXT_KEYS, *ns.enterprise.context_keys)
    return {
        "message_id": MESSAGE_ID,
        "timestamp": {
            "type": "string",
            "pattern": TIMESTAMP,
            "description": "UTC ISO-8601, milliseconds, Z",
        },
        "quality": {"enum": list(QUALITIES)},
        "asset": {
            "type": "object",
            "description": "ISA-95 level -> node name, from the enterprise down; levels a "
            "branch skips are absent",
            "properties": {
                **{level: {"type": "string"} for level in ("enterprise", *ns.levels)},
                GROUP_KEY: {"type": "string", "description": "a grouped tag's group path"},
            },
            "required": ["enterprise"],
            "additionalProperties": False,
        },
        "context": {
            "type": "object",
            "description": "as of `timestamp`; null when unknown",
            "properties": {key: text_or_null for key in context_keys},
            "required": list(context_keys),
            "additionalProperties": False,
        },
        "source": {
            "type": "object",
            "properties": {
                "topic": {"type": "string", "description": "the raw topic"},
                "binding": {"type": "string", "description": "the binding that placed it"},
                "model": MODEL_REVISION,
                "quality": {
                    "description": "the quality as the source sent it (any JSON value); "
                    "absent when it sent none"
                },
                "received": {"type": "string", "pattern": TIMESTAMP},
            },
            "required": ["topic", "binding", "model", "received"],
            "additionalProperties": False,
        },
    }


def tag_schema(cls: AssetClass, tag: Tag, ref_base: str) -> Schema:
    """The governed payload of one tag of one class."""
    value: Schema = {
        "type": [*STRUCTURED_TYPES.get(tag.datatype, [JSON_TYPES.get(tag.datatype)]), "null"],
        "description": f"{tag.datatype}; null for a Sparkplug null or stale marker, or a bad "
        "status sent without a value",
    }
    if tag.datatype == "int":
        value["description"] = "int: integral unless a binding converts units or scales it"
    if tag.datatype == "dataset":
        value["items"] = {
            "type": "object",
            "properties": {c: {"type": [JSON_TYPES[dt], "null"]} for c, dt in tag.columns},
            "required": [c for c, _ in tag.columns],
            "additionalProperties": False,
        }
    if tag.range is not None and tag.datatype in ("int", "float"):
        value["x-uns-range"] = list(tag.range)  # a plausibility range, not enforced on output
    schema: Schema = {
        "title": f"{cls.name} {tag.name}",
        "type": "object",
        "properties": {
            "id": {"$ref": f"{ref_base}message_id"},
            "value": value,
            "timestamp": {"$ref": f"{ref_base}timestamp"},
            "timestamp_source": {"enum": ["source", "arrival"]},
            "quality": {"$ref": f"{ref_base}quality"},
            "unit": {"const": tag.unit},
            "asset": {"$ref": f"{ref_base}asset"},
            "context": {"$ref": f"{ref_base}context"},
            "source": {"$ref": f"{ref_base}source"},
        },
        "required": [  # "id" too on what `uns run` publishes (the pipeline alone has none)
            "value",
            "timestamp",
            "timestamp_source",
            "quality",
            "unit",
            "asset",
            "context",
            "source",
        ],
        "additionalProperties": False,
    }
    if tag.description:
        schema["description"] = tag.description
    return schema


def deadletter_schema() -> Schema:
    return {
        "title": "dead letter",
        "type": "object",
        "properties": {
            "id": MESSAGE_ID,
            "reason": {"type": "string", "pattern": "^[a-z0-9_]+$"},
            "detail": {"type": "string"},
            "topic": {"type": "string", "description": "the raw topic"},
            "received": {"type": "string", "pattern": TIMESTAMP},
            "binding": {"type": ["string", "null"]},
            "model": MODEL_REVISION,
            "payload": {"type": "string", "description": "the raw payload, text or base64"},
            "payload_encoding": {"enum": ["utf-8", "base64", "utf-8-excerpt"]},
            "payload_bytes": {"type": "integer", "description": "with an excerpt: the raw size"},
            "payload_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "values": {
                "type": "array",
                "items": {"type": "string"},
                "description": "in a batch: the names of the values that failed for this reason",
            },
        },
        "required": [
            "reason",
            "detail",
            "topic",
            "received",
            "binding",
            "model",
            "payload",
            "payload_encoding",
        ],
        "additionalProperties": False,
    }


def payload_schemas(ns: Namespace, ref_base: str) -> dict[str, Schema]:
    """Shared parts, one schema per (class, tag) the model uses, and `deadletter`."""
    out = shared_schemas(ns)
    for cls in sorted(ns.classes.values(), key=lambda c: c.name):
        for name, tag in sorted(cls.tags.items()):
            out[tag_schema_name(cls.name, name)] = tag_schema(cls, tag, ref_base)
    out["deadletter"] = deadletter_schema()
    return out


def json_schema_bundle(ns: Namespace, revision: str) -> Schema:
    """One JSON Schema 2020-12 document: any payload `uns` publishes for this model."""
    defs = payload_schemas(ns, "#/$defs/")
    payloads = [k for k in defs if "." in k] + ["deadletter"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:uns:{ns.enterprise.name}:payloads:{revision}",
        "title": f"{ns.enterprise.name}: governed payloads and dead letters",
        "description": "Each `$defs/<class>.<tag>` is the payload on that tag's governed "
        "topics; `$defs/deadletter` the dead-letter payload (docs/payload.md).",
        "anyOf": [{"$ref": f"#/$defs/{k}"} for k in payloads],
        "$defs": defs,
    }
