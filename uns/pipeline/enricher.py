"""The enricher: routes each raw message and drives the pipeline's parts.

Pure: no I/O, no asyncio, the clock is the `received_ms` argument. The service feeds it; `uns
explain` runs the same code with a trace.

Per message the hot path is: topic -> route (cached trie lookup) -> decode payload into samples
(the binding's format, `uns.formats`) -> per sample a `TagPlan` cached by (topic, sample id)
(`plans`) -> value, timestamp, quality and context as of the sample's own time (`samples`).
MES messages update the context store (`context_updates`). Anything that cannot be placed
becomes a dead-letter message with a reason (`deadletters`); nothing derived from raw input
ever becomes a governed topic, which is built only from model names.
"""

from __future__ import annotations

from dataclasses import replace

from uns.context.mes import DEFAULT_MAX_VALUE_CHARS
from uns.context.production import ContextStore
from uns.errors import DecodeError
from uns.formats import Decoder, RawSample, get_format
from uns.model.namespace import Binding, ContextSource, Namespace
from uns.model.trie import TopicIndex
from uns.pipeline.context_updates import ContextUpdates
from uns.pipeline.deadletters import DeadLetters
from uns.pipeline.outputs import Counters, Outgoing, Rejection, Trace
from uns.pipeline.plans import PlanCompiler
from uns.pipeline.samples import SampleEnricher
from uns.sparkplug import HostActions, SparkplugHost
from uns.sparkplug.structured import STRUCTURED, plain_value

DEFAULT_MAX_PAYLOAD = 256 * 1024
DEFAULT_MAX_TOPIC = 1024


class Enricher:
    """Compiled from one `Namespace`; keeps no state of its own beyond caches.

    Context state lives in the `ContextStore` passed in, so a model reload builds a new
    Enricher around the same store and nothing is lost.
    """

    def __init__(
        self,
        ns: Namespace,
        context: ContextStore,
        *,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        max_topic: int = DEFAULT_MAX_TOPIC,
        max_context_value: int = DEFAULT_MAX_VALUE_CHARS,
        counters: Counters | None = None,
        sparkplug: SparkplugHost | None = None,
        revision: str | None = None,
    ) -> None:
        self.ns = ns
        self.revision = revision  # the model fingerprint, named in every output (lineage)
        self.context = context
        self.counters = counters or Counters()  # shared across model reloads
        self.sparkplug = sparkplug  # births and aliases outlive a model reload too
        self.max_payload = max_payload
        self.max_topic = max_topic
        self._bindings: TopicIndex[Binding] = TopicIndex()
        self._sp_bindings: TopicIndex[Binding] = TopicIndex()  # over SparkplugAddress.levels
        self._sources: TopicIndex[ContextSource] = TopicIndex()
        self._decoders: dict[int, Decoder] = {}
        for b in ns.bindings:
            fmt = get_format(b.spec.format)
            index = self._sp_bindings if fmt.host_routed else self._bindings
            index.add(b.pattern, b)
            if fmt.decoder is not None:
                self._decoders[b.order] = fmt.decoder(b.spec)
        for s in ns.context_sources:
            self._sources.add(s.pattern, s)
        self._compiler = PlanCompiler(ns, revision)
        self._samples = SampleEnricher(self._compiler, context)
        dead = DeadLetters(ns, revision)
        # Bound methods, not wrappers: the public `dead_letter` and what the routes call.
        self.dead_letter = dead.message
        self._rejections = dead.per_reason
        self._enrich = self._samples.enrich
        self._context_updates = ContextUpdates(
            ns, context, self._compiler, self.counters, max_context_value
        )
        context.declare(ns.enterprise.context_keys)
        for node in ns.nodes.values():
            for key, value in node.context.items():
                context.set_default(node.path, key, value)

    # -- routing -------------------------------------------------------------------------

    def subscriptions(self) -> list[str]:
        """MQTT filters covering every binding and context source, without duplicates.

        Sparkplug bindings are left out: their filters depend on sharing (`uns.sparkplug`).
        """
        filters = [
            b.pattern.subscription()
            for b in self.ns.bindings
            if not get_format(b.spec.format).host_routed
        ]
        filters += [s.pattern.subscription() for s in self.ns.context_sources]
        return sorted(set(filters))

    @property
    def uses_sparkplug(self) -> bool:
        return len(self._sp_bindings) > 0

    def context_subscriptions(self) -> list[str]:
        return sorted({s.pattern.subscription() for s in self.ns.context_sources})

    def process(
        self, topic: str, payload: bytes, received_ms: int, only: frozenset[str] | None = None
    ) -> list[Outgoing]:
        """Everything to publish for one raw message (possibly nothing, for MES context).

        `only`: take just these values of a batch (a replayed dead letter names the values
        that failed; the others of the same message were published the first time).
        """
        return self._process(topic, payload, received_ms, None, only)

    def explain(self, topic: str, payload: bytes, received_ms: int) -> tuple[Trace, list[Outgoing]]:
        trace = Trace()
        trace.candidates = [
            f"{h.value.name}: {h.pattern.source} (specificity {h.pattern.specificity})"
            for h in sorted(
                self._bindings.candidates(topic),
                key=lambda h: (h.pattern.specificity, -h.order),
                reverse=True,
            )
        ]
        out = self._process(topic, payload, received_ms, trace)
        return trace, out

    def _process(
        self,
        topic: str,
        payload: bytes,
        received_ms: int,
        trace: Trace | None,
        only: frozenset[str] | None = None,
    ) -> list[Outgoing]:
        if len(payload) > self.max_payload:
            size = Rejection("payload_too_large", f"{len(payload)} bytes > {self.max_payload}")
            return [self.dead_letter(topic, payload, received_ms, size)]
        if len(topic) * 4 > self.max_topic:  # UTF-8 is at most 4 bytes a character
            n = len(topic.encode())
            if n > self.max_topic:
                long = Rejection("topic_too_long", f"{n} bytes > {self.max_topic}")
                return [self.dead_letter(topic[:256] + "...", payload, received_ms, long)]
        if self.sparkplug is not None and topic.startswith("spBv1.0/"):
            return self._sparkplug(topic, payload, received_ms, trace)
        src = self._sources.lookup(topic)
        if src is not None:
            if trace is not None:
                trace.kind, trace.name = "context", src.value.name
                trace.pattern, trace.captures = src.pattern.source, dict(src.captures)
            rejection = self._context_updates.apply(src, payload, received_ms, trace)
            if rejection is None:
                return []
            return [self.dead_letter(topic, payload, received_ms, rejection, src.value.name)]
        hit = self._bindings.lookup(topic)
        if hit is None:
            none = Rejection("no_binding", "no binding or context source matches this topic")
            return [self.dead_letter(topic, payload, received_ms, none)]
        binding = hit.value
        if trace is not None:
            trace.kind, trace.name = "binding", binding.name
            trace.pattern, trace.captures = binding.pattern.source, dict(hit.captures)
        try:
            samples = self._decoders[binding.order](payload)
        except DecodeError as exc:
            bad = Rejection(exc.reason, exc.detail)
            return [self.dead_letter(topic, payload, received_ms, bad, binding.name)]
        if not samples:
            empty = Rejection("empty_batch", "the batch payload carries no values")
            return [self.dead_letter(topic, payload, received_ms, empty, binding.name)]
        out: list[Outgoing] = []
        failed: dict[str, list[str]] | None = None
        names: dict[str, list[str]] = {}
        for sample in samples:
            if only is not None and sample.name not in only:
                continue
            result = self._enrich(hit, topic, sample, received_ms, trace)
            if type(result) is Outgoing:
                out.append(result)
            else:
                assert isinstance(result, Rejection)
                failed = failed if failed is not None else {}
                failed.setdefault(result.reason, []).append(result.detail)
                named_here = names.setdefault(result.reason, [])
                if sample.name is not None:  # an unreadable record: no model fix helps it
                    named_here.append(sample.name)
        if failed is None:
            return out
        # A batch with bad values dead-letters once per reason, naming the values (so that a
        # replay takes only those), and still publishes the good ones.
        named = names if len(samples) > 1 else None
        out += self._rejections(topic, payload, received_ms, failed, binding.name, values=named)
        return out

    # -- Sparkplug -----------------------------------------------------------------------

    def _sparkplug(
        self, topic: str, payload: bytes, received_ms: int, trace: Trace | None
    ) -> list[Outgoing]:
        assert self.sparkplug is not None
        acts = self.sparkplug.handle(topic, payload, received_ms)
        out = self._host_commands(acts, received_ms)
        failed: dict[str, list[str]] = {}
        for reason, detail in acts.problems:
            failed.setdefault(reason, []).append(detail)
        for sample in (*acts.samples, *acts.stale):
            address = sample.address
            hit = self._sp_bindings.lookup_levels(address.levels)
            if hit is None:
                failed.setdefault("no_binding", []).append(f"{address.text} {sample.name}")
                continue
            if trace is not None:
                trace.kind, trace.name = "binding", hit.value.name
                trace.pattern, trace.captures = hit.pattern.source, dict(hit.captures)
            value = sample.value
            if sample.datatype in STRUCTURED:  # DataSets and Template instances as JSON
                value = plain_value(value)
            raw = RawSample(sample.name, value, sample.timestamp_ms, sample.quality)
            result = self._enrich(hit, address.text, raw, received_ms, trace)
            if isinstance(result, Rejection):
                failed.setdefault(result.reason, []).append(result.detail)
            elif sample.is_historical and result.retain:
                out.append(replace(result, retain=False))  # history never replaces "current"
            else:
                out.append(result)
        out += self._rejections(topic, payload, received_ms, failed)
        return out

    def tick(self, now_ms: int) -> list[Outgoing]:
        """Timers of the Sparkplug host (seq reorder deadlines, throttled rebirths)."""
        if self.sparkplug is None:
            return []
        return self._host_commands(self.sparkplug.tick(now_ms), now_ms)

    def _host_commands(self, acts: HostActions, now_ms: int) -> list[Outgoing]:
        assert self.sparkplug is not None
        c = self.counters
        c.sparkplug_seq_gaps += acts.seq_gaps
        c.sparkplug_rebirths_throttled += acts.rebirths_throttled
        c.sparkplug_nodes_evicted += acts.nodes_evicted
        for reason, _ in acts.problems:
            c.sparkplug_problems[reason] = c.sparkplug_problems.get(reason, 0) + 1
        out = []
        if acts.republish_state and (ts := self.sparkplug.state_timestamp_ms) is not None:
            # Our own STATE topic says offline while we run: say online again (retained).
            state = self.sparkplug.state_online_payload(ts)
            out.append(Outgoing(self.sparkplug.state_topic(), state, True, "command", qos=1))
        for group, node in acts.rebirths:
            c.sparkplug_rebirths += 1
            out.append(
                Outgoing(
                    SparkplugHost.rebirth_topic(group, node),
                    self.sparkplug.rebirth_payload(now_ms),
                    retain=False,
                    kind="command",
                    qos=0,
                )
            )
        return out
