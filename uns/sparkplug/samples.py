"""What the Sparkplug host hands the pipeline: metric samples and the actions of one message.

`MetricSample` is one metric value with its source (the node or device address, metric name),
its source time and a quality. `HostActions` is everything one message (or one `tick`)
asks of the caller: samples to enrich, samples that just went stale, rebirth requests to
publish and problems to count and dead-letter.

Quality comes from the metric's `Quality` property when it has one, else `good` (Cirrus Link
leaves Good out of its payloads). `sparkplug_quality` reads the codes seen in the field:

- the specification's codes (Sparkplug 3.0, 6.4.9): 0 BAD, 192 GOOD, 500 STALE;
- other small numbers (0..255) as OPC DA quality words (192..255 good, 64..127 uncertain);
- Ignition 8 QualityCodes and OPC UA StatusCodes (32-bit, sign-extended or not) by their top
  two bits: good, uncertain, bad, and Ignition's "Error" level as bad; Ignition's `Bad_Stale`
  (sub-code 516) is `stale`;
- booleans and names (`Good`, `BAD`, `Uncertain_LastKnownValue`), as `uns.normalize.quality`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from uns.errors import DecodeError
from uns.normalize.quality import compile_quality_parser
from uns.sparkplug.datatypes import DataType
from uns.sparkplug.frozen import unfrozen_twin
from uns.sparkplug.payload import SparkplugMetric
from uns.sparkplug.topic import SparkplugAddress

__all__ = [
    "BAD_QUALITY",
    "QUALITY_PROPERTY",
    "ActionsDraft",
    "HostActions",
    "MetricSample",
    "Quality",
    "make_actions",
    "make_sample",
    "sparkplug_quality",
]

Quality = Literal["good", "uncertain", "bad", "stale"]
QUALITY_PROPERTY: Final = "Quality"
BAD_QUALITY: Final = "sparkplug_bad_quality"  # a problem reason


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One metric value from a Sparkplug message.

    `name` is the metric name from the birth certificate (it may contain '/'), never an
    alias. `timestamp_ms` is the metric's own timestamp (when the value changed), else the
    payload's (when it was published), else None. `value` is None for a Sparkplug null and
    for a stale sample. `is_historical` marks a store-and-forward value: publish it, but do
    not let it replace the current value of the tag.
    """

    address: SparkplugAddress
    name: str
    value: object
    timestamp_ms: int | None
    quality: Quality
    is_historical: bool
    datatype: DataType

    @property
    def group(self) -> str:
        return self.address.group

    @property
    def edge_node(self) -> str:
        return self.address.edge_node

    @property
    def device(self) -> str | None:
        return self.address.device


_SampleTwin: Final[Any] = unfrozen_twin(MetricSample)


def make_sample(  # noqa: PLR0917 - hot path, positional in field order like the dataclass
    address: SparkplugAddress,
    name: str,
    value: object,
    timestamp_ms: int | None,
    quality: Quality,
    is_historical: bool,
    datatype: DataType,
) -> MetricSample:
    """`MetricSample(...)`, faster; the result is an ordinary frozen MetricSample."""
    sample = _SampleTwin(address, name, value, timestamp_ms, quality, is_historical, datatype)
    sample.__class__ = MetricSample
    result: MetricSample = sample
    return result


@dataclass(frozen=True, slots=True)
class HostActions:
    """What one message or one `tick` asks of the caller.

    - `samples`: metric values to enrich and publish (births yield theirs too); historical
      ones are flagged.
    - `stale`: metrics that went stale (value None, quality `stale`): publish them on their
      governed topics.
    - `rebirths`: (group, edge_node) pairs to send an NCMD rebirth to, already throttled,
      and only when the host is active.
    - `problems`: (reason, detail) pairs to count and dead-letter. A problem does not void
      the samples: a DATA message with one unknown alias still yields its other metrics.
    - counter deltas: `seq_gaps` (gaps opened), `seq_timeouts` (reorder deadlines that
      passed with seqs still missing), `rebirths_throttled` (requests the per-node throttle
      or the global rate held back), `nodes_evicted` (nodes dropped to bound the host state).
    - `republish_state`: this host's own STATE topic said offline while it is online; publish
      the online STATE again (Sparkplug 3.0 asks the primary host to).
    """

    samples: list[MetricSample] = field(default_factory=list)
    stale: list[MetricSample] = field(default_factory=list)
    rebirths: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    seq_gaps: int = 0
    seq_timeouts: int = 0
    rebirths_throttled: int = 0
    republish_state: bool = False
    nodes_evicted: int = 0

    def __bool__(self) -> bool:
        """True when there is anything to do or count."""
        return bool(
            self.samples
            or self.stale
            or self.rebirths
            or self.problems
            or self.seq_gaps
            or self.seq_timeouts
            or self.rebirths_throttled
            or self.republish_state
            or self.nodes_evicted
        )


_ActionsTwin: Final[Any] = unfrozen_twin(HostActions)


def make_actions(  # noqa: PLR0917 - once per message, positional in field order
    samples: list[MetricSample],
    stale: list[MetricSample],
    rebirths: list[tuple[str, str]],
    problems: list[tuple[str, str]],
    seq_gaps: int,
    seq_timeouts: int,
    rebirths_throttled: int,
    republish_state: bool,
    nodes_evicted: int,
) -> HostActions:
    """`HostActions(...)`, faster (see `uns.sparkplug.frozen`)."""
    actions = _ActionsTwin(
        samples, stale, rebirths, problems, seq_gaps, seq_timeouts, rebirths_throttled,
        republish_state, nodes_evicted,
    )  # fmt: skip
    actions.__class__ = HostActions
    result: HostActions = actions
    return result


# Sparkplug 3.0 6.4.9: the only values the specification allows.
_SPEC_CODES: Final[dict[int, Quality]] = {0: "bad", 192: "good", 500: "stale"}
_IGNITION_STALE_SUBCODE: Final = 516
_BAD_SEVERITY: Final = 0b10
_OPC_QUALITY: Final = compile_quality_parser("auto", "good")
_INT32_MIN: Final = -(1 << 31)
_UINT32_END: Final = 1 << 32


def sparkplug_quality(raw: object) -> Quality | None:
    """The quality a metric's `Quality` property value stands for; a null property says
    nothing, so good. Returns None for a value no convention defines (the host reports it
    as a problem and uses `uncertain`)."""
    if raw is None:
        return "good"
    if type(raw) is int:
        spec = _SPEC_CODES.get(raw)
        if spec is not None:
            return spec
        if (
            not 0 <= raw <= 0xFF
            and _INT32_MIN <= raw < _UINT32_END
            and (raw & 0xFFFFFFFF) >> 30 == _BAD_SEVERITY
            and raw & 0xFFFF == _IGNITION_STALE_SUBCODE
        ):
            return "stale"
    try:
        return _OPC_QUALITY(raw)
    except DecodeError:
        return None


class ActionsDraft:
    """The mutable twin of HostActions while one message or tick is handled."""

    __slots__ = (
        "evicted",
        "gaps",
        "problems",
        "rebirth",
        "rebirths",
        "republish",
        "samples",
        "stale",
        "throttled",
        "timeouts",
    )

    def __init__(self) -> None:
        self.samples: list[MetricSample] = []
        self.stale: list[MetricSample] = []
        self.problems: list[tuple[str, str]] = []
        self.rebirth = False  # a trigger fired: request one if active and not throttled
        self.rebirths: list[tuple[str, str]] = []
        self.gaps = 0
        self.timeouts = 0
        self.throttled = 0
        self.republish = False
        self.evicted = 0

    def sample(
        self, address: SparkplugAddress, name: str, metric: SparkplugMetric, payload_ts: int | None
    ) -> None:
        """Add the sample of one decoded metric; its own timestamp wins over the payload's.
        Quality is normalised here, once: a code no convention defines is a problem."""
        quality: Quality = "good"
        if metric.properties:
            raw = metric.properties.get(QUALITY_PROPERTY)
            read = sparkplug_quality(raw)
            if read is None:
                self.problems.append(
                    (BAD_QUALITY, f"metric {name!r}: Quality {raw!r} is not a code")
                )
                read = "uncertain"
            quality = read
        ts = metric.timestamp
        self.samples.append(
            make_sample(
                address,
                name,
                metric.value,
                payload_ts if ts is None else ts,
                quality,
                metric.is_historical,
                metric.datatype,
            )
        )

    def finish(self) -> HostActions:
        return make_actions(
            self.samples,
            self.stale,
            self.rebirths,
            self.problems,
            self.gaps,
            self.timeouts,
            self.throttled,
            self.republish,
            self.evicted,
        )
