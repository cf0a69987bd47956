"""Format `sparkplug`: Sparkplug B, registered here, decoded by the host in `uns.sparkplug`.

Sparkplug messages are stateful (births define aliases and datatypes), so they are not decoded
per binding: the host turns them into samples and this entry only says so (`host_routed`),
checks the binding's topic (an edge node or device address) and reads the host's
already-normalised quality. The simulator encodes Sparkplug itself (births, aliases, seq).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from uns.formats.base import BindingOptions, PayloadFormat
from uns.normalize.quality import QualityKind


def _check(options: BindingOptions) -> str | None:
    levels = options.topic.split("/")
    if levels[0] != "spBv1.0" or len(levels) not in (3, 4):
        return (
            "a sparkplug binding's topic is 'spBv1.0/{group}/{node}' or "
            "'spBv1.0/{group}/{node}/{device}' (no message type)"
        )
    return None


def host_quality(raw: object) -> str:
    """The host's word as is: `uns.sparkplug.samples` normalised it already."""
    return cast(str, raw)


def _quality_parser(kind: QualityKind) -> Callable[[object], str]:
    return host_quality  # the host has normalised it already, whatever `quality_format` says


SPARKPLUG = PayloadFormat(
    name="sparkplug",
    check=_check,
    decoder=None,
    encode=None,
    batch=True,
    partial_batches=True,
    host_routed=True,
    nullable=True,  # a null or stale metric is published as null
    quality_parser=_quality_parser,
)
