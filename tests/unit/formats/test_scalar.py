from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from tests.unit.formats.wire import FixedPoint, RecordingSource, binding
from uns.errors import DecodeError
from uns.formats.scalar import SCALAR, encode_scalar, scalar_decoder

NOW = 1_774_346_400_000
SPEC = binding(format="scalar")
numbers = st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.floats(
    allow_nan=False, allow_infinity=False
)
words = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1)


@given(numbers | st.booleans())
def test_numbers_and_booleans_round_trip(value: object) -> None:
    payload = encode_scalar(
        binding(format="scalar"), [FixedPoint(None, value)], NOW, RecordingSource()
    )
    [sample] = scalar_decoder()(payload)
    assert sample.value == value
    assert type(sample.value) is type(value)
    assert sample.timestamp is None
    assert sample.quality is None


@given(words)
def test_plain_text_round_trips(text: str) -> None:
    assume(text[0] not in ' \t\r\n{["-0123456789tfn' and text == text.strip())
    payload = encode_scalar(
        binding(format="scalar"), [FixedPoint(None, text)], NOW, RecordingSource()
    )
    assert payload == text.encode()
    assert scalar_decoder()(payload)[0].value == text


@given(st.binary(min_size=1, max_size=200))
def test_decoder_fails_only_with_decode_error(payload: bytes) -> None:
    try:
        samples = scalar_decoder()(payload)
    except DecodeError:
        return
    assert len(samples) == 1
    assert samples[0].name is None


def test_scalar_rules_and_flags() -> None:
    assert SCALAR.check(binding(format="scalar", id="{tag}")) == (
        "'id' is only for batch formats (kepware, records), not scalar"
    )
    assert not SCALAR.source_time(binding(format="scalar"))
    assert not SCALAR.rejects_truncated
    assert SCALAR.scaled_ints
    assert not SCALAR.batch
    assert [spell(True) for spell in SCALAR.bool_spellings] == [1, "true"]
