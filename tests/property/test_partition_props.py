"""Rendezvous hashing: ownership depends only on the key and the partition count."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from uns.model.partition import owner

names = st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=40, unique=True)


@given(names, st.text(min_size=1, max_size=30), st.integers(1, 16))
def test_adding_a_binding_moves_no_other(existing: list[str], added: str, count: int) -> None:
    before = {n: owner(n, count) for n in existing}
    after = {n: owner(n, count) for n in [*existing, added]}
    assert all(after[n] == before[n] for n in existing)
    assert 0 <= after[added] < count


@given(names, st.integers(1, 16))
def test_one_more_partition_only_takes_keys_for_itself(keys: list[str], count: int) -> None:
    for key in keys:
        old, new = owner(key, count), owner(key, count + 1)
        assert new in (old, count)  # a key either stays or moves to the new partition
