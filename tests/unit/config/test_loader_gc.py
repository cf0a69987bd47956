"""The loader pauses the cyclic collector and leaves what it loaded in the oldest generation,
so no young-generation collection traverses a freshly loaded model."""

from __future__ import annotations

import gc
from pathlib import Path

from uns.config.loader import load_model_lenient

PLANT = Path(__file__).resolve().parents[2] / "data" / "models" / "plant"


def test_the_loaded_model_is_not_left_for_a_young_collection() -> None:
    assert gc.isenabled()
    gc.collect()
    ns, problems = load_model_lenient(PLANT)
    assert problems == []
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # nothing left frozen
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert ns.bindings
    assert all(id(b) in oldest for b in ns.bindings)
    assert all(id(n) in oldest for n in ns.nodes.values())


def test_a_collector_disabled_by_the_caller_stays_disabled() -> None:
    gc.disable()
    try:
        load_model_lenient(PLANT)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_heap_kept_frozen_stays_frozen_with_the_new_model() -> None:
    # `uns run` freezes its heap (uns.runner): a reload must not hand the running model back
    # to the collector, and the new model joins it.
    running = [{"model": n} for n in range(100)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        ns, problems = load_model_lenient(PLANT)
        assert problems == []
        assert gc.get_freeze_count() > frozen  # the running heap and the new model
        young_or_old = {id(o) for g in range(3) for o in gc.get_objects(generation=g)}
        assert all(id(r) not in young_or_old for r in running)
        assert all(id(b) not in young_or_old for b in ns.bindings)
    finally:
        gc.unfreeze()
