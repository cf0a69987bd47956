"""No governed topic level may hold characters that break brokers or consumers.

Checked in every name that becomes a topic level (enterprise, every node, every canonical tag):
empty names, MQTT wildcards `+` and `#`, the level separator `/`, a leading `$` (reserved by
brokers for `$SYS` and `$share`), whitespace, control and format characters (NUL, tabs, zero
width spaces, ...), and, when `naming.ascii_only` is true (the default), anything outside ASCII.
The loader already refuses `+ # /`, NUL and a leading `$` in node names; this rule covers tag
names and the rest.

Options: `ascii-only` (default: null = use the model's `naming.ascii_only`).

A grouped tag (`status/state`) is checked part by part.

PASS:

    classes:
      oven:
        tags: {zone_1_temperature: float, status/state: int}

FAIL:

    classes:
      oven:
        tags:
          "zone 1 temp": float   # whitespace
          "temp#1": float        # MQTT wildcard
          "température": float   # non-ASCII (with naming.ascii_only: true)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from uns.lint.graph import ModelGraph
from uns.lint.options import RuleOptions
from uns.model.problem import Level, Position, Problem
from uns.model.tag_paths import tag_levels

ID = "forbidden-characters"
DEFAULT_LEVEL: Level = "error"


class Options(RuleOptions):
    ascii_only: bool | None = None


def faults(name: str, ascii_only: bool) -> list[str]:
    """What is wrong with `name` as a topic level (empty list: nothing)."""
    if not name:
        return ["is empty"]
    out = []
    wild = sorted({c for c in name if c in "+#/"})
    if wild:
        out.append("contains " + ", ".join(repr(c) for c in wild))
    if name.startswith("$"):
        out.append("starts with '$' (reserved by brokers)")
    if any(c.isspace() for c in name):
        out.append("contains whitespace")
    control = [c for c in name if unicodedata.category(c) in ("Cc", "Cf") and not c.isspace()]
    if control:
        out.append("contains control characters " + ", ".join(f"U+{ord(c):04X}" for c in control))
    if ascii_only and not name.isascii():
        odd = "".join(sorted({c for c in name if not c.isascii()}))
        out.append(f"contains non-ASCII characters {odd!r} (naming.ascii_only)")
    return out


def check(model: ModelGraph, opts: Options) -> Iterator[Problem]:
    ns = model.ns
    ascii_only = ns.enterprise.naming.ascii_only if opts.ascii_only is None else opts.ascii_only
    named: list[tuple[str, str, Position]] = [
        ("enterprise name", ns.enterprise.name, model.key_position(ns.enterprise_pos, "name"))
    ]
    named += [(f"{n.level} name", n.name, n.pos) for n in ns.nodes.values()]
    for cls in ns.classes.values():
        named += [
            (f"tag name (class {cls.name})", part, t.pos)
            for t in cls.own_tags.values()
            for part in tag_levels(t.name)  # a tag group's `/` separates levels
        ]
    for what, name, pos in named:
        for fault in faults(name, ascii_only):
            yield Problem.at(pos, f"{what} {name!r} {fault}")
