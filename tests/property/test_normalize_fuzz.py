"""Property tests for the normalization layer: arbitrary input fails only with DecodeError."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import get_args
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from uns.errors import DecodeError
from uns.formats import Decoder, RawSample
from uns.formats.json_object import json_object_decoder
from uns.formats.kepware import kepware_decoder
from uns.formats.records import records_decoder
from uns.formats.scalar import scalar_decoder
from uns.normalize.quality import QualityKind, compile_quality_parser
from uns.normalize.timestamps import compile_timestamp_parser, format_utc_ms
from uns.normalize.values import compile_coercer

BERLIN = ZoneInfo("Europe/Berlin")


def attempt(function: Callable[..., object], *args: object) -> tuple[object, str | None]:
    """(result, None) on success, (None, reason) on DecodeError; anything else propagates."""
    try:
        return function(*args), None
    except DecodeError as exc:
        return None, exc.reason


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS_2000 = 946_684_800_000
MS_2100 = 4_102_444_800_000

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=40)
    | st.decimals()
)
json_like = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
iso_like = st.from_regex(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?(Z|[+-]\d{2}(:?\d{2})?)?",
    fullmatch=True,
)
numeric_text = st.from_regex(r"\s*[+-]?\d{0,22}(\.\d{0,12})?([eE][+-]?\d{1,4})?\s*", fullmatch=True)
anything = json_like | st.binary(max_size=40) | st.datetimes() | iso_like | numeric_text

TIMESTAMP_FORMATS = [
    None,
    "epoch_s",
    "epoch_ms",
    "epoch_us",
    "epoch_ns",
    "opcua_ticks",
    "iso8601",
    "%m/%d/%Y %I:%M:%S %p",
    "%d.%m.%Y %H:%M:%S.%f%z",
    "%a %d %b %Y %H:%M:%S",  # strptime fallback
]
TIMESTAMP_PARSERS = [compile_timestamp_parser(fmt, BERLIN) for fmt in TIMESTAMP_FORMATS]


@settings(deadline=None)
@given(anything, st.integers(min_value=0, max_value=MS_2100))
def test_timestamp_parsers_fail_only_with_decode_error(raw: object, now_ms: int) -> None:
    for parse in TIMESTAMP_PARSERS:
        ts, reason = attempt(parse, raw, now_ms)
        assert reason in (None, "bad_timestamp")
        assert ts is None or (type(ts) is int and MS_2000 <= ts <= now_ms + 86_400_000)


@settings(deadline=None)
@given(st.integers(min_value=MS_2000, max_value=MS_2100 - 1))
def test_format_utc_ms_round_trips(ts_ms: int) -> None:
    text = format_utc_ms(ts_ms)
    assert len(text) == 24
    assert text.endswith("Z")
    assert datetime.fromisoformat(text) == EPOCH + timedelta(milliseconds=ts_ms)
    assert TIMESTAMP_PARSERS[0](text, MS_2100) == ts_ms


ZONES = [
    ZoneInfo(name)
    for name in (
        "Europe/Berlin",
        "America/New_York",
        "America/St_Johns",  # -03:30 / -02:30
        "Asia/Kolkata",  # +05:30, no DST
        "Australia/Lord_Howe",  # 30-minute DST shift
        "Pacific/Chatham",  # +12:45 / +13:45
    )
]
LOCAL_PARSERS = [compile_timestamp_parser(None, zone) for zone in ZONES]


def _offset_changes(zone: ZoneInfo) -> list[datetime]:
    """Local wall times next to each UTC-offset change in 2025-2026 (30-minute scan)."""
    found: list[datetime] = []
    instant = datetime(2025, 1, 1, tzinfo=UTC)
    previous = instant.astimezone(zone).utcoffset()
    while instant < datetime(2027, 1, 1, tzinfo=UTC):
        instant += timedelta(minutes=30)
        local = instant.astimezone(zone)
        if local.utcoffset() != previous:
            found.append(local.replace(tzinfo=None))
            previous = local.utcoffset()
    return found


# Random times anywhere, and random times within 3 h of a DST change, where the
# per-hour offset cache could go wrong (gaps and repeated hours, 30-minute shifts).
anywhere = st.tuples(
    st.integers(min_value=0, max_value=len(ZONES) - 1),
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)),
)
near_change = st.sampled_from(
    [(i, local) for i, zone in enumerate(ZONES) for local in _offset_changes(zone)]
).flatmap(
    lambda pair: st.tuples(
        st.just(pair[0]),
        st.integers(min_value=-3 * 3600_000, max_value=3 * 3600_000).map(
            lambda ms: pair[1] + timedelta(milliseconds=ms)
        ),
    )
)


@settings(deadline=None, max_examples=300)
@given(anywhere | near_change)
def test_naive_local_time_matches_zoneinfo_fold_0(case: tuple[int, datetime]) -> None:
    # The parser caches offsets per local hour; the reference asks zoneinfo every time.
    which, local = case
    local = local.replace(microsecond=local.microsecond // 1000 * 1000)
    expected = (local.replace(tzinfo=ZONES[which], fold=0) - EPOCH) // timedelta(milliseconds=1)
    text = local.isoformat(sep=" ", timespec="milliseconds")
    assert LOCAL_PARSERS[which](text, MS_2100) == expected


QUALITY_PARSERS = [compile_quality_parser(kind) for kind in get_args(QualityKind)]


@given(anything)
def test_quality_parsers_fail_only_with_decode_error(raw: object) -> None:
    for parse in QUALITY_PARSERS:
        quality, reason = attempt(parse, raw)
        if reason is None:
            assert quality in ("good", "uncertain", "bad")
        else:
            assert reason == "bad_quality"


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_opcua_severity_is_the_top_two_bits(code: int) -> None:
    expected = {0: "good", 1: "uncertain"}.get(code >> 30, "bad")
    assert QUALITY_PARSERS[1](code) == expected
    assert QUALITY_PARSERS[1](f"0x{code:08X}") == expected


COERCERS = {name: compile_coercer(name) for name in ("float", "int", "bool", "string")}


@given(anything)
def test_coercers_fail_only_with_decode_error(raw: object) -> None:
    for name, coerce in COERCERS.items():
        with contextlib.suppress(DecodeError):
            value = coerce(raw)
            assert type(value) is {"float": float, "int": int, "bool": bool, "string": str}[name]


@given(st.integers(min_value=-(2**63), max_value=2**64 - 1))  # the 64-bit range JSON carries
def test_int_text_round_trips_exactly(number: int) -> None:
    assert COERCERS["int"](str(number)) == number
    assert COERCERS["int"](COERCERS["string"](number)) == number


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_round_trips_exactly(number: float) -> None:
    assert COERCERS["float"](COERCERS["string"](number)) == number


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3))
def test_int_from_decimal_text_is_exact_or_refused(number: Decimal) -> None:
    try:
        result = COERCERS["int"](str(number))
    except DecodeError:
        assert number != number.to_integral_value()
    else:
        assert result == number


DECODERS: list[Decoder] = [
    json_object_decoder(),
    json_object_decoder(value="a.0.b", timestamp="t", quality="q", name="id"),
    scalar_decoder(),
    kepware_decoder(),
    records_decoder("$", value="$"),
    records_decoder("rows", name="n", value="v", timestamp="t", envelope_timestamp="ts"),
    records_decoder("values", name="id", value="v.0", timestamp="t.x", quality="$.q"),
    json_object_decoder(max_size=32),
]
kepware_like = st.fixed_dictionaries(
    {"values": st.lists(st.dictionaries(st.sampled_from(["id", "v", "q", "t"]), json_like))},
    optional={"timestamp": json_like},
)


def _encoded(value: object) -> bytes:
    # stdlib json writes NaN / Infinity and big ints, which orjson then has to refuse
    return json.dumps(value, default=str).encode()


payloads = (
    st.binary(max_size=200)
    | json_like.map(_encoded)
    | kepware_like.map(_encoded)
    | st.text(max_size=60).map(lambda text: text.encode("utf-8", "surrogatepass"))
)
REASONS = {
    "empty_payload",
    "payload_too_large",
    "not_utf8",
    "bad_json",
    "bad_shape",
    "missing_value",
    "missing_name",
}


@settings(deadline=None)
@given(payloads)
def test_decoders_fail_only_with_decode_error(payload: bytes) -> None:
    for decode in DECODERS:
        samples, reason = attempt(decode, payload)
        if reason is None:
            assert isinstance(samples, list)
            assert all(type(sample) is RawSample for sample in samples)
        else:
            assert reason in REASONS
