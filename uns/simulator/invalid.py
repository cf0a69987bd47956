"""Deliberately invalid messages, cycling through what a plant really sends wrong.

An unknown raw tag, an unknown code, broken JSON, a non-UTF-8 payload and a topic no binding
matches; each carries the dead-letter reason it should get (`RawMessage.expect`). Reasons the
model offers no way to provoke are left out.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import replace

import orjson

from uns.formats import get_format
from uns.model.namespace import Binding, Namespace
from uns.model.template import Template
from uns.model.topics import LITERAL
from uns.model.trie import TopicIndex
from uns.simulator.encoding import PayloadWriter
from uns.simulator.messages import Point, RawMessage, Unit
from uns.simulator.plant import binding_indexes, context_index, render_topic

__all__ = ["INVALID_REASONS", "InvalidMessages"]

# The deliberately invalid messages, in the order they are cycled through.
INVALID_REASONS = ("unknown_raw_tag", "unknown_code", "bad_json", "not_utf8", "no_binding")
_UTF16_TEXT = "TT101 = 4.2".encode("utf-16")  # a gateway misconfigured to send UTF-16


class InvalidMessages:
    """One builder per reason this model can provoke; `next` cycles through them."""

    def __init__(
        self, ns: Namespace, points: list[Point], rng: random.Random, payloads: PayloadWriter
    ) -> None:
        self.ns = ns
        self.points = points
        self._rng = rng
        self._payloads = payloads
        self._builders = self._make_invalid()
        self._next = 0

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(reason for reason, _ in self._builders)

    def __bool__(self) -> bool:
        return bool(self._builders)

    def next(self, sim: int) -> RawMessage:
        _, build = self._builders[self._next % len(self._builders)]
        self._next += 1
        return build(sim)

    def _make_invalid(self) -> list[tuple[str, Callable[[int], RawMessage]]]:
        builders: dict[str, Callable[[int], RawMessage] | None] = {
            "unknown_raw_tag": self._variants("unknown_raw_tag", self._bogus_tag),
            "unknown_code": self._variants("unknown_code", self._bogus_code),
            "bad_json": self._broken(b"", "bad_json"),
            "not_utf8": self._broken(_UTF16_TEXT, "not_utf8"),
            "no_binding": self._stray_topic(),
        }
        return [(reason, build) for reason, build in builders.items() if build is not None]

    @staticmethod
    def _bogus_tag(b: Binding) -> tuple[str, str] | None:
        """A raw tag name the binding's `tags` map does not know, and the capture holding it."""
        fields = b.tag.fields
        if b.tag_map is None or len(fields) != 1 or b.tag.source != f"{{{fields[0]}}}":
            return None
        if fields[0] in b.spec.map:
            return None
        bogus = "TT999.PV"
        while bogus in b.tag_map:
            bogus = "X" + bogus
        return fields[0], bogus

    @staticmethod
    def _bogus_code(b: Binding) -> tuple[str, str] | None:
        """A code that a mapped topic capture's table does not know."""
        for cap in b.pattern.captures:
            table = b.spec.map.get(cap)
            if table is not None:
                code = "99"
                while code in table:
                    code = "9" + code
                return cap, code
        return None

    def _variants(
        self, reason: str, bogus: Callable[[Binding], tuple[str, str] | None]
    ) -> Callable[[int], RawMessage] | None:
        """Messages like a real point's but with one capture wrong, one per binding, cycled."""
        index = self._index()
        variants: list[tuple[Point, str, str | None]] = []
        seen: set[int] = set()
        for p in self.points:
            b = p.binding
            if get_format(b.spec.format).host_routed:
                continue  # protobuf: the host reports its problems differently
            found = bogus(b) if b.order not in seen else None
            if found is None:
                continue
            cap, value = found
            caps = b.pattern.match(p.topic.split("/")) or {}
            if p.name is not None and b.id_pattern is not None:
                caps.update(b.id_pattern.match(p.name) or {})
            caps[cap] = value
            topic = render_topic(b.pattern, caps)
            name = Template.parse(b.id_pattern.source).render(caps) if b.id_pattern else None
            hit = index.lookup(topic)
            if hit is not None and hit.value is b:
                seen.add(b.order)
                variants.append((p, topic, name))
        if not variants:
            return None
        cycle = itertools.cycle(variants)

        def build(sim: int) -> RawMessage:
            p, topic, name = next(cycle)
            if name is None:
                payload = self._payloads.single(p, p.value(self._rng), sim)
            else:
                odd = replace(p, name=name)
                payload = self._payloads.batch(Unit(p.binding, [odd], batch=True), sim)
            return RawMessage(topic, payload, "invalid", p.binding.name, expect=reason)

        return build

    def _index(self) -> TopicIndex[Binding]:
        return binding_indexes(self.ns)[0]

    def _broken(self, payload: bytes, reason: str) -> Callable[[int], RawMessage] | None:
        encodable = [p for p in self.points if not get_format(p.binding.spec.format).host_routed]
        points = [
            p for p in encodable if get_format(p.binding.spec.format).rejects_truncated
        ] or encodable
        if not points:
            return None

        def build(sim: int) -> RawMessage:
            p = self._rng.choice(points)
            body = payload
            if not body:  # cut a real payload short, as a gateway losing its buffer does
                if p.name is not None:
                    good = self._payloads.batch(Unit(p.binding, [p], batch=True), sim)
                else:
                    good = self._payloads.single(p, p.value(self._rng), sim)
                body = good[: max(1, len(good) // 2)] if good.startswith(b"{") else b'{"value": '
            return RawMessage(p.topic, body, "invalid", p.binding.name, expect=reason)

        return build

    def _stray_topic(self) -> Callable[[int], RawMessage] | None:
        """A topic inside some binding's subscription that no binding or MES source matches."""
        index = self._index()
        sources = context_index(self.ns)
        for b in self.ns.bindings:
            literal = all(lvl.kind == LITERAL for lvl in b.pattern.levels)
            if get_format(b.spec.format).host_routed or literal:
                continue
            topic = "/".join(
                lvl.text if lvl.kind == LITERAL else "UNMAPPED-GW7" for lvl in b.pattern.levels
            )
            if index.lookup(topic) is None and sources.lookup(topic) is None:
                payload = orjson.dumps({"value": 1, "note": "gateway test message"})

                def build(sim: int, topic: str = topic, payload: bytes = payload) -> RawMessage:
                    return RawMessage(topic, payload, "invalid", "-", expect="no_binding")

                return build
        return None
