"""Format `records`: an array of records (one value each, named by an id field) at a path."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from uns.errors import DecodeError
from uns.formats.base import BindingOptions, PayloadFormat, WirePoint, WireSource
from uns.formats.shared import (
    DEFAULT_MAX_SIZE,
    MISSING,
    Decoder,
    RawSample,
    compile_field_path,
    json_type,
    load_json,
    name_of,
    new_object,
    new_sample,
    optional,
    path_steps,
    set_name,
    set_path,
    set_quality,
    set_timestamp,
    set_value,
    single_keys,
)


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
    value_is_record = not path_steps(value)  # value "$": records are bare values
    get_ts = compile_field_path(timestamp) if timestamp is not None else None
    get_q = compile_field_path(quality) if quality is not None else None
    get_name = compile_field_path(name) if name is not None else None
    get_envelope_ts = (
        compile_field_path(envelope_timestamp) if envelope_timestamp is not None else None
    )

    def records_of(payload: bytes) -> tuple[list[object], object | None]:
        doc = load_json(payload, max_size)
        items = get_records(doc)
        if type(items) is not list:
            got = "nothing" if items is MISSING else json_type(items)
            raise DecodeError("bad_shape", f"expected an array at {records!r}, got {got}")
        return items, optional(get_envelope_ts, doc)

    flat = single_keys(value, name, timestamp, quality)
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
                        record_name = name_of(record_name, f"record {i}")
                ts = item.get(ts_key)
                sample = new_object(RawSample)
                set_name(sample, record_name)
                set_value(sample, found)
                set_timestamp(sample, envelope_ts if ts is None else ts)
                set_quality(sample, item.get(q_key))
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
            ts = optional(get_ts, item)
            append(
                new_sample(
                    None if get_name is None else name_of(get_name(item), f"record {i}"),
                    found,
                    envelope_ts if ts is None else ts,
                    optional(get_q, item),
                )
            )
        return samples

    return decode


def _check(options: BindingOptions) -> str | None:
    if not options.records:
        return "format 'records' needs 'records': the path of the array"
    if not options.fields.name:
        return "format 'records' needs 'fields.name': the id field of a record"
    return None


def _decoder(options: BindingOptions) -> Decoder:
    f = options.fields
    assert options.records is not None
    assert f.name is not None
    return records_decoder(
        records=options.records,
        name=f.name,
        value=f.value,
        timestamp=f.timestamp,
        quality=f.quality,
    )


def encode_records(
    options: BindingOptions, points: Sequence[WirePoint], now_ms: int, source: WireSource
) -> bytes:
    """Every point as one record, in a `{"scan": n, <records path>: [...]}` document."""
    f = options.fields
    assert f.name is not None
    assert options.records is not None
    rng = source.rng
    records = []
    for p in points:
        record: dict[str, object] = {}
        set_path(record, f.name, p.name)
        set_path(record, f.value, p.value(rng))
        if f.timestamp is not None:
            set_path(record, f.timestamp, source.timestamp(now_ms))
        if f.quality is not None:
            set_path(record, f.quality, source.quality())
        records.append(record)
    scan = source.next_scan()
    if options.records.strip() in ("$", "$."):
        return orjson.dumps(records)
    doc: dict[str, object] = {"scan": scan}
    set_path(doc, options.records, records)
    return orjson.dumps(doc)


RECORDS = PayloadFormat(
    name="records",
    check=_check,
    decoder=_decoder,
    encode=encode_records,
    batch=True,
    source_time=lambda options: options.fields.timestamp is not None,
    bool_spellings=(int,),
)
