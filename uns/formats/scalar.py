"""Format `scalar`: the message is the value itself, JSON (`72.4`, `true`, `"RUN"`) or text."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from uns.errors import DecodeError
from uns.formats.base import BindingOptions, PayloadFormat, WirePoint, WireSource, no_id
from uns.formats.shared import (
    DEFAULT_MAX_SIZE,
    JSON_STARTS,
    Decoder,
    RawSample,
    check_size,
    json_type,
    new_sample,
    text_or_error,
)
from uns.normalize.exact_json import loads_exact


def scalar_decoder(*, max_size: int = DEFAULT_MAX_SIZE) -> Decoder:
    """A bare value: JSON (`72.4`, `true`, `"RUN"`, `null`) or plain UTF-8 text (`RUN`).

    Text that starts like JSON (`{`, `[`, `"`) but does not parse is `bad_json`, not text;
    surrounding whitespace is dropped; a JSON object or array is `bad_shape`.
    """

    def decode(payload: bytes) -> list[RawSample]:
        check_size(payload, max_size)
        if payload[0] not in JSON_STARTS:
            # Cannot be JSON (`RUN`, `Running`): skip the parser and its exception.
            return [new_sample(None, text_or_error(payload).strip(), None, None)]
        try:
            doc = loads_exact(payload)
        except (orjson.JSONDecodeError, TypeError) as exc:
            text = text_or_error(payload).strip()
            if not text:
                raise DecodeError("empty_payload", "payload is only whitespace") from None
            if text[0] in '{["':
                raise DecodeError("bad_json", f"invalid JSON: {exc}") from None
            return [new_sample(None, text, None, None)]
        if type(doc) is dict or type(doc) is list:
            raise DecodeError("bad_shape", f"expected a single value, got {json_type(doc)}")
        return [new_sample(None, doc, None, None)]

    return decode


def encode_scalar(
    options: BindingOptions, points: Sequence[WirePoint], now_ms: int, source: WireSource
) -> bytes:
    """Text as plain UTF-8 (`RUN`), anything else as JSON."""
    value = points[0].value(source.rng)
    if isinstance(value, str):
        return value.encode()
    return orjson.dumps(value)


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


SCALAR = PayloadFormat(
    name="scalar",
    check=no_id("scalar"),
    decoder=lambda options: scalar_decoder(),
    encode=encode_scalar,
    source_time=lambda options: False,
    bool_spellings=(int, _bool_text),
    scaled_ints=True,
    rejects_truncated=False,  # half a number is still a number, half a word still text
)
