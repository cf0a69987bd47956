"""A `ContextStore`'s whole state as plain data, and a store rebuilt from such data.

The service keeps no store across restarts, so only tests use these: to see that an operation
left the state unchanged, that two insertion orders end in the same state, and that the state
is fully described by this data (a round trip gives a store answering every lookup alike).
"""

from __future__ import annotations

from typing import Any

from uns.context.production import _END, _SET, CONTEXT_KEYS, ContextStore, Scope

SNAPSHOT_FORMAT = 1
_KIND_NAMES = {_END: "end", _SET: "set"}
_KINDS_BY_NAME = {"end": _END, "set": _SET}


def snapshot(store: ContextStore) -> dict[str, Any]:
    """The whole state as JSON-serialisable data, in a stable order; see `restore`."""
    defaults = [
        {"scope": list(scope), "key": CONTEXT_KEYS[index], "value": value}
        for (scope, index), value in sorted(store._defaults.items())
    ]
    timelines = [
        {
            "scope": list(scope),
            "key": CONTEXT_KEYS[index],
            "floor": timeline.floor,
            "events": [[ts, _KIND_NAMES[kind], value] for ts, kind, value in timeline.events],
        }
        for (scope, index), timeline in sorted(store._timelines.items(), key=lambda kv: kv[0])
    ]
    return {
        "format": SNAPSHOT_FORMAT,
        "history": store.history,
        "defaults": defaults,
        "timelines": timelines,
    }


def restore(data: dict[str, Any]) -> ContextStore:
    """Rebuild a store from `snapshot` data; raises ValueError naming what is malformed."""
    try:
        if data["format"] != SNAPSHOT_FORMAT:
            raise ValueError(f"unsupported format {data['format']!r}")
        store = ContextStore(history=_int(data["history"], "history"))
        for item in data["defaults"]:
            value = item["value"]
            if not isinstance(value, str):
                raise ValueError(f"default value {value!r} is not a string")
            store.set_default(_scope(item["scope"]), item["key"], value)
        for item in data["timelines"]:
            timeline = store._timeline(_scope(item["scope"]), item["key"])
            floor = item["floor"]
            timeline.floor = None if floor is None else _int(floor, "floor")
            for ts, kind_name, value in item["events"]:
                kind = _KINDS_BY_NAME[kind_name]
                if value is not None and not isinstance(value, str):
                    raise ValueError(f"event value {value!r} is not a string or null")
                timeline.add((_int(ts, "event time"), kind, value), store.history)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed context snapshot: {exc!r}") from exc
    return store


def _int(value: object, what: str) -> int:
    if type(value) is not int:  # bool is an int subclass; reject it too
        raise ValueError(f"{what} {value!r} is not an integer")
    return value


def _scope(value: object) -> Scope:
    if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
        raise ValueError(f"scope {value!r} is not a list of strings")
    return tuple(value)
