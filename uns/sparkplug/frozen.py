"""Build frozen slots dataclasses at the cost of unfrozen ones, for the per-metric hot path.

A frozen dataclass `__init__` stores each field through `object.__setattr__`: for a
ten-field class about 1.2 us, against 0.3 us for an unfrozen twin with the same slots whose
`__class__` is then switched to the frozen class (Python allows that between classes of
identical slot layout; the result is an ordinary frozen instance). The decoder pays it once
per metric and the host once per sample: `bench/sparkplug_decode.py` measures both ways
(`frozen_init_*` in bench/results/sparkplug_decode.json).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["unfrozen_twin"]


def unfrozen_twin(cls: type) -> type:
    """An unfrozen slots dataclass with the same fields, in order, as frozen `cls`.

    Build with positional arguments in field order, then assign `__class__ = cls`.
    """
    names = [f.name for f in fields(cls)]
    namespace = {"__annotations__": dict.fromkeys(names, "Any")}
    twin: type = dataclass(slots=True)(type(f"_{cls.__name__}Twin", (), namespace))
    return twin
