from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.formats.wire import FixedPoint, RecordingSource, binding
from uns.errors import DecodeError
from uns.formats import get_format
from uns.formats.json_object import JSON_OBJECT, encode_json_object

NOW = 1_774_346_400_000
json_values = (
    st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.text(st.characters(codec="utf-8"))
)
paths = st.sampled_from(["value", "data.value", "$.v", "a.b.c"])


@given(json_values, paths, st.sampled_from([None, "ts", "meta.time"]))
def test_encoded_values_decode_back(value: object, value_path: str, ts_path: str | None) -> None:
    spec = binding(fields={"value": value_path, "timestamp": ts_path, "quality": "q"})
    source = RecordingSource(raw_quality=0x40000000)  # uncertain: never left out
    payload = encode_json_object(spec, [FixedPoint(None, value)], NOW, source)
    decoder = JSON_OBJECT.decoder
    assert decoder is not None
    [sample] = decoder(spec)(payload)
    assert sample.value == value
    assert type(sample.value) is type(value)
    assert sample.quality == 0x40000000
    if ts_path is None:
        assert sample.timestamp is None
        assert source.timestamps == []
    else:
        assert sample.timestamp == source.timestamps[0]
        assert NOW - 250 <= sample.timestamp <= NOW  # sent shortly before "now"


@given(st.binary(max_size=200))
def test_decoder_fails_only_with_decode_error(payload: bytes) -> None:
    decoder = JSON_OBJECT.decoder
    assert decoder is not None
    try:
        samples = decoder(binding())(payload)
    except DecodeError:
        return
    assert len(samples) == 1


def test_no_id_for_a_single_value_format() -> None:
    problem = JSON_OBJECT.check(binding(format="json", id="{tag}"))
    assert problem == "'id' is only for batch formats (kepware, records), not json"
    assert JSON_OBJECT.check(binding()) is None


def test_source_time_follows_the_timestamp_field() -> None:
    assert get_format("json").source_time(binding())
    assert not get_format("json").source_time(binding(fields={"timestamp": None}))
