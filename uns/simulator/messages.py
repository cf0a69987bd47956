"""What the simulator hands out (`RawMessage`) and what it is built from (`Point`, `Unit`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from uns.model.namespace import Binding, Node, Tag
from uns.simulator.values import JsonValue, Signal

__all__ = ["Kind", "Point", "RawMessage", "Unit"]

Kind = Literal["data", "context", "invalid"]


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message to publish to the raw side of the broker."""

    topic: str
    payload: bytes
    kind: Kind
    source: str  # binding or context source name ("-" for a topic nothing matches)
    retain: bool = False
    expect: str | None = None  # the dead-letter reason an invalid message should get


@dataclass(slots=True)
class Point:
    """One raw source of one canonical tag: topic, id inside a batch, and how to spell values."""

    binding: Binding
    topic: str
    name: str | None  # id inside a kepware / records payload
    node: Node
    tag: Tag
    raw_tag: str
    signal: Signal
    encode: Callable[[JsonValue], JsonValue]

    def value(self, rng: random.Random) -> JsonValue:
        return self.encode(self.signal.next(rng))


@dataclass(slots=True)
class Unit:
    """What one data message is made of: one point, or the points of one batch topic."""

    binding: Binding
    points: list[Point]
    batch: bool
