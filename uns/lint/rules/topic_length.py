"""A governed topic is at most `naming.max_topic_bytes` bytes long (UTF-8).

MQTT allows 65535 bytes, but historians, Kafka bridges and databases cut much earlier.
Reported once per equipment, naming its longest topic and how many are too long.

Options: `max` (default: null = use the model's `naming.max_topic_bytes`).

PASS:

    enterprise: {name: acme, naming: {max_topic_bytes: 128}}
    classes: {oven: {tags: {temperature: float}}}

FAIL (with max_topic_bytes 32, "acme/cologne/baking/line-1/oven-1/temperature" is 45 bytes):

    enterprise: {name: acme, naming: {max_topic_bytes: 32}}
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Problem

ID = "topic-length"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    max: int | None = Field(default=None, ge=1)


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    limit = opts.max if opts.max is not None else ns.enterprise.naming.max_topic_bytes
    tag_bytes: dict[str, int] = {}
    for node in ns.equipment():
        if not node.tags:
            continue
        base = len(model.topic_slot(node).encode()) - 1  # minus the tag slot
        too_long = 0
        longest, longest_len = "", 0
        for tag in node.tags:
            n = tag_bytes.get(tag)
            if n is None:
                n = tag_bytes[tag] = len(tag.encode())
            if base + n > limit:
                too_long += 1
                if base + n > longest_len:
                    longest, longest_len = tag, base + n
        if too_long:
            yield Problem.at(
                node.pos,
                f"{too_long} governed topic(s) longer than {limit} bytes; longest is "
                f"{longest_len} bytes: {model.topic(node, longest)}",
            )
