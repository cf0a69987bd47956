"""Running a test model's messages through the pipeline: shared by the issue-12 model tests."""

from __future__ import annotations

from typing import Any

import orjson

from uns.context.production import ContextStore
from uns.model.namespace import Namespace
from uns.pipeline import Enricher

NOW = 1_774_346_400_000  # 2026-03-24T10:00:00Z


def context_after(
    ns: Namespace, *messages: tuple[str, bytes], data_topic: str = "plc/pump-1/flow"
) -> dict[str, Any]:
    """The `context` of a value on `data_topic` after the MES `messages`, sent a second
    earlier in order (each must be taken silently, as context is)."""
    enricher = Enricher(ns, ContextStore())
    for i, (topic, payload) in enumerate(messages):
        assert enricher.process(topic, payload, NOW - 1000 + i) == [], topic
    outs = enricher.process(data_topic, b'{"value": 1}', NOW)
    assert [o.kind for o in outs] == ["enriched"], outs
    context: dict[str, Any] = orjson.loads(outs[0].payload)["context"]
    return context
