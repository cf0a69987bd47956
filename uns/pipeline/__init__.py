"""The contextualization pipeline: raw MQTT message in, governed (or dead-letter) messages out.

Modules by concern: `enricher` (routing and the public `Enricher`), `plans` (what is static
per raw topic and sample id), `samples` (the per-sample hot path), `context_updates` (MES
messages), `deadletters` (rejections -> dead-letter messages), `outputs` (the result types).
Payload formats live in `uns.formats`.
"""

from __future__ import annotations

from uns.pipeline.enricher import DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_TOPIC, Enricher
from uns.pipeline.outputs import Counters, Kind, Outgoing, Rejection, Trace
from uns.pipeline.plans import TagPlan

__all__ = [
    "DEFAULT_MAX_PAYLOAD",
    "DEFAULT_MAX_TOPIC",
    "Counters",
    "Enricher",
    "Kind",
    "Outgoing",
    "Rejection",
    "TagPlan",
    "Trace",
]
