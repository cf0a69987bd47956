"""Value generators: plausible canonical values per class tag, from one seeded `Random`.

A random walk inside `range` for floats, increasing counters for unbounded ints, sticky
PackML states for `state`, booleans that mostly keep their usual value.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from uns.model.namespace import Tag

__all__ = ["Counter", "JsonValue", "Signal", "Sticky", "Walk", "signal_for"]

JsonValue = bool | int | float | str

_PACKML = ((6, 0.86), (5, 0.05), (9, 0.04), (2, 0.03), (11, 0.02))  # execute, suspended, ...
_WORD_STATES = (("RUN", 0.85), ("IDLE", 0.1), ("STOP", 0.05))
_USUALLY_FALSE = ("low", "backed", "full", "alarm", "fault", "error", "stop", "trip")
_SLOW_COUNTERS = ("reject", "defect", "pallet", "layer", "batch")


class Signal:
    def next(self, rng: random.Random) -> JsonValue:
        raise NotImplementedError

    def reset(self) -> None:
        """An order change: counters start again from zero."""


@dataclass(slots=True)
class Walk(Signal):
    """Mean-reverting random walk, clamped to [lo, hi]."""

    lo: float
    hi: float
    value: float
    target: float
    integer: bool = False

    def next(self, rng: random.Random) -> JsonValue:
        span = self.hi - self.lo
        self.value += rng.gauss(0.0, span * 0.01) + (self.target - self.value) * 0.05
        self.value = min(self.hi, max(self.lo, self.value))
        return round(self.value) if self.integer else self.value


@dataclass(slots=True)
class Counter(Signal):
    value: int
    step: int
    chance: float  # probability that a reading has moved on

    def next(self, rng: random.Random) -> JsonValue:
        if rng.random() < self.chance:
            self.value += rng.randint(1, self.step)
        return self.value

    def reset(self) -> None:
        self.value = 0


@dataclass(slots=True)
class Sticky(Signal):
    """A value from weighted choices that mostly stays what it was."""

    choices: tuple[JsonValue, ...]
    weights: tuple[float, ...]
    value: JsonValue
    change: float = 0.03

    def next(self, rng: random.Random) -> JsonValue:
        if rng.random() < self.change:
            self.value = rng.choices(self.choices, self.weights)[0]
        return self.value


def signal_for(tag: Tag, rng: random.Random) -> Signal:
    """The generator that suits a class tag, judged by its datatype, range and name."""
    name = tag.name.lower()
    if tag.datatype == "bool":
        usual = not any(word in name for word in _USUALLY_FALSE)
        return Sticky((usual, not usual), (0.9, 0.1), usual, change=0.05)
    if tag.datatype == "string":
        words = tuple(w for w, _ in _WORD_STATES)
        return Sticky(words, tuple(p for _, p in _WORD_STATES), words[0])
    if tag.datatype == "int" and "state" in name:
        lo, hi = tag.range or (0.0, math.inf)
        states = [(s, w) for s, w in _PACKML if lo <= s <= hi] or [(round(lo), 1.0)]
        codes = tuple(s for s, _ in states)
        return Sticky(codes, tuple(w for _, w in states), codes[0])
    if tag.datatype == "int" and tag.range is None:
        slow = any(word in name for word in _SLOW_COUNTERS)
        first = rng.randint(0, 200) if slow else rng.randint(1_000, 50_000)
        return Counter(first, 1 if slow else 12, 0.1 if slow else 0.9)
    lo, hi = tag.range or (0.0, 100.0)
    start = lo + (hi - lo) * rng.uniform(0.35, 0.75)
    return Walk(lo, hi, start, start, integer=tag.datatype == "int")
