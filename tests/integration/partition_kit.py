"""Traffic and checks for the partition tests: a burst over raw topics and Sparkplug edge nodes,
and what the governed tree must show afterwards (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tests.partition_model import TAGS, write_model
from uns.io.transport import Inbound
from uns.sparkplug import DataType, SparkplugMetric, SparkplugPayload, encode_payload

ENTERPRISE = "acme"
GROUP = "G"
BINDINGS = 10  # x TAGS = 50 raw topics


def models(root: Path, nodes: list[str]) -> Path:
    return write_model(root, BINDINGS, [(GROUP, n) for n in nodes])


def raw_topic(k: int) -> str:
    return f"raw/b{k // TAGS}/T{k % TAGS}"


def raw_governed(k: int) -> str:
    return f"{ENTERPRISE}/plant/area/line/m{k // TAGS}/tag{k % TAGS}"


def node_governed(node: str) -> str:
    return f"{ENTERPRISE}/plant/area/line/sp-{node}/tag0"


def _spb(seq: int, metric: SparkplugMetric) -> bytes:
    return encode_payload(SparkplugPayload(timestamp=1774346400000, seq=seq, metrics=[metric]))


def births(node: str) -> list[tuple[str, bytes]]:
    """NBIRTH (seq 0) and DBIRTH of device D (seq 1, metric M0 as alias 1, value -1)."""
    bd = SparkplugMetric(name="bdSeq", datatype=DataType.Int64, value=1)
    m0 = SparkplugMetric(name="M0", datatype=DataType.Float, value=-1.0, alias=1)
    return [
        (f"spBv1.0/{GROUP}/NBIRTH/{node}", _spb(0, bd)),
        (f"spBv1.0/{GROUP}/DBIRTH/{node}/D", _spb(1, m0)),
    ]


def ddata(node: str, j: int, seq: int | None = None) -> tuple[str, bytes]:
    """The j-th DDATA of `node` (seq 2 + j, wrapping at 256), M0 by alias = j."""
    m0 = SparkplugMetric(name=None, datatype=DataType.Float, value=float(j), alias=1)
    return f"spBv1.0/{GROUP}/DDATA/{node}/D", _spb((2 + j) % 256 if seq is None else seq, m0)


@dataclass
class Burst:
    """`raw` messages round robin over the 50 raw topics, `per_node` DDATA per edge node
    interleaved, every node's births first."""

    nodes: list[str]
    raw: int
    per_node: int
    messages: list[tuple[str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for node in self.nodes:
            self.messages += births(node)
        total = self.raw + self.per_node * len(self.nodes)
        every = total // max(self.per_node * len(self.nodes), 1)
        raw_i, sp_j = 0, 0
        for i in range(total):
            if self.nodes and i % every == every - 1 and sp_j < self.per_node * len(self.nodes):
                node = self.nodes[sp_j % len(self.nodes)]
                self.messages.append(ddata(node, sp_j // len(self.nodes)))
                sp_j += 1
            elif raw_i < self.raw:
                self.messages.append((raw_topic(raw_i % (BINDINGS * TAGS)), b"%d" % raw_i))
                raw_i += 1
        assert raw_i == self.raw, (raw_i, self.raw)
        assert sp_j == self.per_node * len(self.nodes), sp_j

    @property
    def governed(self) -> int:
        """Governed messages it must produce: one per raw message, per DDATA and per DBIRTH."""
        return self.raw + (self.per_node + 1) * len(self.nodes)

    def expected(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for i in range(self.raw):
            out.setdefault(raw_governed(i % (BINDINGS * TAGS)), []).append(float(i))
        for node in self.nodes:
            out[node_governed(node)] = [-1.0, *map(float, range(self.per_node))]
        return out


def first_copies(messages: list[Inbound]) -> list[Inbound]:
    """Each output once, in the order its first copy arrived (a redelivery repeats its id)."""
    seen: set[str] = set()
    out = []
    for m in messages:
        key = orjson.loads(m.payload)["id"]
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def by_topic(messages: list[Inbound]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for m in messages:
        out.setdefault(m.topic, []).append(orjson.loads(m.payload)["value"])
    return out
