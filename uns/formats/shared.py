"""What the payload decoders share: raw samples, field paths, bytes -> JSON, decode errors.

Each format module (`uns.formats.json_object`, `scalar`, `kepware`, `records`) builds its
decoder once per binding; it is then a plain `(payload) -> list[RawSample]`.
A `RawSample` keeps value, timestamp and quality exactly as the payload had them; turning
them into typed values, UTC ms and good/uncertain/bad is `uns.normalize`'s job.

Field paths are dot paths with list indices: `value`, `data.value`, `values.0.v`
(`values[0].v` and a leading `$.` are accepted too; `$` alone is the whole document).
Keys that contain dots cannot be addressed. A path that does not resolve gives `MISSING`,
so an absent field and an explicit `null` stay distinguishable.

Failures never escape as anything but `DecodeError`, with these reasons:
`empty_payload`, `payload_too_large`, `not_utf8`, `bad_json`, `bad_shape` (valid JSON of the
wrong form), `missing_value`, `missing_name`. A batch fails as a whole when one record is
bad (the detail names the record): half a batch would be silently lost otherwise.

JSON is parsed by orjson, which reads integers beyond 64 bits as floats; such values lose
precision before we see them (send them as strings to keep them exact).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import orjson

from uns.errors import DecodeError, excerpt
from uns.normalize.exact_json import loads_exact

DEFAULT_MAX_SIZE: Final = 1024 * 1024  # 1 MiB; plant payloads are far smaller
# First bytes a JSON text (or JSON with leading whitespace) can start with.
JSON_STARTS: Final = frozenset(b' \t\r\n{["-0123456789tfn')


@dataclass(slots=True, frozen=True)
class RawSample:
    """One value from a payload, before normalization."""

    name: str | None  # record id inside batch formats; None for single-value formats
    value: object
    timestamp: object | None  # raw, as sent
    quality: object | None  # raw, as sent


class _Missing(enum.Enum):
    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing.MISSING
"""What a field path returns when the field is absent (not when it is null)."""

new_object = object.__new__
set_name = vars(RawSample)["name"].__set__
set_value = vars(RawSample)["value"].__set__
set_timestamp = vars(RawSample)["timestamp"].__set__
set_quality = vars(RawSample)["quality"].__set__


def new_sample(name: str | None, value: object, timestamp: object, quality: object) -> RawSample:
    """`RawSample(...)` at about half the cost, for the decoders' inner loops.

    A frozen dataclass's generated `__init__` goes through `object.__setattr__` per field;
    writing the slots through their descriptors is the same effect without that detour.
    """
    sample: RawSample = new_object(RawSample)
    set_name(sample, name)
    set_value(sample, value)
    set_timestamp(sample, timestamp)
    set_quality(sample, quality)
    return sample


FieldPath = Callable[[object], object]
Decoder = Callable[[bytes], list[RawSample]]


# --------------------------------------------------------------------------- field paths


def path_steps(path: str) -> tuple[tuple[str, int | None], ...]:
    text = path.strip()
    if text.startswith("$"):
        text = text[1:].removeprefix(".")
    text = text.replace("[", ".").replace("]", "")  # values[0].v -> values.0.v
    if not text:
        return ()
    steps: list[tuple[str, int | None]] = []
    for segment in text.split("."):
        if not segment:
            raise ValueError(f"field path {path!r} has an empty segment")
        digits = segment.removeprefix("-")
        index = int(segment) if digits.isascii() and digits.isdigit() else None
        steps.append((segment, index))
    return tuple(steps)


def compile_field_path(path: str) -> FieldPath:
    """A getter for `path`; returns MISSING when any step is absent. Bad paths: ValueError."""
    if not path.strip():
        raise ValueError("field path is empty (use '$' for the whole document)")
    steps = path_steps(path)
    if not steps:
        return lambda doc: doc
    if len(steps) == 1 and steps[0][1] is None:
        key = steps[0][0]
        # The common case, one plain key: one type check and one dict lookup.
        return lambda doc: doc.get(key, MISSING) if type(doc) is dict else MISSING

    def get(doc: object) -> object:
        node = doc
        for key, index in steps:
            if type(node) is dict:
                node = node.get(key, MISSING)
                if node is MISSING:
                    return MISSING
            elif type(node) is list and index is not None:
                if not -len(node) <= index < len(node):
                    return MISSING
                node = node[index]
            else:
                return MISSING
        return node

    return get


# --------------------------------------------------------------------------- bytes -> JSON


def short_repr(value: object) -> str:
    return excerpt(value, 60)


def json_type(doc: object) -> str:
    if isinstance(doc, dict):
        return "an object"
    if isinstance(doc, list):
        return "an array"
    if doc is None:
        return "null"
    return f"a {type(doc).__name__}"


def check_size(payload: bytes, max_size: int) -> None:
    size = len(payload)
    if size == 0:
        raise DecodeError("empty_payload", "empty payload")
    if size > max_size:
        raise DecodeError("payload_too_large", f"payload is {size} bytes, limit {max_size}")


def text_or_error(payload: bytes) -> str:
    if isinstance(payload, str):  # tolerated: orjson takes str as well as bytes
        return payload
    try:
        if type(payload) is bytes:
            return payload.decode("utf-8")
        return bytes(payload).decode("utf-8")  # bytearray, memoryview
    except UnicodeDecodeError as exc:
        detail = f"payload is not UTF-8: {exc.reason} at byte {exc.start}"
        raise DecodeError("not_utf8", detail) from None


def load_json(payload: bytes, max_size: int) -> object:
    check_size(payload, max_size)
    try:
        return loads_exact(payload)
    except (orjson.JSONDecodeError, TypeError) as exc:
        # Error path only: find out which reason applies.
        text = text_or_error(payload)
        if not text.strip():
            raise DecodeError("empty_payload", "payload is only whitespace") from None
        raise DecodeError("bad_json", f"invalid JSON: {exc}") from None


def name_of(raw: object, where: str) -> str:
    if type(raw) is str and raw:
        return raw
    if raw is MISSING or raw is None or raw == "":
        raise DecodeError("missing_name", f"{where}: no name")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)  # numeric ids (e.g. Siemens Databus) name a tag as well as text
    raise DecodeError("bad_shape", f"{where}: name must be a string, got {short_repr(raw)}")


def single_keys(*paths: str | None) -> tuple[str | None, ...] | None:
    """The plain keys when every given path is one plain key (no nesting, no index)."""
    keys: list[str | None] = []
    for path in paths:
        steps = None if path is None else path_steps(path)
        if steps is not None and (len(steps) != 1 or steps[0][1] is not None):
            return None
        keys.append(None if steps is None else steps[0][0])
    return tuple(keys)


def optional(getter: FieldPath | None, doc: object) -> object | None:
    if getter is None:
        return None
    found = getter(doc)
    return None if found is MISSING else found


def set_path(doc: dict[str, object], path: str, value: object) -> None:
    """Put `value` at a field path, creating objects on the way: the encoders' inverse of
    `compile_field_path` for paths without list indices ("$." is the root)."""
    text = path.strip().removeprefix("$").removeprefix(".").replace("[", ".").replace("]", "")
    *parents, last = text.split(".")
    node = doc
    for key in parents:
        child = node.setdefault(key, {})
        assert isinstance(child, dict)
        node = child
    node[last] = value
