"""The slow, cache-free answer to `ShiftResolver.shift_at`, the oracle its caches are tested
against. Only tests use it, so it lives here rather than in `uns`."""

from __future__ import annotations

from datetime import datetime, timedelta

from uns.context.shifts import _MAX_TS_MS, _MIN_TS_MS, ShiftInstance, ShiftResolver


def shift_at_uncached(resolver: ShiftResolver, ts_ms: int) -> ShiftInstance | None:
    """The shift covering `ts_ms`, recomputed from the shift instances of the days around it
    (a night shift may start two local days before); overlaps resolve by start, name, crew."""
    if not _MIN_TS_MS <= ts_ms < _MAX_TS_MS:
        return None
    day = datetime.fromtimestamp(ts_ms // 1000, resolver.tz).date()
    covering = [
        inst
        for inst in resolver.iter_shifts(day - timedelta(days=2), day + timedelta(days=2))
        if inst.covers(ts_ms)
    ]
    return min(covering, key=lambda i: (i.start_ms, i.name, i.crew or ""), default=None)
