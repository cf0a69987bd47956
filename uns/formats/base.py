"""What every raw payload format is: one `PayloadFormat` object per format, in a registry.

A format owns everything that depends on how a source puts values on the wire: which binding
options it needs (`check`), how bytes become raw samples (`decoder`), how sample values become
bytes for the simulator (`encode`), and a few flags the pipeline, loader and simulator read
instead of naming formats. Formats sit below `config`, so they see a binding's options through
the small `BindingOptions` protocol rather than the pydantic spec.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from uns.formats.shared import Decoder
from uns.normalize.quality import QualityKind, compile_quality_parser

JsonValue = object  # what orjson can serialise; kept loose so callers need no casts


class FieldOptions(Protocol):
    """Field paths inside a JSON payload or record (`FieldsSpec` in the YAML model)."""

    @property
    def value(self) -> str: ...
    @property
    def timestamp(self) -> str | None: ...
    @property
    def quality(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...


class BindingOptions(Protocol):
    """The parts of a binding a format reads (`BindingSpec` satisfies it)."""

    @property
    def topic(self) -> str: ...
    @property
    def fields(self) -> FieldOptions: ...
    @property
    def records(self) -> str | None: ...
    @property
    def id(self) -> str | None: ...


class WirePoint(Protocol):
    """One raw source value the simulator wants on the wire: its id and its next value."""

    @property
    def name(self) -> str | None: ...
    def value(self, rng: random.Random) -> JsonValue: ...


class WireSource(Protocol):
    """The simulated device: randomness and the raw spellings of its binding."""

    @property
    def rng(self) -> random.Random: ...
    def timestamp(self, ts_ms: int) -> object:
        """`ts_ms` in the binding's raw timestamp format."""
        ...

    def quality(self) -> object:
        """A raw quality in the binding's quality format."""
        ...

    def next_scan(self) -> int:
        """A message counter, for envelopes that carry one."""
        ...


Encoder = Callable[[BindingOptions, Sequence[WirePoint], int, WireSource], bytes]


def _same(value: bool) -> JsonValue:
    return value


@dataclass(frozen=True, slots=True)
class PayloadFormat:
    """One raw payload format. Register it once with `uns.formats.registry.register`.

    - `check(options)`: the format's rules for a binding, as an error message or None
      (run by the YAML model's validation).
    - `decoder(options)`: bytes -> raw samples, built once per binding; None when the
      messages are decoded elsewhere (`host_routed`).
    - `encode(options, points, now_ms, source)`: the simulator's sample values -> bytes.
    - `batch`: one message carries many values, each with an id (`{tag}` by default).
    - `partial_batches`: a message carries only some of its points (the simulator sends
      such batches as often as their points).
    - `source_time(options)`: whether samples carry the source's own timestamp.
    - `host_routed`: messages go through a stateful host (Sparkplug), not a per-binding
      decoder; its bindings match the host's device address and it subscribes itself.
    - `nullable`: a null value is published as null instead of failing coercion.
    - `quality_parser(kind)`: raw quality -> good/uncertain/bad for `quality_format: kind`.
    - `bool_spellings`: how devices of this format write booleans (one picked per tag).
    - `scaled_ints`: devices send scaled integers (tenths) when the scale is below one.
    - `rejects_truncated`: a payload cut short is a decode error (not just other text).
    """

    name: str
    check: Callable[[BindingOptions], str | None]
    decoder: Callable[[BindingOptions], Decoder] | None
    encode: Encoder | None
    batch: bool = False
    partial_batches: bool = False
    source_time: Callable[[BindingOptions], bool] = lambda options: True
    host_routed: bool = False
    nullable: bool = False
    quality_parser: Callable[[QualityKind], Callable[[object], str]] = compile_quality_parser
    bool_spellings: tuple[Callable[[bool], JsonValue], ...] = (_same,)
    scaled_ints: bool = False
    rejects_truncated: bool = True


def no_id(fmt: str) -> Callable[[BindingOptions], str | None]:
    """The check of a single-value format: a message is one value, so there is no id."""

    def check(options: BindingOptions) -> str | None:
        if options.id is not None:
            return f"'id' is only for batch formats (kepware, records), not {fmt}"
        return None

    return check


def no_rules(options: BindingOptions) -> str | None:
    return None
