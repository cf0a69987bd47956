"""Which of N partitions owns a key: rendezvous (highest random weight) hashing.

Every partition scores every key with a stable hash of (partition, key); the highest score
owns it. The owner depends only on the key and the partition count, so adding or removing a
binding never moves another one, and going from N to N+1 partitions moves only the keys the
new partition wins (about 1/(N+1) of them). The key's hash is blake2b, never Python's `hash`,
which is salted per process: every replica and every restart must agree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from uns.errors import UnsError

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
MAX_PARTITIONS = 1024


class PartitionError(UnsError, ValueError):
    """A partition that cannot exist ("3/3", "a/b", "0/0")."""


_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def key_hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


def weight(partition: int, hashed: int) -> int:
    """The score of a key (its `key_hash`) for one partition: the splitmix64 finaliser of the
    two, so a key is hashed once per model load, not once per partition (100k bindings x 16
    partitions: 1.6M blake2b calls otherwise)."""
    z = (hashed + (partition + 1) * _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def owner(key: str, count: int) -> int:
    """The partition (0..count-1) that owns `key`."""
    if count == 1:
        return 0
    hashed = key_hash(key)
    return max(range(count), key=lambda p: weight(p, hashed))


@dataclass(frozen=True, slots=True)
class Partition:
    """Partition `index` of `count` (0-based: a StatefulSet ordinal is used as it is)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_PARTITIONS:
            raise PartitionError(f"partition count {self.count} is not in 1..{MAX_PARTITIONS}")
        if not 0 <= self.index < self.count:
            raise PartitionError(
                f"partition index {self.index} is not in 0..{self.count - 1} "
                f"(indexes start at 0: the partitions of {self.count} are "
                f"0/{self.count}..{self.count - 1}/{self.count})"
            )

    @classmethod
    def parse(cls, text: str) -> Partition:
        """ "I/N", e.g. "0/3" (what `--partition`, `partition:` and UNS_PARTITION take)."""
        match = _SPEC.fullmatch(text)
        if match is None:
            raise PartitionError(f"partition {text!r} is not INDEX/COUNT, e.g. 0/3")
        return cls(int(match[1]), int(match[2]))

    def owns(self, key: str) -> bool:
        return owner(key, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
