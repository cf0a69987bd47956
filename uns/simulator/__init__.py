"""Simulated plant traffic: the raw MQTT messages a loaded model's sources would send.

Pure: no I/O, no asyncio; the clock is an argument and randomness comes from one seeded
`random.Random`, so a seed and a sequence of `now_ms` values always give the same messages.

Everything is derived from the model, so the traffic stays true when the model changes:

- every binding is inverted into *points* (one raw topic, plus an id for batch formats, per
  equipment tag it can reach): topic captures get raw codes from the binding's `map`, raw tag
  names come from its `tags` map (or are the canonical names when it has none); a point is kept
  only if the model routes its topic back to the same binding (a more specific binding may own
  it, e.g. `plc/cgn/L2/FIL01/...` belongs to the filler binding, not to the generic one);
- values are plausible per class tag: a random walk inside `range` for floats, increasing
  counters for unbounded ints, sticky PackML states for `state`, booleans that mostly keep
  their usual value; they are generated in the canonical unit and converted back through the
  binding's scale, offset and source unit (degF, psi, 1/min ...), so the service's conversion
  lands them inside the range again;
- payloads follow the binding's format (`json` with its field paths, bare `scalar`,
  `kepware` batches with a per-value `t` older than the envelope, `records` lists, Sparkplug B
  births with names, aliases and datatypes and then DATA by alias with one seq per node), with
  timestamps in the binding's `timestamp_format` (epoch ms, ISO-8601 with `Z`, 7 fraction
  digits or a local offset, naive local strptime text) and quality in its `quality_format`;
- MES context (`context:` sources) changes every ~`context_period_s` per scope, in `current`
  mode (retained, whole state) or `events` mode (end of the old batch, start of the new);
- every `invalid_every`-th message is deliberately wrong, cycling through what a plant really
  sends: an unknown raw tag, an unknown code, broken JSON, a non-UTF-8 payload and a topic no
  binding matches. Each carries the dead-letter reason it should get (`RawMessage.expect`).

The simulated clock is `now_ms + clock_offset_ms`; `auto_clock_offset_ms` picks an offset that
puts the next shift change of any site ~30 s after the start, so a demo shows one at once.
Values without a source timestamp (the `scalar` format) are stamped by the service on arrival,
in real time. With a clock offset, MES announcements for a scope with such data therefore
leave their timestamp out too (the service stamps them on arrival): data and context are then
joined on the same clock.
"""

from uns.simulator.clock import auto_clock_offset_ms, shift_boundaries
from uns.simulator.core import Simulator
from uns.simulator.invalid import INVALID_REASONS
from uns.simulator.messages import Point, RawMessage
from uns.simulator.plant import render_topic

__all__ = [
    "INVALID_REASONS",
    "Point",
    "RawMessage",
    "Simulator",
    "auto_clock_offset_ms",
    "render_topic",
    "shift_boundaries",
]
