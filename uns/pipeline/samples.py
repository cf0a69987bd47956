"""Per-sample enrichment, the hot path: value, timestamp, quality, context join -> JSON.

Everything static comes from the cached `TagPlan`; per sample this only parses and
serialises. Plan lookup and enrichment are one method on purpose: one call per sample.
"""

from __future__ import annotations

import orjson

from uns.context.production import ContextStore
from uns.errors import DecodeError
from uns.formats import MISSING, RawSample
from uns.model.namespace import Binding
from uns.model.trie import IndexHit
from uns.normalize.timestamps import format_utc_ms
from uns.pipeline.outputs import Outgoing, Rejection, Trace
from uns.pipeline.plans import PlanCompiler, TagPlan

_SOURCE = b'","timestamp_source":"source","quality":'
_ARRIVAL = b'","timestamp_source":"arrival","quality":'
_PLAN_CACHE_SIZE = 200_000  # plans kept before the cache starts over (bounded memory)
_QUALITY = {q: orjson.dumps(q) for q in ("good", "uncertain", "bad", "stale")}


def _raw_quality(sample: RawSample) -> bytes:
    try:
        return b',"quality":' + orjson.dumps(sample.quality)
    except TypeError:  # not JSON data (decoders only hand over parsed JSON; be safe)
        return b',"quality":' + orjson.dumps(repr(sample.quality))


class SampleEnricher:
    """Turns decoded samples into governed messages, compiling and caching a plan per
    (raw topic, sample id) on first sight."""

    def __init__(self, compiler: PlanCompiler, context: ContextStore) -> None:
        self.compiler = compiler
        self.context = context
        self.extra_keys = compiler.ns.enterprise.context_keys
        self.plans: dict[tuple[str, str | None], TagPlan | Rejection] = {}

    def enrich(
        self,
        hit: IndexHit[Binding],
        topic: str,
        sample: RawSample,
        received_ms: int,
        trace: Trace | None,
    ) -> Outgoing | Rejection:
        """The governed message for one sample, or why it cannot be placed."""
        raw_value = sample.value
        if type(raw_value) is DecodeError:  # one unreadable record of a batch
            return Rejection(raw_value.reason, raw_value.detail)
        key = (topic, sample.name)
        plan = self.plans.get(key)
        if plan is None:
            plan = self.compiler.plan(hit, topic, sample.name)
            if len(self.plans) >= _PLAN_CACHE_SIZE:
                self.plans.clear()
            self.plans[key] = plan
        if isinstance(plan, Rejection):
            return plan
        try:
            quality = plan.parse_quality(sample.quality)
            if raw_value is MISSING:
                # OPC UA JSON leaves Value out of a bad-status DataValue: that is a bad null.
                if quality != "bad":
                    detail = f"{plan.tag.name}: no value, and the quality is {quality}, not bad"
                    return Rejection("missing_value", detail)
                value = None
            elif raw_value is None and plan.nullable:
                value = None  # a Sparkplug null or stale marker is published as null
            else:
                value = plan.coerce(raw_value)
            if plan.convert is not None and type(value) in (float, int):
                # 12 significant digits: 853 * 0.1 is 85.3, not 85.30000000000001.
                value = float(f"{plan.convert(value):.12g}")  # type: ignore[arg-type]
            ts = None
            if sample.timestamp is not None:
                ts = plan.parse_ts(sample.timestamp, received_ms)
        except DecodeError as exc:
            return Rejection(exc.reason, f"{plan.tag.name}: {exc.detail}")
        received = format_utc_ms(received_ms)
        if ts is None:
            ts, stamp, ts_part = received_ms, received, _ARRIVAL
        else:
            stamp, ts_part = format_utc_ms(ts), _SOURCE
        shift = plan.shifts.shift_at(ts) if plan.shifts is not None else None
        production = self.context.lookup(plan.path, ts)
        if shift is not plan.last_shift or production is not plan.last_production:
            # Context changes at shift and batch boundaries only: serialise it once per change.
            plan.last_shift, plan.last_production = shift, production
            context = {
                "shift": shift.name if shift else None,
                "crew": shift.crew if shift else None,
                "batch": production.batch,
                "product": production.product,
                "order": production.order,
            }
            if self.extra_keys:
                # The model's own keys, in its order (the store's may hold more after a reload).
                known = dict(zip(self.context.extra_keys, production.extra, strict=False))
                context.update({k: known.get(k) for k in self.extra_keys})
            plan.context_json = orjson.dumps(context)
        if trace is not None:
            trace.notes.append(
                f"{sample.name or plan.binding.tag.source} -> {plan.node.path_text} "
                f"tag {plan.tag.name}"
            )
        # Pre-serialised fragments keep the key order of docs/payload.md fixed.
        payload = b"".join(
            (
                b'{"value":',
                orjson.dumps(value),
                b',"timestamp":"',
                stamp.encode(),
                ts_part,
                _QUALITY[quality],
                plan.static_json,
                plan.context_json,
                plan.source_json,
                # The raw quality as sent, so nothing is lost in the reduction to three words.
                b"" if sample.quality is None or not plan.raw_quality else _raw_quality(sample),
                b',"received":"',
                received.encode(),
                b'"}}',
            )
        )
        return Outgoing(plan.topic, payload, plan.retain, "enriched")
