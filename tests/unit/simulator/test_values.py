"""Value generators: inside their range, counters growing, states from the allowed ones."""

from __future__ import annotations

import itertools
import random

from hypothesis import given
from hypothesis import strategies as st

from uns.simulator.values import Counter, Sticky, Walk


@given(st.integers(0, 2**32), st.floats(-1e6, 1e6), st.floats(0.001, 1e6))
def test_a_walk_stays_inside_its_range(seed: int, lo: float, span: float) -> None:
    rng = random.Random(seed)
    walk = Walk(lo, lo + span, lo + span / 2, lo + span / 2)
    for _ in range(200):
        value = walk.next(rng)
        assert isinstance(value, float)
        assert lo <= value <= lo + span


def test_a_counter_never_goes_back_until_reset() -> None:
    rng = random.Random(1)
    counter = Counter(100, 12, 0.9)
    values = [counter.next(rng) for _ in range(100)]
    assert values == sorted(values)
    assert values[-1] > 100
    counter.reset()
    assert counter.next(random.Random(2)) <= 12


def test_sticky_values_come_from_the_choices_and_mostly_stay() -> None:
    rng = random.Random(5)
    sticky = Sticky((6, 5, 9), (0.8, 0.1, 0.1), 6, change=0.03)
    values = [sticky.next(rng) for _ in range(1000)]
    assert set(values) <= {6, 5, 9}
    changes = sum(1 for a, b in itertools.pairwise(values) if a != b)
    assert changes < 100
