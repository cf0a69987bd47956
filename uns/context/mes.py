"""Reading MES context messages (batch / product / order announcements) and applying them.

A context source names field paths for the keys it announces, an optional timestamp field and,
in `events` mode, an event field whose words mean start or end; or (`format: scalar`) takes the
whole payload as the value of one key. Reading is pure; `apply_update`
writes into the `ContextStore`.

A context value is copied into every enriched message of its scope until the next one, so its
length is bounded (`max_value_chars`): a longer one refuses the whole message with
`context_value_too_long` rather than making every message of the line that big.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import orjson

from uns.context.production import ContextKey, ContextStore
from uns.errors import DecodeError, excerpt
from uns.formats.shared import MISSING, compile_field_path
from uns.model.specs import ContextSourceSpec
from uns.normalize.exact_json import loads_exact

TimestampParser = Callable[[object, int], int | None]

DEFAULT_MAX_VALUE_CHARS = 1024


@dataclass(frozen=True, slots=True)
class MesUpdate:
    ts_ms: int
    event: Literal["current", "start", "end"]
    values: dict[ContextKey, str | None]


class MesReader:
    """Compiled once per context source."""

    def __init__(
        self, spec: ContextSourceSpec, max_value_chars: int = DEFAULT_MAX_VALUE_CHARS
    ) -> None:
        self.spec = spec
        self.max_value_chars = max_value_chars
        self._fields = [(key, compile_field_path(path)) for key, path in spec.fields.items()]
        self._timestamp = compile_field_path(spec.timestamp) if spec.timestamp else None
        self._event = compile_field_path(spec.event.field) if spec.event else None

    def read(self, payload: bytes, received_ms: int, parse_ts: TimestampParser) -> MesUpdate:
        """The update a message announces; DecodeError with a reason if it cannot be used."""
        try:
            doc = loads_exact(payload)
        except orjson.JSONDecodeError as exc:
            raise DecodeError("bad_json", f"MES payload is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise DecodeError("bad_shape", "MES payload must be a JSON object")
        ts = received_ms
        if self._timestamp is not None:
            raw_ts = self._timestamp(doc)
            if raw_ts is not MISSING and raw_ts is not None:
                ts = parse_ts(raw_ts, received_ms) or received_ms
        values: dict[ContextKey, str | None] = {}
        for key, getter in self._fields:
            raw = getter(doc)
            if raw is MISSING:
                continue
            if raw is not None and (
                isinstance(raw, bool) or not isinstance(raw, str | int | float)
            ):
                raise DecodeError("bad_value", f"{key} must be text or a number, not {raw!r}")
            values[key] = _bounded(key, None if raw is None else str(raw), self.max_value_chars)
        if not values:
            raise DecodeError("missing_value", "the MES message has none of the configured fields")
        event: Literal["current", "start", "end"] = "current"
        if self._event is not None and self.spec.event is not None:
            word = self._event(doc)
            if word == self.spec.event.start:
                event = "start"
            elif word == self.spec.event.end:
                event = "end"
            else:
                raise DecodeError(
                    "bad_event",
                    f"event {word!r} is neither {self.spec.event.start!r} "
                    f"nor {self.spec.event.end!r}",
                )
        return MesUpdate(ts, event, values)


def _bounded(key: str, text: str | None, max_chars: int) -> str | None:
    if text is not None and len(text) > max_chars:
        raise DecodeError(
            "context_value_too_long",
            f"{key} is {len(text)} characters (> {max_chars}): {excerpt(text, 40)}",
        )
    return text


def read_scalar(
    payload: bytes,
    key: ContextKey,
    received_ms: int,
    max_value_chars: int = DEFAULT_MAX_VALUE_CHARS,
) -> MesUpdate:
    """A bare value published on its own topic (`.../workorder` = `WO-1234`), at arrival time.

    The payload is a JSON scalar (`"WO-1234"`, `42`) or plain text (`WO-1234`); an empty
    payload or JSON `null` clears the key (an MES clearing its retained topic)."""
    if not payload.strip():
        return MesUpdate(received_ms, "current", {key: None})
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        try:
            doc = payload.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise DecodeError("not_utf8", f"{key}: the payload is not UTF-8 text") from None
    if doc is not None and (isinstance(doc, bool) or not isinstance(doc, str | int | float)):
        raise DecodeError("bad_value", f"{key} must be text or a number, not {doc!r}")
    text = None if doc is None else str(doc)
    return MesUpdate(received_ms, "current", {key: _bounded(key, text, max_value_chars)})


def apply_update(store: ContextStore, scope: tuple[str, ...], update: MesUpdate) -> list[str]:
    """Write the update into the store; returns the keys whose `end` matched nothing open."""
    unmatched: list[str] = []
    for key, value in update.values.items():
        if update.event == "current":
            store.announce(scope, key, value, update.ts_ms)
        elif update.event == "start":
            if value is not None:
                store.start(scope, key, value, update.ts_ms)
        elif not store.end(scope, key, update.ts_ms, value):
            unmatched.append(key)
    return unmatched
