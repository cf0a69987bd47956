"""Format `records`: an array of records (one value each, named by an id field) at a path."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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

    One bad record never takes the others down: a record that is not an object, has no
    name or no value becomes a sample whose value is the `DecodeError` (the pipeline
    dead-letters it and publishes the rest). A record without a value but with a quality
    (OPC UA's bad status) keeps value MISSING for the pipeline to decide.
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
        assert value_key is not None
        return _flat_records_decoder(records_of, value_key, name_key, ts_key, q_key)

    def decode(payload: bytes) -> list[RawSample]:
        items, envelope_ts = records_of(payload)
        samples: list[RawSample] = []
        append = samples.append
        for i, item in enumerate(items):
            if type(item) is not dict and not value_is_record:
                append(failed_record(i, "bad_shape", "expected an object"))
                continue
            found = get_value(item)
            record_quality = optional(get_q, item)
            if found is MISSING and record_quality is None:
                append(failed_record(i, "missing_value", f"no {value!r} field"))
                continue
            ts = optional(get_ts, item)
            try:
                record_name = None if get_name is None else name_of(get_name(item), f"record {i}")
            except DecodeError as exc:
                append(new_sample(None, exc, None, None))
                continue
            append(
                new_sample(record_name, found, envelope_ts if ts is None else ts, record_quality)
            )
        return samples

    return decode


RecordsOf = Callable[[bytes], tuple[list[object], object | None]]


def _flat_records_decoder(
    records_of: RecordsOf,
    value_key: str,
    name_key: str | None,
    ts_key: str | None,
    q_key: str | None,
) -> Decoder:
    """`records_decoder` when every path is one plain key (Kepware's id/v/t/q): plain dict
    lookups, no getter calls. `item.get(None)` is None because JSON keys are never None."""

    def decode_flat(payload: bytes) -> list[RawSample]:
        items, envelope_ts = records_of(payload)
        samples: list[RawSample] = []
        append = samples.append
        for i, item in enumerate(items):
            if type(item) is not dict:
                append(failed_record(i, "bad_shape", "expected an object"))
                continue
            found = item.get(value_key, MISSING)
            record_quality = item.get(q_key)
            if found is MISSING and record_quality is None:
                append(failed_record(i, "missing_value", f"no {value_key!r} field"))
                continue
            record_name = None
            if name_key is not None:
                record_name = item.get(name_key, MISSING)
                if type(record_name) is not str or not record_name:
                    try:
                        record_name = name_of(record_name, f"record {i}")
                    except DecodeError as exc:
                        append(new_sample(None, exc, None, None))
                        continue
            ts = item.get(ts_key)
            sample = new_object(RawSample)
            set_name(sample, record_name)
            set_value(sample, found)
            set_timestamp(sample, envelope_ts if ts is None else ts)
            set_quality(sample, record_quality)
            append(sample)
        return samples

    return decode_flat


def failed_record(index: int, reason: str, detail: str) -> RawSample:
    """A record that cannot be read, carried as a sample so the rest of the batch goes on."""
    return new_sample(None, DecodeError(reason, f"record {index}: {detail}"), None, None)


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
