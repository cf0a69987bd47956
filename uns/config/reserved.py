"""Governed topics that would land in the dead-letter branch are refused.

A node or tag named like the dead-letter level (`_deadletter` by default) would publish good
data where consumers expect rejects, and a dead-letter subscriber would read it as a reject.
Every governed topic is checked against the branch (`{reason}` standing for any level).
"""

from __future__ import annotations

from uns.config.entries import ProblemLog
from uns.model.namespace import Namespace
from uns.model.tag_paths import tag_levels

_SLOT = "\x00"


def check_reserved_branches(ns: Namespace, ld: ProblemLog) -> None:
    branch = ns.deadletter_branch()
    depth = len(branch.levels)
    shown = str(ns.deadletter_topic("{reason}"))
    reported: set[object] = set()
    for node in ns.equipment():
        levels = ns.governed_levels(node, _SLOT)
        slot = next((i for i, lvl in enumerate(levels) if _SLOT in lvl), len(levels))
        if slot >= depth:  # the tag cannot reach the compared levels
            if branch.match(levels[:depth]) is not None:
                ld.add(
                    node.pos,
                    f"the governed topics of {node.path_text} fall in the dead-letter branch "
                    f"{shown}: rename the node",
                    "topic-pattern",
                )
            continue
        for tag in node.tags.values():
            tag_part = tag_levels(levels[slot].replace(_SLOT, tag.name))
            full = [*levels[:slot], *tag_part, *levels[slot + 1 :]]
            if branch.match(full[:depth]) is not None and tag.pos not in reported:
                reported.add(tag.pos)
                ld.add(
                    tag.pos,
                    f"tag {tag.name!r} of {node.path_text} is published in the dead-letter "
                    f"branch {shown}: rename the tag or the node",
                    "topic-pattern",
                )
