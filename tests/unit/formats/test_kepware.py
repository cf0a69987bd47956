from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.formats.wire import FixedPoint, RecordingSource, binding
from uns.errors import DecodeError
from uns.formats.kepware import KEPWARE, encode_kepware, kepware_decoder

NOW = 1_774_346_400_000
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_.]{0,15}", fullmatch=True)
batches = st.dictionaries(
    names, st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30
)


@given(batches)
def test_a_scan_carries_some_points_each_changed_before_the_envelope(
    batch: dict[str, float],
) -> None:
    points = [FixedPoint(name, value) for name, value in batch.items()]
    source = RecordingSource(raw_quality=192)
    samples = kepware_decoder()(encode_kepware(binding(format="kepware"), points, NOW, source))
    sent = {s.name: s.value for s in samples}
    assert len(sent) == len(samples)  # no point twice in one scan
    assert sent.items() <= batch.items()
    assert len(samples) == len(batch) if len(batch) <= 12 else 4 <= len(samples) <= 12
    assert all(NOW - 2000 <= s.timestamp <= NOW and s.quality == 192 for s in samples)  # type: ignore[operator]


@given(st.binary(max_size=200))
def test_decoder_fails_only_with_decode_error(payload: bytes) -> None:
    try:
        samples = kepware_decoder()(payload)
    except DecodeError:
        return
    assert all(isinstance(s.name, str) for s in samples)


def test_kepware_flags() -> None:
    assert KEPWARE.check(binding(format="kepware", id="{tag}")) is None
    assert KEPWARE.batch
    assert KEPWARE.partial_batches
    assert KEPWARE.rejects_truncated
