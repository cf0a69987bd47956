"""What the pipeline hands back: messages to publish, rejections, traces and counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["enriched", "deadletter", "command"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to publish."""

    topic: str
    payload: bytes
    retain: bool
    kind: Kind
    reason: str | None = None  # dead-letter reason code
    qos: int | None = None  # None: the service's QoS; commands (Sparkplug NCMD) use 0


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a sample (or a whole message) cannot be placed."""

    reason: str
    detail: str


@dataclass(slots=True)
class Trace:
    """What `uns explain` shows: the route taken and each step's outcome."""

    kind: Literal["binding", "context", "none"] = "none"
    name: str | None = None
    pattern: str | None = None
    captures: dict[str, str] = field(default_factory=dict)
    candidates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Counters:
    """Plain counts the service exports as metrics (pure code keeps no Prometheus objects)."""

    context_updates: int = 0
    context_unmatched_ends: dict[str, int] = field(default_factory=dict)  # by context key
    sparkplug_seq_gaps: int = 0
    sparkplug_rebirths: int = 0
    sparkplug_rebirths_throttled: int = 0  # held back by the per-node or global limit
    sparkplug_nodes_evicted: int = 0  # dropped to bound the host state
    sparkplug_problems: dict[str, int] = field(default_factory=dict)  # by reason
