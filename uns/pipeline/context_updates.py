"""MES context messages -> updates of the production context store (no output of their own)."""

from __future__ import annotations

from uns.context.mes import DEFAULT_MAX_VALUE_CHARS, MesReader, apply_update, read_scalar
from uns.context.production import ContextStore
from uns.errors import DecodeError
from uns.model.namespace import ContextSource, Namespace
from uns.model.trie import IndexHit
from uns.normalize.timestamps import format_utc_ms
from uns.pipeline.outputs import Counters, Rejection, Trace
from uns.pipeline.plans import PlanCompiler


class ContextUpdates:
    """Applies one namespace's context sources to a shared `ContextStore`."""

    def __init__(
        self,
        ns: Namespace,
        store: ContextStore,
        plans: PlanCompiler,
        counters: Counters,
        max_value_chars: int = DEFAULT_MAX_VALUE_CHARS,
    ) -> None:
        self.ns = ns
        self.store = store
        self.plans = plans
        self.counters = counters
        self._readers = {s.order: MesReader(s.spec, max_value_chars) for s in ns.context_sources}
        self._max_value_chars = max_value_chars

    def apply(
        self,
        hit: IndexHit[ContextSource],
        payload: bytes,
        received_ms: int,
        trace: Trace | None,
    ) -> Rejection | None:
        """Read one MES message into the store; a rejection when it cannot be placed."""
        src = hit.value
        captures = dict(hit.captures)
        for cap, table in src.spec.map.items():
            raw = captures.get(cap)
            if raw is not None:
                if raw not in table:
                    return Rejection("unknown_code", f"{cap} {raw!r} is not in the source's map")
                captures[cap] = table[raw]
        scope_text = src.scope.render(captures)
        node = self.ns.node(scope_text)
        if node is None:
            return Rejection("unknown_scope", f"scope {scope_text!r} is not a node of the model")
        # Owners below zero: context sources share the parser cache with bindings.
        parse_ts = self.plans.timestamp_parser(-1 - src.order, src.spec.timestamp_format, node.site)
        try:
            if src.key is None:
                update = self._readers[src.order].read(payload, received_ms, parse_ts)
            else:
                key = src.key.render(captures)
                if key not in self.ns.context_keys:  # `uns check` proves this for mapped keys
                    return Rejection("unknown_code", f"{key!r} is not a context key")
                update = read_scalar(payload, key, received_ms, self._max_value_chars)
        except DecodeError as exc:
            return Rejection(exc.reason, exc.detail)
        for key in apply_update(self.store, node.path, update):
            misses = self.counters.context_unmatched_ends
            misses[key] = misses.get(key, 0) + 1
        self.counters.context_updates += 1
        if trace is not None:
            trace.notes.append(
                f"context {update.event} for {scope_text} at {format_utc_ms(update.ts_ms)}: "
                f"{update.values}"
            )
        return None
