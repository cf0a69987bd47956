"""Format `json`: one JSON object per message, one value, e.g.
`{"value": 72.4, "timestamp": ..., "quality": 192}` (the field paths are the binding's)."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from uns.errors import DecodeError
from uns.formats.base import BindingOptions, PayloadFormat, WirePoint, WireSource, no_id
from uns.formats.shared import (
    DEFAULT_MAX_SIZE,
    MISSING,
    Decoder,
    RawSample,
    compile_field_path,
    json_type,
    load_json,
    name_of,
    new_sample,
    optional,
    set_path,
    single_keys,
)


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
    quality give None in the sample. An absent value is `missing_value`, unless the message
    carries a quality: OPC UA JSON leaves `Value` out of a bad-status DataValue, so the
    sample's value is MISSING and the pipeline publishes null if the quality is bad.
    """
    get_value = compile_field_path(value)
    get_ts = compile_field_path(timestamp) if timestamp is not None else None
    get_q = compile_field_path(quality) if quality is not None else None
    get_name = compile_field_path(name) if name is not None else None

    flat = single_keys(value, timestamp, quality)
    if flat is not None and name is None:
        value_key, ts_key, q_key = flat

        def decode_flat(payload: bytes) -> list[RawSample]:
            # The default shape: plain dict lookups (`doc.get(None)` is None: JSON keys
            # are never None).
            doc = load_json(payload, max_size)
            if type(doc) is not dict:
                raise DecodeError("bad_shape", f"expected a JSON object, got {json_type(doc)}")
            found = doc.get(value_key, MISSING)
            quality_found = doc.get(q_key)
            if found is MISSING and quality_found is None:
                raise DecodeError("missing_value", f"no {value!r} field")
            return [new_sample(None, found, doc.get(ts_key), quality_found)]

        return decode_flat

    def decode(payload: bytes) -> list[RawSample]:
        doc = load_json(payload, max_size)
        if type(doc) is not dict:
            raise DecodeError("bad_shape", f"expected a JSON object, got {json_type(doc)}")
        found = get_value(doc)
        quality_found = optional(get_q, doc)
        if found is MISSING and quality_found is None:
            raise DecodeError("missing_value", f"no {value!r} field")
        return [
            new_sample(
                None if get_name is None else name_of(get_name(doc), f"field {name!r}"),
                found,
                optional(get_ts, doc),
                quality_found,
            )
        ]

    return decode


def _decoder(options: BindingOptions) -> Decoder:
    f = options.fields
    return json_object_decoder(value=f.value, timestamp=f.timestamp, quality=f.quality)


def encode_json_object(
    options: BindingOptions, points: Sequence[WirePoint], now_ms: int, source: WireSource
) -> bytes:
    """The first point's value in an object shaped by the binding's field paths."""
    rng = source.rng
    f = options.fields
    doc: dict[str, object] = {}
    set_path(doc, f.value, points[0].value(rng))
    if f.timestamp is not None:
        set_path(doc, f.timestamp, source.timestamp(now_ms - rng.randint(0, 250)))
    if f.quality is not None:
        quality = source.quality()
        # OPC UA publishers often leave a good status out: absent quality counts as good.
        if quality not in ("Good", 0) or rng.random() < 0.5:
            set_path(doc, f.quality, quality)
    return orjson.dumps(doc)


JSON_OBJECT = PayloadFormat(
    name="json",
    check=no_id("json"),
    decoder=_decoder,
    encode=encode_json_object,
    source_time=lambda options: options.fields.timestamp is not None,
)
