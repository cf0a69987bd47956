"""MES context messages: reading announcements and events, and applying them to the store."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from uns.context.mes import MesReader, MesUpdate, apply_update
from uns.context.production import ContextStore
from uns.errors import DecodeError
from uns.model.specs import ContextSourceSpec

NOW = 1_774_346_400_000
LINE = ("cologne", "packaging", "line-1")


def epoch_ms(raw: object, now_ms: int) -> int | None:
    """A stand-in timestamp parser: integers are epoch ms, 0 means 'no time'."""
    assert isinstance(raw, int)
    return raw or None


def reader(**options: object) -> MesReader:
    base: dict[str, object] = {"topic": "mes/{line}", "scope": "cologne/packaging/{line}"}
    base["fields"] = {"batch": "batch.id", "product": "sku"}
    return MesReader(ContextSourceSpec.model_validate(base | options))


def read(r: MesReader, doc: object) -> MesUpdate:
    return r.read(orjson.dumps(doc), NOW, epoch_ms)


def test_current_mode_reads_the_configured_fields_at_the_message_time() -> None:
    update = read(reader(), {"batch": {"id": "B-17"}, "sku": 4711, "timestamp": NOW - 5000})
    assert update == MesUpdate(NOW - 5000, "current", {"batch": "B-17", "product": "4711"})


def test_absent_fields_are_left_out_and_null_clears() -> None:
    update = read(reader(), {"sku": None})
    assert update.values == {"product": None}
    assert update.ts_ms == NOW  # no timestamp field: received time


def test_unusable_source_time_falls_back_to_received_time() -> None:
    assert read(reader(), {"sku": "x", "timestamp": 0}).ts_ms == NOW
    assert read(reader(timestamp=None), {"sku": "x", "timestamp": 5}).ts_ms == NOW


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "bad_json"),
        (b"[1, 2]", "bad_shape"),
        (b'{"other": 1}', "missing_value"),
        (b'{"sku": {"nested": 1}}', "bad_value"),
        (b'{"sku": true}', "bad_value"),
    ],
)
def test_unusable_messages(payload: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        reader().read(payload, NOW, epoch_ms)
    assert caught.value.reason == reason


def test_events_mode_tells_start_from_end_by_its_words() -> None:
    r = reader(mode="events", event={"field": "state", "start": "BEGIN", "end": "DONE"})
    assert read(r, {"sku": "cola", "state": "BEGIN"}).event == "start"
    assert read(r, {"sku": "cola", "state": "DONE"}).event == "end"
    with pytest.raises(DecodeError, match="neither 'BEGIN' nor 'DONE'") as caught:
        read(r, {"sku": "cola", "state": "PAUSED"})
    assert caught.value.reason == "bad_event"


def test_apply_current_then_events_and_report_unmatched_ends() -> None:
    store = ContextStore()
    assert apply_update(store, LINE, MesUpdate(NOW, "current", {"batch": "B-1"})) == []
    assert store.lookup(LINE, NOW + 1).batch == "B-1"
    assert apply_update(store, LINE, MesUpdate(NOW + 10, "start", {"product": "cola"})) == []
    assert store.lookup(LINE, NOW + 11).product == "cola"
    assert apply_update(store, LINE, MesUpdate(NOW + 20, "end", {"product": "cola"})) == []
    assert store.lookup(LINE, NOW + 21).product is None
    ended_twice = apply_update(store, LINE, MesUpdate(NOW + 30, "end", {"product": "cola"}))
    assert ended_twice == ["product"]


def test_a_start_without_a_value_changes_nothing() -> None:
    store = ContextStore()
    assert apply_update(store, LINE, MesUpdate(NOW, "start", {"order": None})) == []
    assert store.lookup(LINE, NOW).order is None


@given(st.binary(max_size=200))
def test_reading_fails_only_with_decode_error(payload: bytes) -> None:
    try:
        update = reader().read(payload, NOW, lambda raw, now: None)
    except DecodeError:
        return
    assert update.values
    assert set(update.values) <= {"batch", "product"}
