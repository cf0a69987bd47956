"""Format `kepware`: Kepware IoT Gateway batches,
`{"timestamp": ms, "values": [{"id", "v", "q", "t"}, ...]}`."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from uns.formats.base import BindingOptions, PayloadFormat, WirePoint, WireSource, no_rules
from uns.formats.records import records_decoder
from uns.formats.shared import DEFAULT_MAX_SIZE, Decoder

_MOST_PER_SCAN = 12  # a gateway scan carries the values that changed, not every tag


def kepware_decoder(*, max_size: int = DEFAULT_MAX_SIZE) -> Decoder:
    """Kepware IoT Gateway: `{"timestamp": ms, "values": [{"id", "v", "q", "t"}, ...]}`.

    One sample per entry of `values`, named by `id`. The per-value `t` is when the value
    changed and wins; the envelope `timestamp` (publish time, possibly seconds later) is
    used only when `t` is absent or null.
    """
    return records_decoder(
        "values",
        name="id",
        value="v",
        timestamp="t",
        quality="q",
        envelope_timestamp="timestamp",
        max_size=max_size,
    )


def encode_kepware(
    options: BindingOptions, points: Sequence[WirePoint], now_ms: int, source: WireSource
) -> bytes:
    """Some of the points (those that "changed"), each with a `t` before the envelope's."""
    rng = source.rng
    if len(points) > _MOST_PER_SCAN:
        points = rng.sample(list(points), rng.randint(4, _MOST_PER_SCAN))
    values = [
        {
            "id": p.name,
            "v": p.value(rng),
            "q": source.quality(),
            "t": source.timestamp(now_ms - rng.randint(0, 2000)),  # changed before the scan
        }
        for p in points
    ]
    return orjson.dumps({"timestamp": now_ms, "values": values})


KEPWARE = PayloadFormat(
    name="kepware",
    check=no_rules,
    decoder=lambda options: kepware_decoder(),
    encode=encode_kepware,
    batch=True,
    partial_batches=True,
)
