"""Exact values (issue 13): integers are never clamped or silently rounded, and a duplicate
JSON key is a dead letter, whatever the payload looks like."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.errors import DecodeError
from uns.normalize.exact_json import loads_exact
from uns.normalize.values import compile_coercer
from uns.pipeline import Enricher

MODEL = Path(__file__).resolve().parents[1] / "data" / "models" / "deadletters"
NOW = 1_774_346_400_000
to_float, to_int = compile_coercer("float"), compile_coercer("int")
INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1

keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # any size: beyond 64 bits too
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.sampled_from('ab":\\ 0123456789{}'), max_size=12)  # `":` inside strings
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


@given(documents, st.booleans())
def test_every_document_reads_back_exactly(doc: object, spaced: bool) -> None:
    text = json.dumps(doc, separators=(", ", " : ") if spaced else (",", ":"))
    assert loads_exact(text.encode()) == doc  # ints compare exactly, floats round-trip


@given(st.dictionaries(keys, scalars, min_size=1, max_size=4), st.data())
def test_a_duplicate_key_anywhere_is_refused(obj: dict[str, object], data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(obj)))
    inner = json.dumps(obj)[:-1] + ", " + json.dumps(key) + ": 1}"
    wrapped = data.draw(st.sampled_from(["{}", '{{"a": [{}]}}', "[1, {}]"])).format(inner)
    with pytest.raises(DecodeError) as caught:
        loads_exact(wrapped.encode())
    assert caught.value.reason == "duplicate_key"


@given(st.integers())
def test_an_int_tag_takes_exactly_the_64_bit_range(number: int) -> None:
    decoded = loads_exact(str(number).encode())
    if INT64_MIN <= number <= UINT64_MAX:
        assert to_int(decoded) == number
    else:
        with pytest.raises(DecodeError) as caught:
            to_int(decoded)  # never clamped to the nearest bound
        assert caught.value.reason == "bad_value"


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_a_float_tag_takes_an_integer_only_when_its_float_is_exact(number: int) -> None:
    decoded = loads_exact(str(number).encode())
    if abs(number) <= 2**53 or float(number) == number:
        assert to_float(decoded) == number
    else:
        with pytest.raises(DecodeError) as caught:
            to_float(decoded)
        assert caught.value.reason == "bad_value"


@pytest.mark.parametrize(
    ("payload", "tag", "reason"),
    [
        (b'{"v": -9223372036854775809}', "count", "bad_value"),
        (b'{"v": 18446744073709551616}', "count", "bad_value"),
        (b'{"v": 9007199254740993}', "temperature", "bad_value"),
        (b'{"v": 1, "v": 2}', "temperature", "duplicate_key"),
    ],
)
def test_the_pipeline_dead_letters_what_it_cannot_keep_exactly(
    payload: bytes, tag: str, reason: str
) -> None:
    enricher = Enricher(load_model(MODEL), ContextStore())
    [out] = enricher.process(f"raw/json/oven-1/{tag}", payload, NOW)
    assert (out.kind, out.reason) == ("deadletter", reason)


def test_the_bounds_themselves_are_published_exactly() -> None:
    enricher = Enricher(load_model(MODEL), ContextStore())
    for number in (INT64_MIN, UINT64_MAX):
        [out] = enricher.process("raw/json/oven-1/count", b'{"v": %d}' % number, NOW)
        assert orjson.loads(out.payload)["value"] == number
