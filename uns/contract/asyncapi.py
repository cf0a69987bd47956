"""An AsyncAPI 3.0 document of the governed tree. Pure.

Channels follow the topic layout: the equipment of one class whose branch has the same levels
share one channel, its address the layout with a `{level}` parameter per level (enumerating the
names the model has) and `{tag}` (the class's tags). Each tag is one message whose payload is
its schema from `uns.contract.payloads`. The dead-letter branch is one more channel.
"""

from __future__ import annotations

import re
from typing import Any

from uns.contract.payloads import payload_schemas, tag_schema_name
from uns.model.namespace import Namespace, Node
from uns.model.template import Template

Doc = dict[str, Any]
_SAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def _placeholders(node: Node) -> Node:
    """A copy of `node`'s branch whose names are `{level}`: renders the address template."""
    chain: list[Node] = []
    cursor: Node | None = node
    while cursor is not None:
        chain.append(cursor)
        cursor = cursor.parent
    parent: Node | None = None
    for real in reversed(chain):
        parent = Node(f"{{{real.level}}}", real.level, real.path, real.pos, parent)
    assert parent is not None
    return parent


def _key(text: str) -> str:
    return _SAFE.sub("_", text)


def asyncapi_document(ns: Namespace, revision: str) -> Doc:
    enterprise = ns.enterprise.name
    shapes: dict[tuple[str, tuple[str, ...]], dict[str, set[str]]] = {}
    addresses: dict[tuple[str, tuple[str, ...]], str] = {}
    for node in sorted(ns.equipment(), key=lambda n: n.path):
        assert node.asset_class is not None
        branch: list[Node] = []
        cursor: Node | None = node
        while cursor is not None:
            branch.insert(0, cursor)
            cursor = cursor.parent
        key = (node.asset_class.name, tuple(n.level for n in branch))
        names = shapes.setdefault(key, {})
        for n in branch:
            names.setdefault(n.level, set()).add(n.name)
        if key not in addresses:
            rendered = ns.governed_levels(_placeholders(node), "{tag}")
            addresses[key] = "/".join(rendered)

    channels: Doc = {}
    operations: Doc = {}
    messages: Doc = {}
    for (class_name, levels), names in sorted(shapes.items()):
        cls = ns.classes[class_name]
        channel_id = _key(f"{class_name}--{'-'.join(levels)}")
        channel_messages: Doc = {}
        for tag in sorted(cls.tags):
            schema_name = tag_schema_name(class_name, tag)
            messages[_key(schema_name)] = {
                "name": schema_name,
                "title": f"{class_name} {tag}",
                "contentType": "application/json",
                "payload": {"$ref": f"#/components/schemas/{schema_name}"},
            }
            channel_messages[_key(tag)] = {"$ref": f"#/components/messages/{_key(schema_name)}"}
        parameters: Doc = {
            level: {"enum": sorted(names[level]), "description": f"ISA-95 {level}"}
            for level in levels
            if f"{{{level}}}" in addresses[(class_name, levels)]
        }
        parameters["tag"] = {"enum": sorted(cls.tags), "description": f"a tag of {class_name}"}
        channels[channel_id] = {
            "address": addresses[(class_name, levels)],
            "title": f"{class_name} equipment under {' / '.join(levels)}",
            "parameters": parameters,
            "messages": channel_messages,
        }
        operations[f"publish-{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [
                {"$ref": f"#/channels/{channel_id}/messages/{k}"} for k in channel_messages
            ],
        }

    prefix = ns.enterprise.topics.prefix
    dead = Template.parse(ns.enterprise.topics.deadletter).source.replace(
        "{enterprise}", enterprise
    )
    channels["deadletter"] = {
        "address": f"{prefix}/{dead}" if prefix else dead,
        "title": "messages uns could not place, with the reason",
        "parameters": {"reason": {"description": "a reason code (docs/payload.md)"}},
        "messages": {"deadletter": {"$ref": "#/components/messages/deadletter"}},
    }
    operations["publish-deadletter"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/deadletter"},
        "messages": [{"$ref": "#/channels/deadletter/messages/deadletter"}],
    }
    messages["deadletter"] = {
        "name": "deadletter",
        "contentType": "application/json",
        "payload": {"$ref": "#/components/schemas/deadletter"},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"{enterprise} Unified Namespace",
            "version": revision,
            "description": "The governed topic tree published by uns (one channel per class "
            "and branch shape), generated from the models by `uns schema --format asyncapi`.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": payload_schemas(ns, "#/components/schemas/"),
        },
    }
