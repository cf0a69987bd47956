from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.formats.wire import FixedPoint, RecordingSource, binding
from uns.errors import DecodeError
from uns.formats.records import RECORDS, encode_records
from uns.model.specs import BindingSpec

NOW = 1_774_346_400_000
names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
values = st.integers(min_value=-(2**53), max_value=2**53) | st.text(max_size=8) | st.booleans()
batches = st.dictionaries(names, values, max_size=20)


def _spec(records: str) -> BindingSpec:
    return binding(
        format="records",
        records=records,
        fields={"name": "tag.id", "value": "v", "timestamp": "t", "quality": None},
    )


@given(batches, st.sampled_from(["$", "data.rows", "rows"]))
def test_encoded_batches_decode_back(batch: dict[str, object], records: str) -> None:
    spec = _spec(records)
    points = [FixedPoint(name, value) for name, value in batch.items()]
    payload = encode_records(spec, points, NOW, RecordingSource())
    decoder = RECORDS.decoder
    assert decoder is not None
    samples = decoder(spec)(payload)
    assert [(s.name, s.value) for s in samples] == list(batch.items())
    assert all(s.timestamp == NOW and s.quality is None for s in samples)


def test_envelope_numbers_its_scans() -> None:
    spec = _spec("rows")
    source = RecordingSource()
    first = orjson.loads(encode_records(spec, [FixedPoint("a", 1)], NOW, source))
    second = orjson.loads(encode_records(spec, [FixedPoint("a", 2)], NOW, source))
    assert (first["scan"], second["scan"]) == (1, 2)


@given(st.binary(max_size=200))
def test_decoder_fails_only_with_decode_error(payload: bytes) -> None:
    decoder = RECORDS.decoder
    assert decoder is not None
    try:
        samples = decoder(_spec("rows"))(payload)
    except DecodeError:
        return
    assert all(isinstance(s.name, str) and s.name for s in samples)


def test_records_needs_its_array_path_and_id_field() -> None:
    no_array = RECORDS.check(binding(format="records", fields={"name": "id"}))
    assert no_array == "format 'records' needs 'records': the path of the array"
    no_id = RECORDS.check(binding(format="records", records="$"))
    assert no_id == "format 'records' needs 'fields.name': the id field of a record"
    assert RECORDS.batch
    assert not RECORDS.partial_batches
    assert [spell(True) for spell in RECORDS.bool_spellings] == [1]
