"""Shift boundaries and the demo clock: a clock offset that shows a shift change at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from uns.context.shifts import ShiftResolver
from uns.model.namespace import Namespace

__all__ = ["auto_clock_offset_ms", "shift_boundaries"]

_DAY_MS = 86_400_000


def shift_boundaries(ns: Namespace, start_ms: int, end_ms: int) -> list[tuple[int, str]]:
    """Every instant in (start_ms, end_ms] where a site's shift changes, as (ms, site), sorted."""
    found: set[tuple[int, str]] = set()
    for name, site in ns.sites.items():
        calendar = ns.calendars.get(site.calendar) if site.calendar else None
        if calendar is None:
            continue
        tz = ZoneInfo(site.timezone)
        resolver = ShiftResolver(calendar, tz)
        first = datetime.fromtimestamp(start_ms / 1000, tz).date() - timedelta(days=2)
        last = datetime.fromtimestamp(end_ms / 1000, tz).date() + timedelta(days=1)
        for inst in resolver.iter_shifts(first, last + timedelta(days=1)):
            for edge in (inst.start_ms, inst.end_ms):
                # Back-to-back shifts share an edge; only a real change of answer counts.
                if start_ms < edge <= end_ms and resolver.shift_at(edge - 1) != resolver.shift_at(
                    edge
                ):
                    found.add((edge, name))
    return sorted(found)


def auto_clock_offset_ms(
    ns: Namespace,
    now_ms: int,
    *,
    lead_ms: int = 30_000,
    horizon_ms: int = 20 * 3_600_000,
) -> int:
    """A clock offset that puts a shift change of some site `lead_ms` after the start.

    The next change within `horizon_ms` is preferred (timestamps stay less than a day ahead,
    which the service still takes as source time); else the latest one in the past week.
    Without calendars, 0.
    """
    ahead = shift_boundaries(ns, now_ms, now_ms + horizon_ms)
    if ahead:
        return ahead[0][0] - lead_ms - now_ms
    behind = shift_boundaries(ns, now_ms - 8 * _DAY_MS, now_ms)
    if behind:
        return behind[-1][0] - lead_ms - now_ms
    return 0
