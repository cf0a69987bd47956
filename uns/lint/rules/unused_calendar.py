"""Every shift calendar is used by a site.

PASS:

    calendars: {three-shift: {kind: weekly, shifts: [...]}}
    sites: {cologne: {timezone: Europe/Berlin, calendar: three-shift}}

FAIL:

    calendars:
      three-shift: {kind: weekly, shifts: [...]}
      old-plan: {kind: weekly, shifts: [...]}     # no site uses it
"""

from __future__ import annotations

from collections.abc import Iterator

from uns.lint.graph import ModelGraph, calendar_id
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Problem

ID = "unused-calendar"
DEFAULT_LEVEL: Level = "warning"


class Options(RuleOptions):
    pass


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    for name in ns.calendars:
        if model.g.in_degree(calendar_id(name)) == 0:
            pos = ns.calendar_pos.get(name, ns.enterprise_pos)
            yield Problem.at(pos, f"calendar {name} is not used by any site")
