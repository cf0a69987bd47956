"""Sparkplug `seq` tracking for one edge node: gaps, late arrivals and the reorder deadline.

One counter per edge node runs 0..255 and wraps, over NBIRTH, DBIRTH, NDATA, DDATA and
DDEATH (NDEATH has none). The host never buffers or reorders: every message is processed in
arrival order, and this tracker only decides whether the stream is complete.

- `seq == last + 1` (mod 256): in order.
- `seq == last`: a duplicate. Real edge nodes send them (after a reconnect, or because
  births and data share a counter in ways clients disagree on), so it is not a gap and the
  message is still processed: never deduplicate on seq.
- a seq that an earlier gap left missing: a late arrival that fills the gap; when every
  missing seq has arrived, the reorder deadline is cancelled.
- anything else: a gap. The seqs skipped over become missing and, unless one is already
  running, a reorder deadline starts. If it passes with seqs still missing, the host asks
  for a rebirth (`SparkplugHost.tick`).
"""

from __future__ import annotations

from typing import Final

__all__ = ["SEQ_MODULUS", "SeqTracker"]

SEQ_MODULUS: Final = 256


class SeqTracker:
    """The seq state of one edge node. `deadline` is epoch ms, or None when nothing is missing."""

    __slots__ = ("deadline", "last", "missing")

    def __init__(self) -> None:
        self.last: int | None = None
        self.missing: set[int] = set()
        self.deadline: int | None = None

    def reset(self, seq: int | None) -> None:
        """A new NBIRTH: start over from its seq (None: accept whatever comes next)."""
        self.last = seq
        self.missing.clear()
        self.deadline = None

    def observe(self, seq: int, now_ms: int, timeout_ms: int) -> tuple[int, int] | None:
        """Record `seq` (0..255). Returns (expected, got) when it opens a new gap, else None."""
        last = self.last
        if last is None or seq == last:
            self.last = seq if last is None else last
            return None
        expected = (last + 1) % SEQ_MODULUS
        if seq == expected:
            self.last = seq
            return None
        missing = self.missing
        if seq in missing:  # a late message: it fills a hole without moving `last`
            missing.discard(seq)
            if not missing:
                self.deadline = None
            return None
        skipped = expected
        while skipped != seq:
            missing.add(skipped)
            skipped = (skipped + 1) % SEQ_MODULUS
        self.last = seq
        if self.deadline is None:
            self.deadline = now_ms + timeout_ms
        return expected, seq

    def expire(self) -> int:
        """The deadline passed: forget the holes (a rebirth restarts the count). Returns how
        many seqs were still missing."""
        count = len(self.missing)
        self.missing.clear()
        self.deadline = None
        return count
