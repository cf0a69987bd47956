"""Payload decoders: bytes off the wire -> raw samples, nothing interpreted yet.

Each decoder is built once per binding (`json_object_decoder(...)`, `scalar_decoder()`,
`kepware_decoder()`, `records_decoder(...)`) and is then a plain `(payload) -> list[RawSample]`.
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

from uns.errors import DecodeError

__all__ = [
    "DEFAULT_MAX_SIZE",
    "MISSING",
    "Decoder",
    "FieldPath",
    "RawSample",
    "compile_field_path",
    "json_object_decoder",
    "kepware_decoder",
    "records_decoder",
    "scalar_decoder",
]

DEFAULT_MAX_SIZE: Final = 1024 * 1024  # 1 MiB; plant payloads are far smaller
# First bytes a JSON text (or JSON with leading whitespace) can start with.
_JSON_STARTS: Final = frozenset(b' \t\r\n{["-0123456789tfn')


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

_new_object = object.__new__
_set_name = vars(RawSample)["name"].__set__
_set_value = vars(RawSample)["value"].__set__
_set_timestamp = vars(RawSample)["timestamp"].__set__
_set_quality = vars(RawSample)["quality"].__set__


def _sample(name: str | None, value: object, timestamp: object, quality: object) -> RawSample:
    """`RawSample(...)` at about half the cost, for the decoders' inner loops.

    A frozen dataclass's generated `__init__` goes through `object.__setattr__` per field;
    writing the slots through their descriptors is the same effect without that detour.
    """
    sample: RawSample = _new_object(RawSample)
    _set_name(sample, name)
    _set_value(sample, value)
    _set_timestamp(sample, timestamp)
    _set_quality(sample, quality)
    return sample


FieldPath = Callable[[object], object]
Decoder = Callable[[bytes], list[RawSample]]


# --------------------------------------------------------------------------- field paths


def _steps(path: str) -> tuple[tuple[str, int | None], ...]:
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
    steps = _steps(path)
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


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(doc: object) -> str:
    if isinstance(doc, dict):
        return "an object"
    if isinstance(doc, list):
        return "an array"
    if doc is None:
        return "null"
    return f"a {type(doc).__name__}"


def _check_size(payload: bytes, max_size: int) -> None:
    size = len(payload)
    if size == 0:
        raise DecodeError("empty_payload", "empty payload")
    if size > max_size:
        raise DecodeError("payload_too_large", f"payload is {size} bytes, limit {max_size}")


def _text_or_error(payload: bytes) -> str:
    if isinstance(payload, str):  # tolerated: orjson takes str as well as bytes
        return payload
    try:
        if type(payload) is bytes:
            return payload.decode("utf-8")
        return bytes(payload).decode("utf-8")  # bytearray, memoryview
    except UnicodeDecodeError as exc:
        detail = f"payload is not UTF-8: {exc.reason} at byte {exc.start}"
        raise DecodeError("not_utf8", detail) from None


def _load_json(payload: bytes, max_size: int) -> object:
    _check_size(payload, max_size)
    try:
        return orjson.loads(payload)
    except (orjson.JSONDecodeError, TypeError) as exc:
        # Error path only: find out which reason applies.
        text = _text_or_error(payload)
        if not text.strip():
            raise DecodeError("empty_payload", "payload is only whitespace") from None
        raise DecodeError("bad_json", f"invalid JSON: {exc}") from None


def _name_of(raw: object, where: str) -> str:
    if type(raw) is str and raw:
        return raw
    if raw is MISSING or raw is None or raw == "":
        raise DecodeError("missing_name", f"{where}: no name")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)  # numeric ids (e.g. Siemens Databus) name a tag as well as text
    raise DecodeError("bad_shape", f"{where}: name must be a string, got {_short(raw)}")


def _single_keys(*paths: str | None) -> tuple[str | None, ...] | None:
    """The plain keys when every given path is one plain key (no nesting, no index)."""
    keys: list[str | None] = []
    for path in paths:
        steps = None if path is None else _steps(path)
        if steps is not None and (len(steps) != 1 or steps[0][1] is not None):
            return None
        keys.append(None if steps is None else steps[0][0])
    return tuple(keys)


def _optional(getter: FieldPath | None, doc: object) -> object | None:
    if getter is None:
        return None
    found = getter(doc)
    return None if found is MISSING else found


# --------------------------------------------------------------------------- decoders


def json_object_decoder(
    value: str = "value",
    timestamp: str | None = "timestamp",
    quality: str | None = "quality",
    name: str | None = None,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
) -> Decoder:
    """One JSON object -> one sample, e.g. `{"value": 72.4, "timestamp": ..., "quality": 192}`.

    `timestamp`, `quality` and `name` are paths, or None to not look. Absent timestamp or
    quality give None in the sample; an absent value is `missing_value`.
    """
    get_value = compile_field_path(value)
    get_ts = compile_field_path(timestamp) if timestamp is not None else None
    get_q = compile_field_path(quality) if quality is not None else None
    get_name = compile_field_path(name) if name is not None else None

    flat = _single_keys(value, timestamp, quality)
    if flat is not None and name is None:
        value_key, ts_key, q_key = flat

        def decode_flat(payload: bytes) -> list[RawSample]:
            # The default shape: plain dict lookups (`doc.get(None)` is None: JSON keys
            # are never None).
            doc = _load_json(payload, max_size)
            if type(doc) is not dict:
                raise DecodeError("bad_shape", f"expected a JSON object, got {_json_type(doc)}")
            found = doc.get(value_key, MISSING)
            if found is MISSING:
                raise DecodeError("missing_value", f"no {value!r} field")
            return [_sample(None, found, doc.get(ts_key), doc.get(q_key))]

        return decode_flat

    def decode(payload: bytes) -> list[RawSample]:
        doc = _load_json(payload, max_size)
        if type(doc) is not dict:
            raise DecodeError("bad_shape", f"expected a JSON object, got {_json_type(doc)}")
        found = get_value(doc)
        if found is MISSING:
            raise DecodeError("missing_value", f"no {value!r} field")
        return [
            _sample(
                None if get_name is None else _name_of(get_name(doc), f"field {name!r}"),
                found,
                _optional(get_ts, doc),
                _optional(get_q, doc),
            )
        ]

    return decode


def scalar_decoder(*, max_size: int = DEFAULT_MAX_SIZE) -> Decoder:
    """A bare value: JSON (`72.4`, `true`, `"RUN"`, `null`) or plain UTF-8 text (`RUN`).

    Text that starts like JSON (`{`, `[`, `"`) but does not parse is `bad_json`, not text;
    surrounding whitespace is dropped; a JSON object or array is `bad_shape`.
    """

    def decode(payload: bytes) -> list[RawSample]:
        _check_size(payload, max_size)
        if payload[0] not in _JSON_STARTS:
            # Cannot be JSON (`RUN`, `Running`): skip the parser and its exception.
            return [_sample(None, _text_or_error(payload).strip(), None, None)]
        try:
            doc = orjson.loads(payload)
        except (orjson.JSONDecodeError, TypeError) as exc:
            text = _text_or_error(payload).strip()
            if not text:
                raise DecodeError("empty_payload", "payload is only whitespace") from None
            if text[0] in '{["':
                raise DecodeError("bad_json", f"invalid JSON: {exc}") from None
            return [_sample(None, text, None, None)]
        if type(doc) is dict or type(doc) is list:
            raise DecodeError("bad_shape", f"expected a single value, got {_json_type(doc)}")
        return [_sample(None, doc, None, None)]

    return decode


def records_decoder(
    records: str,
    *,
    name: str | None = None,
    value: str = "value",
    timestamp: str | None = None,
    quality: str | None = None,
    envelope_timestamp: str | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> Decoder:
    """An array of records at path `records` (`$` for a top-level array) -> one sample each.

    `name`, `value`, `timestamp` and `quality` are paths inside one record. A record's own
    timestamp wins; `envelope_timestamp` (a path from the document root) is used only when
    the record's is absent or null. An empty array gives no samples.
    """
    get_records = compile_field_path(records)
    get_value = compile_field_path(value)
    value_is_record = not _steps(value)  # value "$": records are bare values
    get_ts = compile_field_path(timestamp) if timestamp is not None else None
    get_q = compile_field_path(quality) if quality is not None else None
    get_name = compile_field_path(name) if name is not None else None
    get_envelope_ts = (
        compile_field_path(envelope_timestamp) if envelope_timestamp is not None else None
    )

    def records_of(payload: bytes) -> tuple[list[object], object | None]:
        doc = _load_json(payload, max_size)
        items = get_records(doc)
        if type(items) is not list:
            got = "nothing" if items is MISSING else _json_type(items)
            raise DecodeError("bad_shape", f"expected an array at {records!r}, got {got}")
        return items, _optional(get_envelope_ts, doc)

    flat = _single_keys(value, name, timestamp, quality)
    if flat is not None:
        value_key, name_key, ts_key, q_key = flat

        def decode_flat(payload: bytes) -> list[RawSample]:
            # Every path is one plain key (Kepware's id/v/t/q): plain dict lookups, no
            # getter calls. `item.get(None)` is None because JSON keys are never None.
            items, envelope_ts = records_of(payload)
            samples: list[RawSample] = []
            append = samples.append
            for i, item in enumerate(items):
                if type(item) is not dict:
                    raise DecodeError("bad_shape", f"record {i}: expected an object")
                found = item.get(value_key, MISSING)
                if found is MISSING:
                    raise DecodeError("missing_value", f"record {i}: no {value!r} field")
                record_name = None
                if name_key is not None:
                    record_name = item.get(name_key, MISSING)
                    if type(record_name) is not str or not record_name:
                        record_name = _name_of(record_name, f"record {i}")
                ts = item.get(ts_key)
                sample = _new_object(RawSample)
                _set_name(sample, record_name)
                _set_value(sample, found)
                _set_timestamp(sample, envelope_ts if ts is None else ts)
                _set_quality(sample, item.get(q_key))
                append(sample)
            return samples

        return decode_flat

    def decode(payload: bytes) -> list[RawSample]:
        items, envelope_ts = records_of(payload)
        samples: list[RawSample] = []
        append = samples.append
        for i, item in enumerate(items):
            if type(item) is not dict and not value_is_record:
                raise DecodeError("bad_shape", f"record {i}: expected an object")
            found = get_value(item)
            if found is MISSING:
                raise DecodeError("missing_value", f"record {i}: no {value!r} field")
            ts = _optional(get_ts, item)
            append(
                _sample(
                    None if get_name is None else _name_of(get_name(item), f"record {i}"),
                    found,
                    envelope_ts if ts is None else ts,
                    _optional(get_q, item),
                )
            )
        return samples

    return decode


def kepware_decoder(*, max_size: int = DEFAULT_MAX_SIZE) -> Decoder:
    """Kepware IoT Gateway: `{"timestamp": ms, "values": [{"id", "v", "q", "t"}, ...]}`.

    One sample per entry of `values`, named by `id`. The per-value `t` is when the value
    changed and wins; the envelope `timestamp` (publish time, possibly seconds later) is
    used only when `t` is absent or null.
    """
    return records_decoder(
        "values",
        name="id",
        value="v",
        timestamp="t",
        quality="q",
        envelope_timestamp="timestamp",
        max_size=max_size,
    )
