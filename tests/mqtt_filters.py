"""MQTT topic-filter matching, as a broker does it: the oracle the topic tests compare against.

Only tests use it (the service never matches filters itself), so it lives here, not in `uns`.
"""

from __future__ import annotations


def filter_matches(filter_: str, topic: str) -> bool:
    """MQTT filter matching (`+`, `#`, `$share/group/` prefix)."""
    if filter_.startswith("$share/"):
        parts = filter_.split("/", 2)
        if len(parts) < 3:
            return False
        filter_ = parts[2]
    f_levels = filter_.split("/")
    t_levels = topic.split("/")
    if topic.startswith("$") and f_levels[0] in ("+", "#"):
        return False  # MQTT: wildcards at the first level never match $-topics
    for i, f in enumerate(f_levels):
        if f == "#":
            return True
        if i >= len(t_levels):
            return False
        if f != "+" and f != t_levels[i]:
            return False
    return len(f_levels) == len(t_levels)
