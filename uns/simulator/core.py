"""`Simulator`: the raw message stream of one model, from the plant, context and invalid parts."""

from __future__ import annotations

import math
import random
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

from uns.errors import UnsError
from uns.formats import get_format
from uns.model.namespace import Binding, Namespace
from uns.simulator.context import MesContext
from uns.simulator.encoding import PayloadWriter, SparkplugEdges
from uns.simulator.invalid import InvalidMessages
from uns.simulator.messages import Point, RawMessage, Unit
from uns.simulator.plant import plant_points

__all__ = ["Simulator"]


class Simulator:
    """Raw traffic for one model. Call `messages(now_ms, n)` at a steady pace."""

    def __init__(
        self,
        ns: Namespace,
        *,
        seed: int = 0,
        clock_offset_ms: int = 0,
        invalid_every: int = 100,
        context_period_s: float = 20.0,
    ) -> None:
        self.ns = ns
        self.clock_offset_ms = clock_offset_ms
        self.invalid_every = invalid_every
        self.context_period_ms = max(1, int(context_period_s * 1000))
        self._rng = random.Random(seed)
        self._zones: dict[str, tzinfo] = {
            name: ZoneInfo(site.timezone) for name, site in ns.sites.items()
        }
        self.points = plant_points(ns, self._rng)
        if not self.points:
            raise UnsError("the model has no binding the simulator can produce traffic for")
        self._payloads = PayloadWriter(ns, self._rng, self._binding_zone)
        self._sparkplug = SparkplugEdges(self._rng)
        self._units = self._make_units()
        self._queue: list[int] = []
        self._context = MesContext(
            ns,
            self.points,
            self._rng,
            self._zones,
            clock_offset_ms=clock_offset_ms,
            context_period_ms=self.context_period_ms,
        )
        self._started = False
        self._count = 0
        self._invalid = InvalidMessages(ns, self.points, self._rng, self._payloads)

    # -- what it covers ------------------------------------------------------------------

    @property
    def bindings(self) -> set[str]:
        """Names of the bindings that get traffic."""
        return {p.binding.name for p in self.points}

    @property
    def context_sources(self) -> set[str]:
        return {s.source.name for s in self._context.scopes}

    @property
    def invalid_reasons(self) -> tuple[str, ...]:
        """The dead-letter reasons the invalid messages cycle through, for this model."""
        return self._invalid.reasons

    @property
    def round_size(self) -> int:
        """Data messages after which every point has been sent at least once."""
        return len(self._units)

    # -- the stream ----------------------------------------------------------------------

    def messages(self, now_ms: int, count: int) -> list[RawMessage]:
        """Due MES context first, then `count` data messages (some deliberately invalid)."""
        sim = now_ms + self.clock_offset_ms
        out = [] if self._started else self._sparkplug.births(self.points, sim)
        self._started = True
        out += self._context.messages(sim)
        for _ in range(count):
            self._count += 1
            if self._invalid and self.invalid_every > 0 and self._count % self.invalid_every == 0:
                out.append(self._invalid.next(sim))
            else:
                out.append(self._data(self._next_unit(), sim))
        return out

    def _next_unit(self) -> Unit:
        if not self._queue:
            self._queue = list(range(len(self._units)))
            self._rng.shuffle(self._queue)
        return self._units[self._queue.pop()]

    def _make_units(self) -> list[Unit]:
        units: list[Unit] = []
        batches: dict[tuple[int, str], list[Point]] = {}
        for p in self.points:
            if get_format(p.binding.spec.format).batch:
                batches.setdefault((p.binding.order, p.topic), []).append(p)
            else:
                units.append(Unit(p.binding, [p], batch=False))
        for points in batches.values():
            unit = Unit(points[0].binding, points, batch=True)
            # Large batches carry ~8 values a message: send them as often as their values.
            partial = get_format(unit.binding.spec.format).partial_batches
            weight = math.ceil(len(points) / 8) if partial else 1
            units.extend([unit] * weight)
        return units

    def _binding_zone(self, b: Binding) -> tzinfo:
        site = next((p.node.site for p in self.points if p.binding is b), None)
        return self._zones.get(site or "", UTC)

    def _data(self, unit: Unit, sim: int) -> RawMessage:
        b = unit.binding
        if not unit.batch:
            p = unit.points[0]
            payload = self._payloads.single(p, p.value(self._rng), sim)
            return RawMessage(p.topic, payload, "data", b.name)
        if get_format(b.spec.format).host_routed:
            return self._sparkplug.data(unit, sim)
        return RawMessage(unit.points[0].topic, self._payloads.batch(unit, sim), "data", b.name)
