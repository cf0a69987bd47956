"""A fake simulated device for the encoders: fixed values, recorded timestamps and qualities."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

from uns.model.specs import BindingSpec


@dataclass(slots=True)
class FixedPoint:
    """A `WirePoint` whose value never changes."""

    name: str | None
    fixed: object

    def value(self, rng: random.Random) -> object:
        return self.fixed


@dataclass(slots=True)
class RecordingSource:
    """A `WireSource` writing epoch-ms timestamps and a fixed quality, remembering both."""

    rng: random.Random = field(default_factory=lambda: random.Random(7))
    raw_quality: object = 192
    timestamps: list[int] = field(default_factory=list)
    scans: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def timestamp(self, ts_ms: int) -> object:
        self.timestamps.append(ts_ms)
        return ts_ms

    def quality(self) -> object:
        return self.raw_quality

    def next_scan(self) -> int:
        return next(self.scans)


def binding(**options: object) -> BindingSpec:
    """A binding spec with the options a format reads; topic and equipment are fillers."""
    base: dict[str, object] = {"topic": "raw/{tag}", "equipment": "site/area/line/cell/eq"}
    return BindingSpec.model_validate(base | options)
